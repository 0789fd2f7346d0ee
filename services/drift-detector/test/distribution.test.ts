import { DDSketch, seededUniform as rng } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { sketchAccuracy } from "../src/domain/baseline-profile.js";
import { Distribution, ksStatistic, wasserstein1 } from "../src/domain/distribution.js";
import { bucketOf } from "../src/domain/window-counters.js";

// Reference values: scipy 1.10.1 / numpy 1.24.2 (Debian python3-scipy), computed with
//   from scipy import stats
//   a_small = [3.0, -1.5, 2.0, 2.0, 0.0, 7.25, -1.5, 4.0, 2.0, 10.0, -3.0, 5.5]
//   b_small = [2.0, 2.5, -1.5, 6.0, 0.0, 0.0, 11.0, 4.0, 3.0]
//   a = [((i*7919) % 1009)/37 - 13 for i in range(300)]
//   b = [((j*104729) % 997)/41 - 10 + (3 if j % 5 == 0 else 0) for j in range(200)]
//   stats.ks_2samp(x, y).statistic; stats.wasserstein_distance(x, y)
const aSmall = [3.0, -1.5, 2.0, 2.0, 0.0, 7.25, -1.5, 4.0, 2.0, 10.0, -3.0, 5.5];
const bSmall = [2.0, 2.5, -1.5, 6.0, 0.0, 0.0, 11.0, 4.0, 3.0];
const aFormula = Array.from({ length: 300 }, (_, i) => ((i * 7919) % 1009) / 37 - 13);
const bFormula = Array.from(
  { length: 200 },
  (_, j) => ((j * 104729) % 997) / 41 - 10 + (j % 5 === 0 ? 3 : 0),
);
const scipy = {
  small: { ks: 0.1388888888888889, wasserstein: 0.7430555555555557 },
  formula: { ks: 0.12166666666666667, wasserstein: 1.7728576137112724 },
  disjoint: { ks: 1.0, wasserstein: 8.5 }, // [1, 2, 3] vs [10, 11]
};

const ascending = (values: readonly number[]) => [...values].sort((x, y) => x - y);
const exact = (values: readonly number[]) => Distribution.fromExact(ascending(values));

function sketchOf(values: readonly number[]): DDSketch {
  const sketch = new DDSketch({ relativeAccuracy: sketchAccuracy });
  for (const value of values) sketch.add(value);
  return sketch;
}

function bucketsOf(values: readonly number[]): Map<string, number> {
  const buckets = new Map<string, number>();
  for (const value of values) buckets.set(bucketOf(value), (buckets.get(bucketOf(value)) ?? 0) + 1);
  return buckets;
}

function lognormalSample(seed: number, n: number, shift = 0): number[] {
  const random = rng(seed);
  return Array.from({ length: n }, () => {
    const u = 1 - random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.exp(z) - 1.5 + shift; // skewed, crosses zero
  });
}

const meanAbs = (values: readonly number[]) => values.reduce((s, v) => s + Math.abs(v), 0) / values.length;

