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
import type { FeatureInput, RecordInput } from "./record-input.js";

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
