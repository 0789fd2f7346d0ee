// Shared builders for the anomaly-detector unit tests.
import { readFileSync } from "node:fs";
import { type FeatureValue, InferenceEvent } from "@argus/proto";
import { type ModelSchema, type ModelSchemas, parseInputSchemas } from "../src/domain/index.js";

export const EXAMPLE_PATH = new URL("../config/models.example.yaml", import.meta.url);

export function exampleSchemas(): ModelSchemas {
  return parseInputSchemas(readFileSync(EXAMPLE_PATH, "utf8"), "config/models.example.yaml");
}

export function creditRisk(): ModelSchema {
  const schema = exampleSchemas().models.get("credit-risk");
  if (!schema) throw new Error("credit-risk is missing from the example schema");
  return schema;
}

export const num = (value: number): FeatureValue => ({ kind: { $case: "number", value } });
export const cat = (value: string): FeatureValue => ({ kind: { $case: "category", value } });
export const text = (value: string): FeatureValue => ({ kind: { $case: "text", value } });
export const emb = (values: number[]): FeatureValue => ({ kind: { $case: "embedding", value: { values } } });
export const unset = (): FeatureValue => ({ kind: undefined });

/** A valid credit-risk input. */
export function validFeatures(): Record<string, FeatureValue> {
  return { age: num(42), income: num(52_000), debt_ratio: num(0.35), employment: cat("employed") };
}

export function event(
  features: Record<string, FeatureValue>,
  overrides: Partial<Omit<InferenceEvent, "features">> = {},
): InferenceEvent {
  return InferenceEvent.fromPartial({
    eventId: "9b2f4c1e-0000-4000-8000-000000000001",
    modelId: "credit-risk",
    modelVersion: "2024-06-01",
    requestId: "req-1",
    clientId: "client-hmac-abc",
    tenant: "acme",
    eventTime: new Date("2025-01-01T00:00:00Z"),
    features,
    latencyMs: 12,
    ...overrides,
  });
}

/** `base` with some features replaced (undefined removes one). */
export function withFeatures(
  changes: Record<string, FeatureValue | undefined>,
): Record<string, FeatureValue> {
  const features = validFeatures();
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete features[name];
    else features[name] = value;
  }
  return features;
}
