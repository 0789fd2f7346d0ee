import { randomUUID } from "node:crypto";
import type { FeatureValue, InferenceEvent, ModelOutput } from "@argus/proto";
import { ArgusSdkError } from "./errors.js";
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UINT32_MAX = 0xffff_ffff;

function invalid(message: string): ArgusSdkError {
  return new ArgusSdkError("INVALID_EVENT", message);
}

function finite(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(`${what} must be a finite number, got ${typeof value === "number" ? value : typeof value}`);
  }
  return value;
}

function uint32(value: unknown, what: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw invalid(`${what} must be an integer between 0 and ${UINT32_MAX}`);
  }
  return value;
}

function isNumberVector(value: unknown): value is readonly number[] | Float32Array | Float64Array {
  return Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array;
}

function toFeature(name: string, value: FeatureInput, ctx: EventContext): FeatureValue {
  if (ctx.piiFeatures.has(name)) {
    const raw = typeof value === "string" ? value : isTextFeature(value) ? value.text : undefined;
    if (raw === undefined || raw.length === 0) {
      // Never echo the value: it is declared PII.
      throw invalid(`feature "${name}" is declared PII, so it must be a non-empty string or { text }`);
    }
    return { kind: { $case: "category", value: ctx.pseudonymizer.pseudonymize(raw).id } };
  }
  if (typeof value === "number") {
    return { kind: { $case: "number", value: finite(value, `feature "${name}"`) } };
  }
  if (typeof value === "string") {
    return { kind: { $case: "category", value } };
  }
  if (isNumberVector(value)) {
    if (value.length === 0) throw invalid(`feature "${name}": an embedding must not be empty`);
    const values = Array.from(value, (v, i) => {
      // Embeddings are float32 on the wire: a finite double beyond float32 range would become Infinity.
      if (typeof v !== "number" || !Number.isFinite(Math.fround(v))) {
        throw invalid(`feature "${name}"[${i}] must be a finite float32 number`);
      }
      return v;
    });
    return { kind: { $case: "embedding", value: { values } } };
  }
  if (isTextFeature(value)) {
    return { kind: { $case: "text", value: value.text } };
  }
  throw invalid(
    `feature "${name}" must be a number, a string (category), { text: string } or a number array (embedding)`,
  );
}

function isTextFeature(value: unknown): value is { text: string } {
  return (
    typeof value === "object" && value !== null && typeof (value as { text?: unknown }).text === "string"
  );
}

function toOutput(output: OutputInput): ModelOutput {
  if (typeof output !== "object" || output === null) {
    throw invalid("output must be { label, scores? }, { regression } or { generatedText }");
  }
  const kinds = ["label", "regression", "generatedText"].filter((k) => k in output);
  if (kinds.length !== 1) {
    throw invalid(
      `output must have exactly one of label, regression or generatedText (got ${kinds.join(", ") || "none"})`,
    );
  }
  if ("label" in output) {
    if (typeof output.label !== "string") throw invalid("output.label must be a string");
    const scores: Record<string, number> = {};
    for (const [label, score] of Object.entries(output.scores ?? {})) {
      scores[label] = finite(score, `output.scores["${label}"]`);
    }
    return { kind: { $case: "classification", value: { label: output.label, scores } } };
  }
  if ("regression" in output) {
    return { kind: { $case: "regression", value: finite(output.regression, "output.regression") } };
  }
  if (typeof output.generatedText !== "string") throw invalid("output.generatedText must be a string");
  return { kind: { $case: "generatedText", value: output.generatedText } };
}

/** Validates a {@link RecordInput} and turns it into the wire contract, pseudonymizing on the way. */
export function toInferenceEvent(input: RecordInput, ctx: EventContext): InferenceEvent {
  if (typeof input !== "object" || input === null) throw invalid("record() needs an event object");
  if (typeof input.clientId !== "string" || input.clientId.length === 0) {
    throw invalid("clientId must be a non-empty string");
  }
  const eventId = input.eventId ?? randomUUID();
  if (typeof eventId !== "string" || !UUID.test(eventId)) throw invalid("eventId must be a UUID");
  const eventTime = input.eventTime ?? ctx.now();
  if (!(eventTime instanceof Date) || Number.isNaN(eventTime.getTime())) {
    throw invalid("eventTime must be a valid Date");
  }
  if (input.requestId !== undefined && typeof input.requestId !== "string") {
    throw invalid("requestId must be a string");
  }
  if (typeof input.features !== "object" || input.features === null || Array.isArray(input.features)) {
    throw invalid("features must be an object of named features");
  }
  const features: Record<string, FeatureValue> = {};
  for (const [name, value] of Object.entries(input.features)) {
    if (name.length === 0) throw invalid("feature names must not be empty");
    features[name] = toFeature(name, value, ctx);
  }
  const latencyMs = input.latencyMs === undefined ? 0 : finite(input.latencyMs, "latencyMs");
  if (latencyMs < 0) throw invalid("latencyMs must not be negative");

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
