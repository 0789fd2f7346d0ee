import { DDSketch, normalDraw as normal, seededUniform as rng } from "@argus/stats";
import { describe, expect, it } from "vitest";
import {
  BaselineBuilder,
  type BaselineProfile,
  type CategoricalProfile,
  exactReferenceLimit,
  type NumericProfile,
  profileHash,
  ReferenceDataError,
} from "../src/domain/baseline-profile.js";

const numeric = (profile: BaselineProfile, name: string) => profile.features[name] as NumericProfile;
const categorical = (profile: BaselineProfile, name: string) => profile.features[name] as CategoricalProfile;

function errorOf(action: () => void): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("BaselineBuilder: types and counts", () => {
  const builder = new BaselineBuilder("credit", new Set(["zip"]));
  builder.addRow({
    features: { age: 30, plan: "basic", zip: "75001" },
    prediction: "yes",
    scores: { yes: 0.8, no: 0.2 },
  });
  builder.addRow({
    features: { age: 40, plan: "gold", zip: 75002 },
    prediction: "no",
    scores: { yes: 0.3, no: 0.7 },
  });
  builder.addRow({ features: { age: null, plan: "", zip: "75001" }, prediction: "yes" });
  builder.addRow({ features: { plan: "basic", zip: undefined, income: 1200.5 } });
  builder.addRow({ features: { age: 50, plan: "basic", zip: 75001, income: 800 }, prediction: "" });
  const profile = builder.build();

  it("number → numeric, string → categorical, declared categorical columns even when numeric", () => {
    expect(profile.modelId).toBe("credit");
    expect(profile.rowCount).toBe(5);
    expect(profile.features.age?.type).toBe("numeric");
    expect(profile.features.income?.type).toBe("numeric");
    expect(profile.features.plan?.type).toBe("categorical");
    expect(profile.features.zip?.type).toBe("categorical");
    expect(Object.keys(profile.features)).toEqual(["age", "income", "plan", "zip"]);
  });

  it("declared categorical numbers are counted under their text", () => {
    expect(Object.fromEntries(categorical(profile, "zip").counter.counts)).toEqual({
      "75001": 3,
      "75002": 1,
    });
  });

  it("missing: null, undefined, empty string and absent cells; rows before a column appeared", () => {
    expect(numeric(profile, "age").count).toBe(3);
    expect(numeric(profile, "age").missing).toBe(2); // null in row 3, absent in row 4
    expect(numeric(profile, "income").count).toBe(2);
    expect(numeric(profile, "income").missing).toBe(3); // first seen in row 4
    expect(categorical(profile, "plan").count).toBe(4);
    expect(categorical(profile, "plan").missing).toBe(1);
    expect(categorical(profile, "zip").missing).toBe(1);
    for (const feature of Object.values(profile.features)) expect(feature.count + feature.missing).toBe(5);
  });

  it("numeric moments: mean, population std (numpy's np.std, as Evidently normalizes by), exact min and max", () => {
    const age = numeric(profile, "age");
    expect(age.mean).toBeCloseTo(40, 12);
    // /usr/bin/python3 -c 'import numpy; print(repr(numpy.std([30, 40, 50])))' → 8.16496580927726
    expect(age.std).toBeCloseTo(8.16496580927726, 12);
    expect(age.min).toBe(30);
    expect(age.max).toBe(50);
    expect(age.exact).toEqual([30, 40, 50]);
    expect(age.sketch.count).toBe(3);
  });

  it("prediction (labels) and confidence (highest score)", () => {
    expect(profile.prediction?.type).toBe("categorical");
    expect(Object.fromEntries((profile.prediction as CategoricalProfile).counter.counts)).toEqual({
      yes: 2,
      no: 1,
    });
    expect(profile.confidence?.count).toBe(2);
    expect(profile.confidence?.min).toBe(0.7);
    expect(profile.confidence?.max).toBe(0.8);
  });

  it("a numeric prediction column makes a numeric prediction profile (regression)", () => {
    const regression = new BaselineBuilder("price");
    for (const value of [10, 20, 30]) regression.addRow({ features: { x: value }, prediction: value * 2 });
    const built = regression.build();
    expect(built.prediction?.type).toBe("numeric");
    expect((built.prediction as NumericProfile).mean).toBeCloseTo(40, 12);
    expect(built.confidence).toBeUndefined();
  });
});

