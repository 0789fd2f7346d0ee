import { describe, expect, it } from "vitest";
import { jensenShannonDistance, psi, wassersteinDistance, wassersteinDistanceNorm } from "../src/index.js";
import { dataOf, expectClose, type FixtureMeta, fixture, type GenSpec } from "./helpers.js";

interface DistancesFixture {
  meta: FixtureMeta;
  jensenshannon: { name: string; p: number[]; q: number[]; base: number; value: number }[];
  wasserstein: {
    name: string;
    u: number[] | GenSpec;
    v: number[] | GenSpec;
    value: number;
    normed: number;
  }[];
  psi: { name: string; reference: number[]; current: number[]; value: number }[];
}

const fx = fixture<DistancesFixture>("distances.json");

describe("jensenShannonDistance matches scipy.spatial.distance.jensenshannon", () => {
  for (const c of fx.jensenshannon) {
    it(`${c.name} (base ${c.base})`, () => {
      expectClose(jensenShannonDistance(c.p, c.q, c.base), c.value, 1e-9, 1e-15, "js");
    });
  }

  it("is symmetric, 0 for identical and 1 (base 2) for disjoint distributions", () => {
    expect(jensenShannonDistance([1, 2, 3], [3, 2, 1])).toBe(jensenShannonDistance([3, 2, 1], [1, 2, 3]));
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBe(0);
    expectClose(jensenShannonDistance([1, 0], [0, 1]), 1, 1e-15, 0, "disjoint");
  });

  it("rejects mismatched or empty inputs", () => {
    expect(() => jensenShannonDistance([1], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannonDistance([0, 0], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannonDistance([-1, 2], [1, 2])).toThrow(RangeError);
  });
});

describe("wassersteinDistance matches scipy.stats.wasserstein_distance", () => {
  for (const c of fx.wasserstein) {
    it(c.name, () => {
      const u = dataOf(c.u);
      const v = dataOf(c.v);
      expectClose(wassersteinDistance(u, v), c.value, 1e-9, 0, "wasserstein");
      expectClose(wassersteinDistanceNorm(u, v), c.normed, 1e-9, 0, "normed (Evidently)");
    });
  }

  it("is the shift for a translated sample and symmetric", () => {
    const u = [0.5, 1.5, 4, 7];
    const v = u.map((x) => x + 3);
    expectClose(wassersteinDistance(u, v), 3, 1e-15, 0, "shift");
    expect(wassersteinDistance(u, v)).toBe(wassersteinDistance(v, u));
  });

  it("normalizes by max(std(reference), 0.001)", () => {
    expectClose(wassersteinDistanceNorm([2, 2, 2], [3, 3]), 1 / 0.001, 1e-15, 0, "constant reference");
  });
});

describe("psi (Evidently's formula and empty-bin rule)", () => {
  for (const c of fx.psi) {
    it(c.name, () => {
      expectClose(psi(c.reference, c.current), c.value, 1e-9, 0, "psi");
    });
  }

  it("is 0 for identical shares and uses 1e-4 for empty bins by default", () => {
    expect(psi([1, 2, 3], [2, 4, 6])).toBe(0);
    const r = [0.5, 0.5, 0];
    const c = [0.25, 0.25, 0.5];
    const expected = (0.5 - 0.25) * Math.log(0.5 / 0.25) * 2 + (0.0001 - 0.5) * Math.log(0.0001 / 0.5);
    expectClose(psi(r, c), expected, 1e-14, 0, "default epsilon");
    const withEps = (0.5 - 0.25) * Math.log(0.5 / 0.25) * 2 + (1e-6 - 0.5) * Math.log(1e-6 / 0.5);
    expectClose(psi(r, c, { epsilon: 1e-6 }), withEps, 1e-14, 0, "custom epsilon");
  });

  it("rejects mismatched bins and empty distributions", () => {
    expect(() => psi([1, 2], [1])).toThrow(RangeError);
    expect(() => psi([0, 0], [1, 1])).toThrow(RangeError);
  });
});
