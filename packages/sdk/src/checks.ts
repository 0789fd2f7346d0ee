// The contract's checks, shared by toInferenceEvent (which builds the event object) and
// encodeRecord (which encodes straight from the input): one source for what is rejected, in what
// order, with what message.
import { randomUUID } from "node:crypto";
import type { ModelOutput } from "@argus/proto";
import { ArgusSdkError } from "./errors.js";
import type { FeatureInput, OutputInput, RecordInput } from "./record-input.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UINT32_MAX = 0xffff_ffff;

export function invalid(message: string): ArgusSdkError {
  return new ArgusSdkError("INVALID_EVENT", message);
}

function notFinite(what: string, value: unknown): ArgusSdkError {
  return invalid(`${what} must be a finite number, got ${typeof value === "number" ? value : typeof value}`);
}

export function finite(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw notFinite(what, value);
  return value;
}

export function uint32(value: unknown, what: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw invalid(`${what} must be an integer between 0 and ${UINT32_MAX}`);
  }
  return value;
}

/**
 * The checks of the event's first fields (object, clientId, eventId, eventTime, requestId,
 * features), in the contract's order; returns the event id (a random UUID when none is given).
 */
export function checkEnvelope(input: RecordInput): string {
  if (typeof input !== "object" || input === null) throw invalid("record() needs an event object");
  if (typeof input.clientId !== "string" || input.clientId.length === 0) {
    throw invalid("clientId must be a non-empty string");
  }
  const eventId = input.eventId ?? randomUUID();
  // A UUID of our own needs no check (the regular expression was a tenth of these checks' time).
  if (input.eventId != null && (typeof eventId !== "string" || !UUID.test(eventId))) {
    throw invalid("eventId must be a UUID");
  }
  // null, like undefined, means now (the `??` of earlier versions).
  const eventTime = input.eventTime;
  if (eventTime != null && (!(eventTime instanceof Date) || Number.isNaN(eventTime.getTime()))) {
    throw invalid("eventTime must be a valid Date");
  }
  if (input.requestId !== undefined && typeof input.requestId !== "string") {
    throw invalid("requestId must be a string");
  }
  if (typeof input.features !== "object" || input.features === null || Array.isArray(input.features)) {
    throw invalid("features must be an object of named features");
  }
  return eventId;
}

export function checkFeatureName(name: string): void {
  if (name.length === 0) throw invalid("feature names must not be empty");
}

/** What a feature becomes on the wire; "pii" is a category holding the value's pseudonym. */
export type FeatureKind = "number" | "category" | "text" | "embedding" | "pii";

/** The kind of feature `value` is, once it passed the contract's checks for it. */
export function featureKind(name: string, value: FeatureInput, pii: boolean): FeatureKind {
  if (pii) {
    const raw = piiValue(value);
    if (raw === undefined || raw.length === 0) {
      // Never echo the value: it is declared PII.
      throw invalid(`feature "${name}" is declared PII, so it must be a non-empty string or { text }`);
    }
    return "pii";
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw notFinite(`feature "${name}"`, value);
    return "number";
  }
  if (typeof value === "string") return "category";
  if (isNumberVector(value)) {
    if (value.length === 0) throw invalid(`feature "${name}": an embedding must not be empty`);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      // Embeddings are float32 on the wire: a finite double beyond float32 range would become Infinity.
      if (typeof v !== "number" || !Number.isFinite(Math.fround(v))) {
        throw invalid(`feature "${name}"[${i}] must be a finite float32 number`);
      }
    }
    return "embedding";
  }
  if (isTextFeature(value)) return "text";
  throw invalid(
    `feature "${name}" must be a number, a string (category), { text: string } or a number array (embedding)`,
  );
}

/** The raw value of a declared PII feature (a string or `{ text }`), to pseudonymize. */
export function piiValue(value: FeatureInput): string | undefined {
  return typeof value === "string" ? value : isTextFeature(value) ? value.text : undefined;
}

export function isNumberVector(value: unknown): value is readonly number[] | Float32Array | Float64Array {
  return Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array;
}

export function isTextFeature(value: unknown): value is { text: string } {
  return (
    typeof value === "object" && value !== null && typeof (value as { text?: unknown }).text === "string"
  );
}

export function checkLatency(latency: number | undefined): number {
  const latencyMs = latency === undefined ? 0 : finite(latency, "latencyMs");
  if (latencyMs < 0) throw invalid("latencyMs must not be negative");
  return latencyMs;
}

export function toOutput(output: OutputInput): ModelOutput {
  if (typeof output !== "object" || output === null) {
    throw invalid("output must be { label, scores? }, { regression } or { generatedText }");
  }
  if (Number("label" in output) + Number("regression" in output) + Number("generatedText" in output) !== 1) {
    const kinds = ["label", "regression", "generatedText"].filter((k) => k in output);
    throw invalid(
      `output must have exactly one of label, regression or generatedText (got ${kinds.join(", ") || "none"})`,
    );
  }
  if ("label" in output) {
    if (typeof output.label !== "string") throw invalid("output.label must be a string");
    const scores: Record<string, number> = {};
    const given = output.scores ?? {};
    for (const label of Object.keys(given)) {
      const score: unknown = given[label];
      if (typeof score !== "number" || !Number.isFinite(score)) {
        throw notFinite(`output.scores["${label}"]`, score);
      }
      scores[label] = score;
    }
    return { kind: { $case: "classification", value: { label: output.label, scores } } };
  }
  if ("regression" in output) {
    return { kind: { $case: "regression", value: finite(output.regression, "output.regression") } };
  }
  if (typeof output.generatedText !== "string") throw invalid("output.generatedText must be a string");
  return { kind: { $case: "generatedText", value: output.generatedText } };
}
