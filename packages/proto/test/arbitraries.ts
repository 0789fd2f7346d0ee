// Random InferenceEvents for the wire codecs' property tests: any field, any string, any double.
import fc from "fast-check";
import { type FeatureValue, InferenceEvent, type ModelOutput } from "../src/index.js";

export const text = fc.string({ unit: "binary", maxLength: 40 });
export const double = fc.double({ noNaN: false });
export const featureValue: fc.Arbitrary<FeatureValue> = fc.oneof(
  fc.record({ kind: fc.record({ $case: fc.constant("number" as const), value: double }) }),
  fc.record({ kind: fc.record({ $case: fc.constant("category" as const), value: text }) }),
  fc.record({
    kind: fc.record({
      $case: fc.constant("text" as const),
      value: fc.string({ unit: "binary", maxLength: 400 }),
    }),
  }),
  fc.record({
    kind: fc.record({
      $case: fc.constant("embedding" as const),
      value: fc.record({ values: fc.array(fc.float({ noNaN: true }), { maxLength: 70 }) }),
    }),
  }),
  fc.constant({ kind: undefined }),
);
export const output: fc.Arbitrary<ModelOutput | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ kind: undefined }),
  fc.record({
    kind: fc.record({
      $case: fc.constant("classification" as const),
      value: fc.record({ label: text, scores: fc.dictionary(text, double, { maxKeys: 6 }) }),
    }),
  }),
  fc.record({ kind: fc.record({ $case: fc.constant("regression" as const), value: double }) }),
  fc.record({
    kind: fc.record({ $case: fc.constant("generatedText" as const), value: fc.string({ maxLength: 300 }) }),
  }),
);
export const inferenceEvent: fc.Arbitrary<InferenceEvent> = fc.record({
  eventId: fc.oneof(fc.uuid(), fc.constant("")),
  modelId: text,
  modelVersion: text,
  requestId: text,
  clientId: text,
  tenant: text,
  eventTime: fc.oneof(
    fc.constant(undefined),
    fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }),
  ),
  features: fc.dictionary(text, featureValue, { maxKeys: 40 }),
  output,
  latencyMs: fc.oneof(fc.constant(0), double),
  inputTokens: fc.nat({ max: 0xffffffff }),
  outputTokens: fc.nat({ max: 0xffffffff }),
  clientIdKeyId: text,
});

/** An event's bytes with a few bytes overwritten and sometimes cut short, or any bytes at all. */
export const damagedOrForeignBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .tuple(
      inferenceEvent,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(),
    )
    .map(([e, flips, cut]) => {
      const bytes = Uint8Array.from(InferenceEvent.encode(e).finish());
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes.subarray(0, bytes.length - (cut % 3 === 0 ? cut % Math.max(1, bytes.length) : 0));
    }),
  fc.uint8Array({ maxLength: 200 }),
);
