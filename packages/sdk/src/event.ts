import type { FeatureValue, InferenceEvent } from "@argus/proto";
import {
  checkEnvelope,
  checkFeatureName,
  checkLatency,
  featureKind,
  piiValue,
  toOutput,
  uint32,
} from "./checks.js";
import type { Pseudonymizer } from "./pseudonymize.js";

/**
 * One input feature: a number, a category (string), free text (`{ text }`) or an embedding vector
 * (sent as float32, as the contract says).
 */
export type FeatureInput =
  | number
  | string
  | { text: string }
  | readonly number[]
  | Float32Array
  | Float64Array;

/** What the model answered: class label (and scores), a regression value, or generated text. */
export type OutputInput =
  | { label: string; scores?: Record<string, number> }
  | { regression: number }
  | { generatedText: string };

/** The friendly form of one prediction, as given to `monitor.record()`. */
export interface RecordInput {
  /** The raw client id (user, API key, tenant-scoped account...). Pseudonymized before it leaves. */
  clientId: string;
  requestId?: string;
  /** A UUID; a random one by default. Stays the same if the SDK has to re-send the event. */
  eventId?: string;
  /** When the prediction was made; now by default. */
  eventTime?: Date;
  features: Record<string, FeatureInput>;
  output: OutputInput;
  latencyMs?: number;
  inputTokens?: number;
  outputTokens?: number;
}

export interface EventContext {
  modelId: string;
  modelVersion: string;
  tenant: string;
  pseudonymizer: Pseudonymizer;
  /** Category or text features whose values are pseudonymized like the client id. */
  piiFeatures: ReadonlySet<string>;
  now: () => Date;
}

/** Validates a {@link RecordInput} and turns it into the wire contract, pseudonymizing on the way. */
export function toInferenceEvent(input: RecordInput, ctx: EventContext): InferenceEvent {
  const eventId = checkEnvelope(input);
  const eventTime = input.eventTime ?? ctx.now();
  const features: Record<string, FeatureValue> = {};
  for (const [name, value] of Object.entries(input.features)) {
    checkFeatureName(name);
    features[name] = toFeature(name, value, ctx);
  }
  const latencyMs = checkLatency(input.latencyMs);
  const client = ctx.pseudonymizer.pseudonymize(input.clientId);
  return {
    eventId,
    modelId: ctx.modelId,
    modelVersion: ctx.modelVersion,
    requestId: input.requestId ?? "",
    clientId: client.id,
    clientIdKeyId: client.keyId,
    tenant: ctx.tenant,
    eventTime,
    features,
    output: toOutput(input.output),
    latencyMs,
    inputTokens: uint32(input.inputTokens, "inputTokens"),
    outputTokens: uint32(input.outputTokens, "outputTokens"),
  };
}

function toFeature(name: string, value: FeatureInput, ctx: EventContext): FeatureValue {
  switch (featureKind(name, value, ctx.piiFeatures.has(name))) {
    case "pii":
      return {
        kind: { $case: "category", value: ctx.pseudonymizer.pseudonymize(piiValue(value) as string).id },
      };
    case "number":
      return { kind: { $case: "number", value: value as number } };
    case "category":
      return { kind: { $case: "category", value: value as string } };
    case "embedding":
      return { kind: { $case: "embedding", value: { values: Array.from(value as ArrayLike<number>) } } };
    case "text":
      return { kind: { $case: "text", value: (value as { text: string }).text } };
  }
}
