import { describe, expect, it } from "vitest";
import {
  type KsMethod,
  kolmogorovSmirnovSf,
  ks2samp,
  ks2sampBinned,
  ks2sampPValue,
  smirnovSf,
} from "../src/index.js";
import { dataOf, expectClose, type FixtureMeta, fixture, type GenSpec } from "./helpers.js";

interface KsFixture {
  meta: FixtureMeta;
  cases: {
    name: string;
    a: number[] | GenSpec;
    b: number[] | GenSpec;
    method: KsMethod;
    statistic: number;
    pvalue: number;
  }[];
  kstwo: { n: number; x: number; sf: number }[];
  smirnov: { n: number; x: number; sf: number }[];
}

const fx = fixture<KsFixture>("ks.json");

describe("ks2samp matches scipy.stats.ks_2samp (two-sided)", () => {
  it("records the scipy version", () => {
    expect(fx.meta.scipy).toMatch(/^\d+\.\d+/);
  });

  for (const c of fx.cases) {
    it(`${c.name} (${c.method})`, () => {
      const res = ks2samp(dataOf(c.a), dataOf(c.b), { method: c.method });
      expectClose(res.statistic, c.statistic, 1e-9, 0, "statistic");
      expectClose(res.pvalue, c.pvalue, 1e-9, 1e-300, "pvalue");
    });
  }
});

describe("kolmogorovSmirnovSf matches scipy.stats.kstwo.sf", () => {
  it(`${fx.kstwo.length} points across all algorithm branches`, () => {
    for (const p of fx.kstwo) {
      expectClose(kolmogorovSmirnovSf(p.n, p.x), p.sf, 1e-9, 1e-290, `kstwo.sf(${p.x}, ${p.n})`);
    }
  });
});

describe("smirnovSf matches scipy.special.smirnov", () => {
  it(`${fx.smirnov.length} points`, () => {
    for (const p of fx.smirnov) {
      expectClose(smirnovSf(p.n, p.x), p.sf, 1e-9, 1e-290, `smirnov(${p.n}, ${p.x})`);
    }
  });
});

describe("ks2samp properties", () => {
  it("rejects empty samples and NaN", () => {
    expect(() => ks2samp([], [1])).toThrow(RangeError);
    expect(() => ks2samp([1, Number.NaN], [1])).toThrow(RangeError);
  });

  it("is symmetric in its arguments", () => {
    const a = [0.1, 0.5, 0.9, 1.3, 2.2];
    const b = [0.3, 0.35, 0.4, 2.5];
    const ab = ks2samp(a, b);
    const ba = ks2samp(b, a);
    expect(ba.statistic).toBe(ab.statistic);
    expect(ba.pvalue).toBe(ab.pvalue);
  });

  it("chooses exact up to 10000 and asymptotic above, like scipy's auto", () => {
    expect(ks2sampPValue(0.1, 10000, 50).method).toBe("exact");
    expect(ks2sampPValue(0.1, 10001, 50).method).toBe("asymp");
  });

  it("binned KS equals raw KS when every bin holds distinct values", () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [2.5, 3.5, 7, 8];
    // bins: one per distinct value of the union, in order
    const values = [...new Set([...a, ...b])].sort((x, y) => x - y);
    const ca = values.map((v) => a.filter((x) => x === v).length);
    const cb = values.map((v) => b.filter((x) => x === v).length);
    const binned = ks2sampBinned(ca, cb);
    const raw = ks2samp(a, b);
    expect(binned.statistic).toBe(raw.statistic);
    expect(binned.pvalue).toBe(raw.pvalue);
  });
});
