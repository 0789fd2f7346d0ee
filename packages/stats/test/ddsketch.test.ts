import { describe, expect, it } from "vitest";
import { DDSketch, type DDSketchJSON, ks2samp, ksTestSketches } from "../src/index.js";
import { XorShift32 } from "./helpers.js";

type Dist = (rng: XorShift32) => number;

const distributions: Record<string, Dist> = {
  normal: (r) => r.normal(),
  "normal far from 0": (r) => 1000 + 10 * r.normal(),
  lognormal: (r) => Math.exp(2 * r.normal()),
  "pareto (heavy tail)": (r) => 1 / (1 - r.uniform()) ** 2,
  uniform: (r) => r.uniform(),
  "tiny values": (r) => 1e-9 * r.uniform(),
  "negative exponential": (r) => Math.log(1 - r.uniform()),
  "with zeros and negatives": (r) => {
    const u = r.uniform();
    if (u < 0.2) return 0;
    if (u < 0.5) return -Math.exp(r.normal());
    return Math.exp(3 * r.normal());
  },
  "integers with ties": (r) => Math.floor(r.uniform() * 7) - 3,
};

function draw(dist: Dist, seed: number, n: number): number[] {
  const rng = new XorShift32(seed);
  return Array.from({ length: n }, () => dist(rng));
}

function sketchOf(values: number[], alpha = 0.01, maxBins?: number): DDSketch {
  const s = new DDSketch({ relativeAccuracy: alpha, maxBinsPerSign: maxBins });
  for (const v of values) s.add(v);
  return s;
}

const viaJSON = (s: DDSketch): DDSketch => DDSketch.fromJSON(JSON.parse(JSON.stringify(s)) as DDSketchJSON);

const QS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

describe("DDSketch relative-error guarantee", () => {
  for (const alpha of [0.01, 0.05]) {
    for (const [name, dist] of Object.entries(distributions)) {
      it(`every quantile within alpha=${alpha} of the true value: ${name}`, () => {
        const values = draw(dist, 42, 20000);
        const sketch = sketchOf(values, alpha);
        const sorted = [...values].sort((a, b) => a - b);
        for (let i = 0; i <= 200; i++) {
          const q = i < QS.length ? (QS[i] as number) : (i - QS.length) / (200 - QS.length);
          const truth = sorted[Math.floor(q * (values.length - 1))] as number;
          const est = sketch.quantile(q);
          const err = Math.abs(est - truth);
          if (err > alpha * Math.abs(truth) * (1 + 1e-12)) {
            expect.fail(`q=${q}: estimate ${est}, true ${truth}, relative error ${err / Math.abs(truth)}`);
          }
        }
        expect(sketch.quantile(0)).toBe(sorted[0]);
        expect(sketch.quantile(1)).toBe(sorted[sorted.length - 1]);
        expect(sketch.count).toBe(values.length);
        expect(sketch.collapsed).toBe(false);
      });
    }
  }

  it("is exact for zero and handles the empty sketch", () => {
    const s = new DDSketch();
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.min).toBeNaN();
    s.add(0, 5);
    expect(s.quantile(0.5)).toBe(0);
    expect(s.zeroCount).toBe(5);
  });

  it("a bound that is too tight fails (the test can fail)", () => {
    const values = draw(distributions.lognormal as Dist, 1, 5000);
    const sketch = sketchOf(values, 0.05);
    const sorted = [...values].sort((a, b) => a - b);
    let worst = 0;
    for (let i = 1; i < 100; i++) {
      const truth = sorted[Math.floor((i / 100) * (values.length - 1))] as number;
      worst = Math.max(worst, Math.abs(sketch.quantile(i / 100) - truth) / truth);
    }
    expect(worst).toBeGreaterThan(0.005);
    expect(worst).toBeLessThanOrEqual(0.05 * (1 + 1e-12));
  });

  it("rejects non-finite values and bad options", () => {
    const s = new DDSketch();
    expect(() => s.add(Number.NaN)).toThrow(RangeError);
    expect(() => s.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => s.add(1, 0)).toThrow(RangeError);
    expect(() => new DDSketch({ relativeAccuracy: 0 })).toThrow(RangeError);
    expect(() => new DDSketch({ maxBinsPerSign: 0 })).toThrow(RangeError);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
  });
});

