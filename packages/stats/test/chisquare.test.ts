import { describe, expect, it } from "vitest";
import {
  chi2Contingency,
  chiSquareSf,
  chiSquareTwoSample,
  logGamma,
  regularizedGammaP,
  regularizedGammaQ,
} from "../src/index.js";
import { expectClose, type FixtureMeta, fixture } from "./helpers.js";

interface Chi2Fixture {
  meta: FixtureMeta;
  chi2sf: { k: number; x: number; sf: number }[];
  gammainc: { a: number; x: number; q: number; p: number }[];
  contingency: {
    name: string;
    table: number[][];
    correction: boolean;
    statistic: number;
    pvalue: number;
    dof: number;
  }[];
}

const fx = fixture<Chi2Fixture>("chi2.json");

describe("chi-square survival function matches scipy.stats.chi2.sf", () => {
  it("records the scipy version", () => {
    expect(fx.meta.scipy).toMatch(/^\d+\.\d+/);
  });

  it(`${fx.chi2sf.length} points, dof 1..100000`, () => {
    for (const p of fx.chi2sf)
      expectClose(chiSquareSf(p.x, p.k), p.sf, 1e-9, 1e-300, `chi2.sf(${p.x}, ${p.k})`);
  });

  it("regularized incomplete gamma P and Q match scipy.special.gammainc/gammaincc", () => {
    for (const p of fx.gammainc) {
      expectClose(regularizedGammaQ(p.a, p.x), p.q, 1e-9, 1e-300, `Q(${p.a}, ${p.x})`);
      expectClose(regularizedGammaP(p.a, p.x), p.p, 1e-9, 1e-300, `P(${p.a}, ${p.x})`);
    }
  });

  it("logGamma matches mpmath.loggamma", () => {
    const cases: [number, number][] = [
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247001],
      [1, 0],
      [2.5, 0.2846828704729192],
      [10, 12.801827480081469],
      [15.5, 26.536914491115613],
      [16.2, 28.448758416617807],
      [100.5, 361.4355404677776],
      [12345.678, 103959.91990554606],
    ];
    for (const [x, v] of cases) expectClose(logGamma(x), v, 1e-13, 1e-15, `logGamma(${x})`);
    expect(() => logGamma(0)).toThrow(RangeError);
  });

  it("handles the ends", () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(-1, 3)).toBe(1);
    expect(chiSquareSf(Number.POSITIVE_INFINITY, 3)).toBe(0);
    expect(chiSquareSf(1, 0)).toBeNaN();
    expect(regularizedGammaP(2, 0)).toBe(0);
  });
});

describe("chi2Contingency matches scipy.stats.chi2_contingency", () => {
  for (const c of fx.contingency) {
    it(`${c.name} (correction=${c.correction})`, () => {
      const res = chi2Contingency(c.table, { correction: c.correction });
      expect(res.dof).toBe(c.dof);
      expectClose(res.statistic, c.statistic, 1e-9, 1e-300, "statistic");
      expectClose(res.pvalue, c.pvalue, 1e-9, 1e-300, "pvalue");
    });
  }

  it("applies Yates' correction only when dof is 1", () => {
    const t = [
      [12, 5],
      [7, 15],
    ];
    expect(chi2Contingency(t).statistic).toBeLessThan(chi2Contingency(t, { correction: false }).statistic);
    const t3 = [
      [12, 5, 9],
      [7, 15, 9],
    ];
    expect(chi2Contingency(t3).statistic).toBe(chi2Contingency(t3, { correction: false }).statistic);
  });

  it("rejects zero expected frequencies, negative counts and ragged tables like scipy", () => {
    expect(() =>
      chi2Contingency([
        [1, 0],
        [2, 0],
      ]),
    ).toThrow(/zero element/);
    expect(() =>
      chi2Contingency([
        [1, -1],
        [2, 3],
      ]),
    ).toThrow(RangeError);
    expect(() => chi2Contingency([[1, 2], [3]])).toThrow(RangeError);
  });
});

describe("chiSquareTwoSample", () => {
  it("equals chi2Contingency on the 2 x k table after dropping empty categories", () => {
    const ref = [100, 0, 50, 25];
    const cur = [80, 0, 70, 20];
    const expected = chi2Contingency([
      [100, 50, 25],
      [80, 70, 20],
    ]);
    expect(chiSquareTwoSample(ref, cur)).toEqual(expected);
  });

  it("returns p = 1 with dof 0 when there is nothing to compare", () => {
    expect(chiSquareTwoSample([5, 0], [7, 0])).toEqual({ statistic: 0, pvalue: 1, dof: 0 });
    expect(chiSquareTwoSample([0, 0], [7, 3])).toEqual({ statistic: 0, pvalue: 1, dof: 0 });
  });

  it("detects a shifted distribution and not an identical one", () => {
    expect(chiSquareTwoSample([500, 300, 200], [200, 300, 500]).pvalue).toBeLessThan(1e-50);
    expect(chiSquareTwoSample([500, 300, 200], [500, 300, 200]).pvalue).toBe(1);
  });
});