describe("Distribution.fromExact", () => {
  it("collapses ties into counts and keeps the total", () => {
    const d = exact(aSmall);
    expect([...d.values]).toEqual([-3, -1.5, 0, 2, 3, 4, 5.5, 7.25, 10]);
    expect([...d.counts]).toEqual([1, 2, 1, 3, 1, 1, 1, 1, 1]);
    expect(d.total).toBe(12);
    expect(d.exact).toBe(true);
  });

  it("lower quantile, cdf, mean and outside share", () => {
    const d = exact(aSmall); // sorted: -3 -1.5 -1.5 0 2 2 2 3 4 5.5 7.25 10
    expect(d.quantile(0)).toBe(-3);
    expect(d.quantile(1)).toBe(10);
    expect(d.quantile(0.5)).toBe(2); // ⌊0.5·11⌋ = 5 → the 6th value
    expect(d.cdf(2)).toBeCloseTo(7 / 12, 15);
    expect(d.cdf(1.999)).toBeCloseTo(4 / 12, 15);
    expect(d.cdf(-10)).toBe(0);
    expect(d.cdf(10)).toBe(1);
    expect(d.mean()).toBeCloseTo(aSmall.reduce((s, v) => s + v, 0) / 12, 14);
    expect(d.outsideShare(-1.5, 7.25)).toBeCloseTo(2 / 12, 15);
    expect(d.outsideShare(-3, 10)).toBe(0);
  });

  it("an empty distribution has no mass: cdf 0, NaN mean and quantile", () => {
    const d = Distribution.fromExact([]);
    expect(d.total).toBe(0);
    expect(d.cdf(1)).toBe(0);
    expect(d.mean()).toBeNaN();
    expect(d.quantile(0.5)).toBeNaN();
    expect(d.outsideShare(0, 1)).toBe(0);
  });
});

describe("ksStatistic and wasserstein1 on exact inputs equal scipy", () => {
  it("ks_2samp statistic with ties and negative values", () => {
    expect(ksStatistic(exact(aSmall), exact(bSmall))).toBeCloseTo(scipy.small.ks, 14);
    expect(ksStatistic(exact(bSmall), exact(aSmall))).toBeCloseTo(scipy.small.ks, 14);
  });

  it("ks_2samp statistic on 300 vs 200 values", () => {
    expect(Math.abs(ksStatistic(exact(aFormula), exact(bFormula)) - scipy.formula.ks)).toBeLessThan(1e-12);
  });

  it("wasserstein_distance to 1e-9 relative, symmetric", () => {
    const small = wasserstein1(exact(aSmall), exact(bSmall));
    expect(Math.abs(small - scipy.small.wasserstein)).toBeLessThan(1e-9 * scipy.small.wasserstein);
    expect(Math.abs(wasserstein1(exact(bSmall), exact(aSmall)) - small)).toBeLessThan(1e-12);
    const formula = wasserstein1(exact(aFormula), exact(bFormula));
    expect(Math.abs(formula - scipy.formula.wasserstein)).toBeLessThan(1e-9 * scipy.formula.wasserstein);
  });

  it("identical samples: 0; disjoint samples: KS 1 and W1 the gap", () => {
    expect(ksStatistic(exact(aFormula), exact(aFormula))).toBe(0);
    expect(wasserstein1(exact(aFormula), exact(aFormula))).toBe(0);
    expect(ksStatistic(exact([1, 2, 3]), exact([10, 11]))).toBe(scipy.disjoint.ks);
    expect(wasserstein1(exact([1, 2, 3]), exact([10, 11]))).toBeCloseTo(scipy.disjoint.wasserstein, 12);
  });

  it("W1 of a pure shift is the shift; KS is invariant under a common monotone transform", () => {
    const shifted = aFormula.map((v) => v + 2.5);
    expect(wasserstein1(exact(aFormula), exact(shifted))).toBeCloseTo(2.5, 9);
    const cube = (values: number[]) => values.map((v) => v ** 3);
    expect(ksStatistic(exact(cube(aFormula)), exact(cube(bFormula)))).toBeCloseTo(scipy.formula.ks, 12);
  });
});

