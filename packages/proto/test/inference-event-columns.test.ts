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
import { damagedOrForeignBytes, inferenceEvent } from "./arbitraries.js";

/**
 * What a consumer can observe of the columns, with features by name (order compared separately).
 * A feature named "__proto__" is left out: the generated decoder loses it (assigning it to a plain
 * object sets the object's prototype), the columns keep it — see the test of its own below.
 */
function observable(columns: InferenceEventColumns) {
  const { numberNames, numberValues, otherFeatures, ...rest } = columns;
  return {
    ...rest,
    numbers: new Map(
      numberNames.map((name, i) => [name, numberValues[i]] as const).filter(([name]) => name !== "__proto__"),
    ),
    others: new Map(otherFeatures.filter(([name]) => name !== "__proto__")),
  };
}

/** An event's bytes with these feature entries as written, repeats and all (an object cannot hold them). */
function eventBytes(modelId: string, features: [string, FeatureValue][]): Uint8Array {
  const writer = new BinaryWriter();
  writer.uint32(18).string(modelId);
  for (const [name, value] of features) {
    writer.uint32(66).fork().uint32(10).string(name).uint32(18);
    FeatureValue.encode(value, writer.fork()).join();
    writer.join();
  }
  return writer.finish();
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
        const sent = Object.keys(e.features).filter(
          (name) => e.features[name]?.kind?.$case === "number" && name !== "__proto__",
        );
        expect([...columns.numberNames].filter((name) => name !== "__proto__").sort()).toEqual(sent.sort());
      }),
      { numRuns: 2_000 },
    );
  });

  it("agrees with the generated decoder on damaged and foreign bytes: the same event, or both throw", () => {
    const outcome = (decode: () => InferenceEventColumns) => {
      try {
        return observable(decode());
      } catch {
        return "throws";
      }
    };
    fc.assert(
      fc.property(damagedOrForeignBytes, (bytes) => {
        expect(outcome(() => decodeInferenceEventColumns(bytes))).toEqual(
          outcome(() => inferenceEventColumns(InferenceEvent.decode(bytes))),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it("reads a feature named __proto__ as any other feature, and no feature the name does not carry", () => {
    const columns = decodeInferenceEventColumns(
      eventBytes("credit", [
        ["__proto__", { kind: { $case: "number", value: 1 } }],
        ["age", { kind: { $case: "number", value: 2 } }],
        ["kind", { kind: { $case: "category", value: "x" } }],
      ]),
    );
    expect([...columns.numberNames]).toEqual(["__proto__", "age"]);
    expect([...columns.numberValues]).toEqual([1, 2]);
    expect(columns.otherFeatures).toEqual([["kind", { kind: { $case: "category", value: "x" } }]]);
  });

  it("keeps the last value of a feature key that repeats, as protobuf's map semantics say", () => {
    // The model's usual names first: the repeated key must be seen on the predicted path too.
    decodeInferenceEventColumns(
      eventBytes("credit", [
        ["age", { kind: { $case: "number", value: 1 } }],
        ["income", { kind: { $case: "number", value: 2 } }],
      ]),
    );
    const columns = decodeInferenceEventColumns(
      eventBytes("credit", [
        ["age", { kind: { $case: "number", value: 30 } }],
        ["income", { kind: { $case: "number", value: 5 } }],
        ["age", { kind: { $case: "category", value: "thirty" } }],
        ["income", { kind: { $case: "number", value: 7 } }],
      ]),
    );
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
