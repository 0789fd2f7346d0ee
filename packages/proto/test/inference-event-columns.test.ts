import { BinaryWriter } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeInferenceEventColumns,
  FeatureValue,
  InferenceEvent,
  type InferenceEventColumns,
  inferenceEventColumns,
} from "../src/index.js";
import { inferenceEvent } from "./arbitraries.js";

/** What a consumer can observe of the columns, with features by name (order compared separately). */
function observable(columns: InferenceEventColumns) {
  const { numberNames, numberValues, otherFeatures, ...rest } = columns;
  return {
    ...rest,
    numbers: new Map(numberNames.map((name, i) => [name, numberValues[i]])),
    others: new Map(otherFeatures),
  };
}

describe("InferenceEvent's columnar decoder", () => {
  it("reads any event as the generated decoder does, the numeric features split into columns", () => {
    fc.assert(
      fc.property(inferenceEvent, (e) => {
        const bytes = InferenceEvent.encode(e).finish();
        const columns = decodeInferenceEventColumns(bytes);
        const expected = inferenceEventColumns(InferenceEvent.decode(bytes));
        expect(observable(columns)).toEqual(observable(expected));
        expect(columns.numberValues.length).toBe(columns.numberNames.length);
        // Names come in the producer's order (an object would put integer-like keys first).
        const sent = Object.keys(e.features).filter((name) => e.features[name]?.kind?.$case === "number");
        expect([...columns.numberNames].sort()).toEqual(sent.sort());
      }),
      { numRuns: 2_000 },
    );
  });

  it("agrees with the generated decoder on damaged and foreign bytes: the same event, or both throw", () => {
    const damaged = fc
      .tuple(
        inferenceEvent,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([e, flips, cut]) => {
        const bytes = Uint8Array.from(InferenceEvent.encode(e).finish());
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return bytes.subarray(0, bytes.length - (cut % 3 === 0 ? cut % Math.max(1, bytes.length) : 0));
      });
    const outcome = (decode: () => InferenceEventColumns) => {
      try {
        return observable(decode());
      } catch {
        return "throws";
      }
    };
    fc.assert(
      fc.property(fc.oneof(damaged, fc.uint8Array({ maxLength: 200 })), (bytes) => {
        expect(outcome(() => decodeInferenceEventColumns(bytes))).toEqual(
          outcome(() => inferenceEventColumns(InferenceEvent.decode(bytes))),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it("keeps the last value of a feature key that repeats, as protobuf's map semantics say", () => {
    const writer = new BinaryWriter();
    writer.uint32(18).string("credit");
    const entry = (name: string, value: FeatureValue) => {
      writer.uint32(66).fork().uint32(10).string(name).uint32(18);
      FeatureValue.encode(value, writer.fork()).join();
      writer.join();
    };
    entry("age", { kind: { $case: "number", value: 30 } });
    entry("income", { kind: { $case: "number", value: 5 } });
    entry("age", { kind: { $case: "category", value: "thirty" } });
    entry("income", { kind: { $case: "number", value: 7 } });
    const columns = decodeInferenceEventColumns(writer.finish());
    expect([...columns.numberNames]).toEqual(["income"]);
    expect([...columns.numberValues]).toEqual([7]);
    expect(columns.otherFeatures).toEqual([["age", { kind: { $case: "category", value: "thirty" } }]]);
  });

  it("gives every event of a model with the same feature names one shared names array", () => {
    const event = (model: string, values: Record<string, number>) =>
      InferenceEvent.encode(
        InferenceEvent.fromPartial({
          modelId: model,
          features: Object.fromEntries(
            Object.entries(values).map(([name, value]) => [name, { kind: { $case: "number", value } }]),
          ),
        }),
      ).finish();
    const first = decodeInferenceEventColumns(event("credit", { age: 1, income: 2 }));
    const second = decodeInferenceEventColumns(event("credit", { age: 3, income: 4 }));
    const otherModel = decodeInferenceEventColumns(event("fraud", { age: 5, income: 6 }));
    const credit = decodeInferenceEventColumns(event("credit", { age: 7, income: 8 }));
    const renamed = decodeInferenceEventColumns(event("credit", { age: 9, debt: 10 }));
    expect(second.numberNames).toBe(first.numberNames);
    expect(credit.numberNames).toBe(first.numberNames);
    expect([...second.numberValues]).toEqual([3, 4]);
    expect([...otherModel.numberNames]).toEqual(["age", "income"]);
    expect([...renamed.numberNames]).toEqual(["age", "debt"]);
    expect([...first.numberValues]).toEqual([1, 2]);
  });
});