describe("sketch forms (fromSketch, fromBuckets)", () => {
  const values = lognormalSample(3, 5000);
  const truth = exact(values);
  const fromSketch = Distribution.fromSketch(sketchOf(values).toJSON());
  const fromBuckets = Distribution.fromBuckets(bucketsOf(values));

  it("a baseline sketch and window buckets of the same values are the same distribution", () => {
    expect(fromSketch.exact).toBe(false);
    expect([...fromBuckets.values]).toEqual([...fromSketch.values]);
    expect([...fromBuckets.counts]).toEqual([...fromSketch.counts]);
    expect(fromBuckets.total).toBe(5000);
    expect(ksStatistic(fromSketch, fromBuckets)).toBe(0);
    expect(wasserstein1(fromSketch, fromBuckets)).toBe(0);
  });

  it("every quantile is within 1 % (relative) of the exact one", () => {
    for (let i = 0; i <= 200; i++) {
      const q = i / 200;
      const expected = truth.quantile(q);
      const bound = sketchAccuracy * Math.abs(expected) * (1 + 1e-12);
      expect(Math.abs(fromSketch.quantile(q) - expected), `q=${q}`).toBeLessThanOrEqual(bound);
      expect(Math.abs(fromBuckets.quantile(q) - expected), `q=${q}`).toBeLessThanOrEqual(bound);
    }
  });

  it("the mean is within α·mean|x| of the exact mean", () => {
    expect(Math.abs(fromBuckets.mean() - truth.mean())).toBeLessThanOrEqual(sketchAccuracy * meanAbs(values));
  });

  it("zero and negative buckets are ordered and zeros are exact", () => {
    const mixed = [-5, -5, -0.2, 0, 0, 0, 0.3, 4];
    const d = Distribution.fromBuckets(bucketsOf(mixed));
    expect([...d.counts]).toEqual([2, 1, 3, 1, 1]);
    expect(d.values[2]).toBe(0);
    expect([...d.values]).toEqual([...d.values].sort((x, y) => x - y));
    expect(Distribution.fromSketch(sketchOf(mixed).toJSON()).values).toEqual(d.values);
  });

  it("empty buckets and zero counts are ignored", () => {
    const d = Distribution.fromBuckets([
      ["p10", 0],
      ["z", 2],
    ]);
    expect([...d.values]).toEqual([0]);
    expect(Distribution.fromBuckets([]).total).toBe(0);
  });
});

describe("statistics on bucketed inputs stay within the sketch error", () => {
  // Moving every value to its bucket's representative moves it by at most α·|x|, so by the
  // triangle inequality |W1(binned a, binned b) − W1(a, b)| ≤ α·(mean|a| + mean|b|).
  it.each([
    [0.0, 11],
    [0.3, 12],
    [2.0, 13],
  ])("wasserstein1: shift %f", (shift, seed) => {
    const a = lognormalSample(seed, 3000);
    const b = lognormalSample(seed + 100, 2000, shift);
    const raw = wasserstein1(exact(a), exact(b));
    const binned = wasserstein1(
      Distribution.fromBuckets(bucketsOf(a)),
      Distribution.fromBuckets(bucketsOf(b)),
    );
    expect(Math.abs(binned - raw)).toBeLessThanOrEqual(sketchAccuracy * (meanAbs(a) + meanAbs(b)));
    const halfBinned = wasserstein1(exact(a), Distribution.fromBuckets(bucketsOf(b)));
    expect(Math.abs(halfBinned - raw)).toBeLessThanOrEqual(sketchAccuracy * meanAbs(b));
  });

  // With the same buckets on both sides, the binned KS statistic is the supremum over bucket
  // edges only: never above the raw D, and below it by at most the largest bucket share.
  it.each([
    [0.0, 21],
    [0.3, 22],
  ])("ksStatistic: shift %f", (shift, seed) => {
    const a = lognormalSample(seed, 3000);
    const b = lognormalSample(seed + 100, 2000, shift);
    const raw = ksStatistic(exact(a), exact(b));
    const da = Distribution.fromBuckets(bucketsOf(a));
    const db = Distribution.fromBuckets(bucketsOf(b));
    const binned = ksStatistic(da, db);
    const largestShare = Math.max(
      ...[...da.counts].map((c) => c / da.total),
      ...[...db.counts].map((c) => c / db.total),
    );
    expect(binned).toBeLessThanOrEqual(raw + 1e-12);
    expect(raw - binned).toBeLessThanOrEqual(largestShare + 1e-12);
  });
});
