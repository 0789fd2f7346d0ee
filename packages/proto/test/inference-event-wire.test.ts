import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeInferenceEventWire,
  encodeInferenceEvent,
  type FeatureValue,
  InferenceEvent,
} from "../src/index.js";
import type { FeatureWriter, InferenceEventParts } from "../src/wire/inference-event.js";
import { damagedOrForeignBytes, inferenceEvent as event } from "./arbitraries.js";

describe("InferenceEvent's hand-written encoder", () => {
  it("writes exactly the bytes of the generated encoder, for any event", () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(Buffer.from(encodeInferenceEvent(e))).toEqual(Buffer.from(InferenceEvent.encode(e).finish()));
      }),
      { numRuns: 2_000 },
    );
  });

  it("writes the bytes of a typical tabular event, which the generated decoder reads back", () => {
    const typical = InferenceEvent.fromPartial({
      eventId: "00000000-0000-4000-8000-000000000042",
      modelId: "credit-scoring",
      modelVersion: "2026-11",
      clientId: "p1.abc",
      tenant: "acme",
      eventTime: new Date("2026-12-07T15:00:00.123Z"),
      features: Object.fromEntries(
        Array.from({ length: 30 }, (_, f) => [
          `feature_${f}`,
          { kind: { $case: "number" as const, value: f * 1.25 - 3 } },
        ]),
      ),
      output: {
        kind: { $case: "classification", value: { label: "approve", scores: { approve: 0.7, deny: 0.3 } } },
      },
      latencyMs: 5.5,
    });
    const bytes = encodeInferenceEvent(typical);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(InferenceEvent.encode(typical).finish()));
    expect(InferenceEvent.decode(bytes)).toEqual(typical);
  });

  it("writes the same bytes from parts (features written by a callback) as from the event", () => {
    fc.assert(
      fc.property(event, (e) => {
        // The parts form carries only features that have a kind (what a producer can describe).
        const features = Object.fromEntries(
          Object.entries(e.features).filter(([, value]) => value.kind !== undefined),
        );
        const { features: _, eventTime, ...fields } = e;
        const parts: InferenceEventParts<typeof features> = {
          ...fields,
          eventTimeMs: eventTime?.getTime(),
          features,
          writeFeatures: writeEach,
        };
        const expected = InferenceEvent.encode({ ...e, features }).finish();
        expect(Buffer.from(encodeInferenceEvent(parts))).toEqual(Buffer.from(expected));
      }),
      { numRuns: 2_000 },
    );
  });

  it("writes the right names when consecutive events change their feature names or order", () => {
    const number = (value: number): FeatureValue => ({ kind: { $case: "number", value } });
    const schemas = [
      { a: number(1), b: number(2), c: number(3) },
      { b: number(2), a: number(1), c: number(3) },
      { a: number(1), bb: number(2) },
      { a: number(1), b: { kind: { $case: "category" as const, value: "x" } }, c: number(3) },
    ];
    for (const features of [...schemas, ...schemas.reverse()]) {
      const e = InferenceEvent.fromPartial({ eventId: "e", features });
      expect(Buffer.from(encodeInferenceEvent(e))).toEqual(Buffer.from(InferenceEvent.encode(e).finish()));
    }
  });
});

function writeEach(out: FeatureWriter, features: Record<string, FeatureValue>): void {
  for (const [name, { kind }] of Object.entries(features)) {
    if (kind?.$case === "number") out.number(name, kind.value);
    if (kind?.$case === "category") out.category(name, kind.value);
    if (kind?.$case === "text") out.text(name, kind.value);
    if (kind?.$case === "embedding") out.embedding(name, kind.value.values);
  }
}

/** What a decoder made of some bytes: the object, or that it threw. */
function outcome(decode: (bytes: Uint8Array) => InferenceEvent, bytes: Uint8Array): unknown {
  try {
    return { ok: decode(bytes) };
  } catch {
    return "threw";
  }
}

describe("InferenceEvent's hand-written decoder", () => {
  it("reads any event into exactly the generated decoder's object", () => {
    fc.assert(
      fc.property(event, (e) => {
        const bytes = InferenceEvent.encode(e).finish();
        expect(decodeInferenceEventWire(bytes)).toEqual(InferenceEvent.decode(bytes));
      }),
      { numRuns: 2_000 },
    );
  });

  it("agrees with the generated decoder on damaged and foreign bytes: the same object, or both throw", () => {
    fc.assert(
      fc.property(damagedOrForeignBytes, (bytes) => {
        expect(outcome(decodeInferenceEventWire, bytes)).toEqual(
          outcome((b) => InferenceEvent.decode(b), bytes),
        );
      }),
      { numRuns: 3_000 },
    );
  });
});