describe("DDSketch merge", () => {
  const parts = [
    draw(distributions["with zeros and negatives"] as Dist, 7, 3000),
    draw(distributions.lognormal as Dist, 8, 2000),
    draw(distributions["negative exponential"] as Dist, 9, 2500),
  ] as [number[], number[], number[]];

  for (const maxBins of [2048, 40]) {
    it(`merge(a, b) is identical to the sketch of the concatenated stream (maxBinsPerSign=${maxBins})`, () => {
      const [pa, pb, pc] = parts;
      const a = sketchOf(pa, 0.01, maxBins);
      const b = sketchOf(pb, 0.01, maxBins);
      const c = sketchOf(pc, 0.01, maxBins);
      expect(DDSketch.merge(a, b).toJSON()).toEqual(sketchOf([...pa, ...pb], 0.01, maxBins).toJSON());
      // order of the stream does not matter either
      expect(sketchOf([...pb, ...pa].reverse(), 0.01, maxBins).toJSON()).toEqual(
        DDSketch.merge(a, b).toJSON(),
      );
      const left = DDSketch.merge(DDSketch.merge(a, b), c).toJSON();
      const right = DDSketch.merge(a, DDSketch.merge(b, c)).toJSON();
      expect(left).toEqual(right);
      expect(left).toEqual(sketchOf([...pa, ...pb, ...pc], 0.01, maxBins).toJSON());
      expect(DDSketch.merge(c, a).toJSON()).toEqual(DDSketch.merge(a, c).toJSON());
    });
  }

  it("merging many small sketches (as replicas do) equals one sketch", () => {
    const all = draw(distributions.normal as Dist, 10, 10000);
    const merged = new DDSketch();
    for (let i = 0; i < all.length; i += 137) merged.mergeFrom(viaJSON(sketchOf(all.slice(i, i + 137))));
    expect(merged.toJSON()).toEqual(sketchOf(all).toJSON());
  });

  it("refuses sketches with a different accuracy", () => {
    expect(() => new DDSketch().mergeFrom(new DDSketch({ relativeAccuracy: 0.02 }))).toThrow(RangeError);
  });
});

describe("DDSketch bounded size (collapsing lowest)", () => {
  it("keeps at most maxBinsPerSign keys per sign and keeps the guarantee for large values", () => {
    // Magnitudes spanning 1e-12 .. 1e12: far more than 100 buckets at alpha = 0.01.
    const rng = new XorShift32(11);
    const values = Array.from({ length: 20000 }, () => {
      const v = 10 ** (24 * rng.uniform() - 12);
      return rng.uniform() < 0.3 ? -v : v;
    });
    const s = sketchOf(values, 0.01, 100);
    const json = s.toJSON();
    expect(json.positive.counts.length).toBeLessThanOrEqual(100);
    expect(json.negative.counts.length).toBeLessThanOrEqual(100);
    expect(json.positive.collapsed).toBe(true);
    expect(s.collapsed).toBe(true);
    expect(s.count).toBe(values.length);
    const sorted = [...values].sort((a, b) => a - b);
    // Positive buckets kept: keys maxKey-99..maxKey, i.e. values above gamma^(maxKey-100).
    const gamma = 1.01 / 0.99;
    const keep = gamma ** (json.positive.offset - 1);
    for (let i = 0; i <= 100; i++) {
      const q = i / 100;
      const truth = sorted[Math.floor(q * (values.length - 1))] as number;
      if (truth <= keep) continue;
      expect(Math.abs(s.quantile(q) - truth)).toBeLessThanOrEqual(0.01 * truth * (1 + 1e-12));
    }
  });
});

describe("DDSketch serialization", () => {
  it("round-trips through JSON text and continues identically", () => {
    const values = draw(distributions["with zeros and negatives"] as Dist, 12, 5000);
    const s = sketchOf(values.slice(0, 2500));
    const restored = viaJSON(s);
    expect(restored.toJSON()).toEqual(s.toJSON());
    for (const v of values.slice(2500)) {
      s.add(v);
      restored.add(v);
    }
    expect(restored.toJSON()).toEqual(s.toJSON());
    expect(restored.toJSON()).toEqual(sketchOf(values).toJSON());
    for (const q of QS) expect(restored.quantile(q)).toBe(s.quantile(q));
  });

  it("serializes only the used key range", () => {
    const s = sketchOf([1, 1.5, 2]);
    const json = s.toJSON();
    expect(json.negative.counts).toEqual([]);
    expect(json.positive.counts[0]).toBeGreaterThan(0);
    expect(json.positive.counts[json.positive.counts.length - 1]).toBeGreaterThan(0);
    expect(JSON.stringify(json).length).toBeLessThan(400);
  });

  it("rejects inconsistent JSON", () => {
    const json = sketchOf([1, 2, 3]).toJSON();
    expect(() => DDSketch.fromJSON({ ...json, count: 4 })).toThrow(RangeError);
    expect(() => DDSketch.fromJSON({ ...json, min: null })).toThrow(RangeError);
    expect(() => DDSketch.fromJSON({ ...json, positive: { ...json.positive, counts: [-1] } })).toThrow(
      RangeError,
    );
  });
});

describe("KS between sketches", () => {
  it("brackets the raw two-sample KS statistic", () => {
    for (const [seedB, shift] of [
      [21, 0],
      [22, 0.05],
      [23, 0.3],
      [24, -2],
    ] as const) {
      const a = draw(distributions["with zeros and negatives"] as Dist, 20, 4000);
      const b = draw(distributions["with zeros and negatives"] as Dist, seedB, 3000).map((x) => x + shift);
      const approx = ksTestSketches(sketchOf(a), sketchOf(b));
      const raw = ks2samp(a, b);
      expect(approx.statistic).toBeLessThanOrEqual(raw.statistic + 1e-12);
      expect(raw.statistic).toBeLessThanOrEqual(approx.statisticUpperBound + 1e-12);
      // with alpha = 0.01 the bucket effect on D is small here
      expect(raw.statistic - approx.statistic).toBeLessThan(0.05);
    }
  });
});