describe("BaselineBuilder: bad reference data", () => {
  it("a text in a numeric column names the row and the column", () => {
    const builder = new BaselineBuilder("credit");
    builder.addRow({ features: { age: 30 } });
    builder.addRow({ features: { age: 31 } });
    const error = errorOf(() => builder.addRow({ features: { age: "thirty-two" } }));
    expect(error).toBeInstanceOf(ReferenceDataError);
    expect(error.message).toContain("row 3");
    expect(error.message).toContain('"age"');
    expect(error.message).toContain("thirty-two");
  });

  it("NaN and infinity in a numeric column are errors too", () => {
    const builder = new BaselineBuilder("credit");
    builder.addRow({ features: { x: 1 } });
    expect(errorOf(() => builder.addRow({ features: { x: Number.NaN } }))).toBeInstanceOf(ReferenceDataError);
    expect(errorOf(() => builder.addRow({ features: { x: Number.POSITIVE_INFINITY } })).message).toContain(
      '"x"',
    );
  });

  it("a non-numeric prediction after numeric ones names the prediction column", () => {
    const builder = new BaselineBuilder("price");
    builder.addRow({ features: {}, prediction: 1.5 });
    const error = errorOf(() => builder.addRow({ features: {}, prediction: "high" }));
    expect(error).toBeInstanceOf(ReferenceDataError);
    expect(error.message).toContain("row 2");
    expect(error.message).toContain("prediction");
  });

  it("no rows: an error, not an empty baseline", () => {
    expect(errorOf(() => new BaselineBuilder("m").build())).toBeInstanceOf(ReferenceDataError);
  });
});

describe("BaselineBuilder: bounded memory", () => {
  function built(rows: number): NumericProfile {
    const builder = new BaselineBuilder("m", new Set(), 0);
    const random = rng(rows);
    for (let i = 0; i < rows; i++) builder.addRow({ features: { x: normal(random, 5, 2) } });
    return numeric(builder.build(), "x");
  }

  it(`exact values are kept (sorted) up to ${exactReferenceLimit} rows`, () => {
    const atLimit = built(exactReferenceLimit);
    expect(atLimit.exact).toHaveLength(exactReferenceLimit);
    expect(atLimit.exact).toEqual([...(atLimit.exact ?? [])].sort((a, b) => a - b));
    expect(atLimit.exact?.[0]).toBe(atLimit.min);
    expect(atLimit.exact?.[exactReferenceLimit - 1]).toBe(atLimit.max);
  });

  it("and dropped beyond, leaving the sketch and moments", () => {
    const above = built(exactReferenceLimit + 1);
    expect(above.exact).toBeUndefined();
    expect(above.count).toBe(exactReferenceLimit + 1);
    expect(above.sketch.count).toBe(exactReferenceLimit + 1);
  });

  it("moments of a large reference are right (Welford)", () => {
    const big = built(20_000);
    expect(big.mean).toBeCloseTo(5, 1);
    expect(big.std).toBeCloseTo(2, 1);
    const sketch = DDSketch.fromJSON(big.sketch);
    expect(Math.abs(sketch.quantile(0.5) - 5)).toBeLessThan(0.1);
  });

  it("a high-cardinality column keeps a bounded counter, the rest in other", () => {
    const builder = new BaselineBuilder("m");
    for (let i = 0; i < 5000; i++) builder.addRow({ features: { id: `user-${i}` } });
    const id = categorical(builder.build(), "id");
    expect(id.counter.counts.length).toBeLessThanOrEqual(200);
    expect(id.count).toBe(5000);
    expect(id.counter.other).toBeGreaterThan(0);
  });
});

describe("profileHash", () => {
  function profileOf(rows: Record<string, number | string>[]): BaselineProfile {
    const builder = new BaselineBuilder("credit", new Set(), 0);
    for (const row of rows) builder.addRow({ features: row });
    return builder.build();
  }

  const rows = [
    { age: 30, plan: "basic", income: 100 },
    { age: 41, plan: "gold", income: 250 },
    { age: 35, plan: "basic", income: 175 },
  ];

  it("is a SHA-256 hex digest and stable across key order", () => {
    const first = profileOf(rows);
    const reordered = profileOf(rows.map((row) => ({ income: row.income, plan: row.plan, age: row.age })));
    expect(profileHash(first)).toMatch(/^[0-9a-f]{64}$/);
    expect(profileHash(reordered)).toBe(profileHash(first));
    // the same profile with its object keys written in another order
    const shuffled = JSON.parse(JSON.stringify(first, Object.keys(first).reverse())) as BaselineProfile;
    const scrambled = Object.fromEntries(Object.entries(first).reverse()) as unknown as BaselineProfile;
    expect(profileHash(scrambled)).toBe(profileHash(first));
    expect(profileHash(shuffled)).not.toBe(""); // a partial copy hashes too (no throw)
  });

  it("differs for different data", () => {
    const base = profileHash(profileOf(rows));
    const changedValue = profileOf(rows.map((row, i) => (i === 0 ? { ...row, age: 31 } : row)));
    const changedCategory = profileOf(rows.map((row, i) => (i === 1 ? { ...row, plan: "premium" } : row)));
    const extraRow = profileOf([...rows, rows[0] as Record<string, number | string>]);
    expect(profileHash(changedValue)).not.toBe(base);
    expect(profileHash(changedCategory)).not.toBe(base);
    expect(profileHash(extraRow)).not.toBe(base);
  });

  it("survives a JSON round trip (as the baseline is stored)", () => {
    const profile = profileOf(rows);
    expect(profileHash(JSON.parse(JSON.stringify(profile)) as BaselineProfile)).toBe(profileHash(profile));
  });
});
