import { describe, expect, it } from "vitest";
import { FixedBinHistogram, ks2samp, ksTestHistograms, psi, quantileEdges } from "../src/index.js";
import { XorShift32 } from "./helpers.js";

function sample(seed: number, n: number, shift = 0): number[] {
  const rng = new XorShift32(seed);
  return Array.from({ length: n }, () => rng.normal() + shift);
}

const roundTrip = (h: FixedBinHistogram): FixedBinHistogram =>
  FixedBinHistogram.fromJSON(JSON.parse(JSON.stringify(h)));

describe("FixedBinHistogram bins", () => {
  it("has underflow, half-open interior bins, a closed last bin and overflow", () => {
    const h = new FixedBinHistogram([0, 1, 2]);
    expect(h.counts.length).toBe(4);
    expect(h.binOf(-0.1)).toBe(0);
    expect(h.binOf(0)).toBe(1);
    expect(h.binOf(0.999)).toBe(1);
    expect(h.binOf(1)).toBe(2);
    expect(h.binOf(2)).toBe(2);
    expect(h.binOf(2.0001)).toBe(3);
    expect(h.binOf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(h.binOf(Number.POSITIVE_INFINITY)).toBe(3);
    h.add(Number.NaN);
    h.add(0.5, 3);
    expect(h.nanCount).toBe(1);
    expect(h.total).toBe(3);
    expect(Array.from(h.counts)).toEqual([0, 3, 0, 0]);
  });

  it("agrees with a linear scan for many values and edges", () => {
    const edges = quantileEdges(sample(1, 1000), 17);
    const h = new FixedBinHistogram(edges);
    for (const x of sample(2, 2000, 0.3)) {
      let expected = 0;
      if (x > (edges[edges.length - 1] as number)) expected = edges.length;
      else if (x === edges[edges.length - 1]) expected = edges.length - 1;
      else for (let i = 0; i < edges.length; i++) if (x >= (edges[i] as number)) expected = i + 1;
      expect(h.binOf(x)).toBe(expected);
    }
  });

  it("quantile edges split the baseline into nearly equal bins", () => {
    const base = sample(3, 10000);
    const h = FixedBinHistogram.fromBaseline(base, 10);
    expect(h.edges.length).toBe(11);
    expect(h.counts[0]).toBe(0);
    expect(h.counts[11]).toBe(0);
    for (let i = 1; i <= 10; i++) expect(Math.abs((h.counts[i] as number) - 1000)).toBeLessThanOrEqual(1);
  });

  it("dedupes edges for discrete baselines and keeps a bin for a constant one", () => {
    expect(quantileEdges([1, 1, 1, 2, 2, 3], 10)).toEqual([1, 1.5, 2, 2.5, 3]);
    const c = quantileEdges([5, 5, 5], 4);
    expect(c[0]).toBe(5);
    expect(c.length).toBe(2);
    const h = new FixedBinHistogram(c);
    expect([h.binOf(4.9), h.binOf(5), h.binOf(5.1)]).toEqual([0, 1, 2]);
    expect(() => quantileEdges([Number.NaN], 3)).toThrow(RangeError);
  });

  it("validates edges", () => {
    expect(() => new FixedBinHistogram([])).toThrow(RangeError);
    expect(() => new FixedBinHistogram([0, 0])).toThrow(RangeError);
    expect(() => new FixedBinHistogram([0, Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe("FixedBinHistogram merge and serialization", () => {
  const edges = quantileEdges(sample(4, 5000), 20);
  const streams = [sample(5, 3000), sample(6, 1000, 0.5), sample(7, 2500, -1)];
  const fill = (xs: number[]): FixedBinHistogram => {
    const h = new FixedBinHistogram(edges);
    for (const x of xs) h.add(x);
    return h;
  };
  const [a, b, c] = streams.map(fill) as [FixedBinHistogram, FixedBinHistogram, FixedBinHistogram];

  it("merge(a, b) equals the histogram of the concatenated stream", () => {
    const concat = fill([...(streams[0] as number[]), ...(streams[1] as number[])]);
    expect(FixedBinHistogram.merge(a, b).toJSON()).toEqual(concat.toJSON());
  });

  it("merge is associative and commutative", () => {
    const left = FixedBinHistogram.merge(FixedBinHistogram.merge(a, b), c).toJSON();
    const right = FixedBinHistogram.merge(a, FixedBinHistogram.merge(b, c)).toJSON();
    expect(left).toEqual(right);
    expect(FixedBinHistogram.merge(b, a).toJSON()).toEqual(FixedBinHistogram.merge(a, b).toJSON());
  });

  it("round-trips through JSON text and continues identically", () => {
    const copy = roundTrip(a);
    expect(copy.toJSON()).toEqual(a.toJSON());
    copy.add(0.1);
    const orig = a.clone();
    orig.add(0.1);
    expect(copy.toJSON()).toEqual(orig.toJSON());
  });

  it("refuses to merge different edges and invalid JSON", () => {
    expect(() => a.mergeFrom(new FixedBinHistogram([0, 1]))).toThrow(RangeError);
    expect(() => FixedBinHistogram.fromJSON({ v: 1, edges: [0, 1], counts: [1, 2], nanCount: 0 })).toThrow(
      RangeError,
    );
    expect(() =>
      FixedBinHistogram.fromJSON({ v: 1, edges: [0, 1], counts: [1, -2, 0], nanCount: 0 }),
    ).toThrow(RangeError);
  });
});

describe("KS and PSI on histograms", () => {
  it("binned KS brackets the raw KS statistic", () => {
    const base = sample(8, 4000);
    const edges = quantileEdges(base, 20);
    for (const [seed, shift] of [
      [9, 0],
      [10, 0.1],
      [11, 0.5],
      [12, -1],
    ] as const) {
      const cur = sample(seed, 1500, shift);
      const ha = new FixedBinHistogram(edges);
      const hb = new FixedBinHistogram(edges);
      for (const x of base) ha.add(x);
      for (const x of cur) hb.add(x);
      const binned = ksTestHistograms(ha, hb);
      const raw = ks2samp(base, cur);
      expect(binned.statistic).toBeLessThanOrEqual(raw.statistic + 1e-12);
      expect(raw.statistic).toBeLessThanOrEqual(binned.statisticUpperBound + 1e-12);
    }
  });

  it("PSI over the shared bins grows with the shift", () => {
    const base = FixedBinHistogram.fromBaseline(sample(13, 5000), 10);
    const psiFor = (shift: number): number => {
      const h = new FixedBinHistogram(base.edges);
      for (const x of sample(14, 5000, shift)) h.add(x);
      return psi(base.counts, h.counts);
    };
    const p0 = psiFor(0);
    const p1 = psiFor(0.25);
    const p2 = psiFor(1);
    expect(p0).toBeLessThan(0.02);
    expect(p1).toBeGreaterThan(p0);
    expect(p2).toBeGreaterThan(0.25);
  });
});
