import { describe, expect, it } from "vitest";
import { gammaPoissonSurprise } from "../src/index.js";

describe("gammaPoissonSurprise", () => {
  it("with shape 1 the count is geometric: P(N ≥ n) = (t / (β + t))^n", () => {
    for (const [n, beta, t] of [
      [1, 2, 0.5],
      [7, 1, 0.5],
      [40, 3, 0.25],
    ] as const) {
      expect(gammaPoissonSurprise(n, 1, beta, t)).toBeCloseTo(-n * Math.log(t / (beta + t)), 9);
    }
  });

  it("approaches the Poisson tail as the rate belief tightens (shape → ∞ at a fixed mean)", () => {
    // Poisson(0.5): P(N ≥ 6) = 1 − e^-0.5 Σ_{k<6} 0.5^k / k!
    let cdf = 0;
    let term = Math.exp(-0.5);
    for (let k = 0; k < 6; k++) {
      cdf += term;
      term *= 0.5 / (k + 1);
    }
    const poisson = -Math.log(1 - cdf);
    const tight = gammaPoissonSurprise(6, 1e7, 1e7, 0.5);
    expect(tight).toBeCloseTo(poisson, 4);
    // An uncertain rate makes the same count less surprising.
    expect(gammaPoissonSurprise(6, 2, 2, 0.5)).toBeLessThan(poisson - 1);
  });

  it("keeps relative accuracy far in the tail and is 0 for no events", () => {
    const deep = gammaPoissonSurprise(200, 5, 10, 0.5);
    expect(Number.isFinite(deep)).toBe(true);
    expect(deep).toBeGreaterThan(200);
    expect(gammaPoissonSurprise(0, 1, 1, 1)).toBe(0);
    expect(gammaPoissonSurprise(3, 1, 1, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(() => gammaPoissonSurprise(3, 0, 1, 1)).toThrow(/shape > 0/);
  });
});
