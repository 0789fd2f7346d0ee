import { normalDraw as normal, seededUniform as rng } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { BaselineBuilder } from "../src/domain/baseline-profile.js";
import {
  PcaAccumulator,
  type PcaModel,
  reconstructionError,
  reconstructionThreshold,
} from "../src/domain/pca.js";

type Row = Record<string, number>;

/** a, b, c move together (b ≈ 2a + 10, c ≈ −a); d and e are independent noise. */
function correlatedRow(random: () => number): Row {
  const a = normal(random, 5, 2);
  return {
    a,
    b: 2 * a + 10 + normal(random, 0, 0.3),
    c: -a + normal(random, 0, 0.2),
    d: normal(random, 100, 15),
    e: normal(random, -3, 0.5),
  };
}

/** Same marginal distributions for a, b and c, but the link between a and b is broken. */
function brokenRow(random: () => number): Row {
  const row = correlatedRow(random);
  const independent = normal(random, 5, 2);
  return { ...row, b: 2 * independent + 10 + normal(random, 0, 0.3) };
}

function fit(rows: Row[], components = 3): PcaModel {
  const builder = new BaselineBuilder("m", new Set(), components);
  for (const row of rows) builder.addRow({ features: row });
  const model = builder.build().pca;
  if (!model) throw new Error("expected a PCA model");
  return model;
}

const meanError = (model: PcaModel, rows: Row[]) =>
  rows.reduce((sum, row) => sum + reconstructionError(model, row), 0) / rows.length;

describe("PCA reconstruction (NannyML-style multivariate drift)", () => {
  const random = rng(2024);
  const reference = Array.from({ length: 2000 }, () => correlatedRow(random));
  const model = fit(reference);

  it("standardizes the numeric features and keeps orthonormal components", () => {
    expect(model.features).toEqual(["a", "b", "c", "d", "e"]);
    expect(model.components).toHaveLength(3);
    expect(model.mean[0]).toBeCloseTo(5, 0);
    expect(model.std[3]).toBeCloseTo(15, -0.5);
    for (const [i, u] of model.components.entries()) {
      for (const [j, v] of model.components.entries()) {
        const dot = u.reduce((sum, x, k) => sum + x * (v[k] as number), 0);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
    // a, b, c are one direction (λ ≈ 3), d and e one each: 3 components explain nearly everything
    expect(model.explainedVariance).toBeGreaterThan(0.95);
  });

  it("referenceError predicts the error of new rows from the same distribution (held out, not in-sample)", () => {
    const fresh = Array.from({ length: 5_000 }, () => correlatedRow(random));
    const v = model.referenceErrorVariance;
    const standardError = Math.sqrt(v / model.referenceRows + v / fresh.length);
    expect(Math.abs(meanError(model, fresh) - model.referenceError)).toBeLessThan(3 * standardError);
    expect(model.referenceRows).toBe(250);
  });

  it("new rows from the same distribution stay under the threshold", () => {
    const fresh = Array.from({ length: 500 }, () => correlatedRow(random));
    expect(meanError(model, fresh)).toBeLessThan(reconstructionThreshold(model, 500));
  });

  it("rows that break the correlation are reconstructed far worse than rows that keep it", () => {
    const keep = Array.from({ length: 500 }, () => correlatedRow(random));
    const broken = Array.from({ length: 500 }, () => brokenRow(random));
    const kept = meanError(model, keep);
    const breaking = meanError(model, broken);
    expect(breaking).toBeGreaterThan(10 * kept);
    expect(breaking).toBeGreaterThan(reconstructionThreshold(model, 500));
  });

  it("the threshold is expected error + 3 standard errors, shrinking with the window size", () => {
    const t30 = reconstructionThreshold(model, 30);
    const t3000 = reconstructionThreshold(model, 3000);
    const v = model.referenceErrorVariance;
    expect(t30).toBeCloseTo(model.referenceError + 3 * Math.sqrt(v / 30 + v / model.referenceRows), 12);
    expect(t3000).toBeLessThan(t30);
    expect(t3000).toBeGreaterThan(model.referenceError);
    expect(reconstructionThreshold(model, 0)).toBeCloseTo(
      model.referenceError + 3 * Math.sqrt(v + v / model.referenceRows),
      12,
    );
  });

  it("a missing feature is imputed with the baseline mean", () => {
    const row = correlatedRow(random);
    const { d: _dropped, ...withoutD } = row;
    const atMean = { ...row, d: model.mean[3] as number };
    expect(reconstructionError(model, withoutD)).toBeCloseTo(reconstructionError(model, atMean), 12);
    expect(reconstructionError(model, { ...row, d: Number.NaN })).toBeCloseTo(
      reconstructionError(model, atMean),
      12,
    );
  });

  it("a row at the mean reconstructs perfectly", () => {
    const center = Object.fromEntries(model.features.map((name, i) => [name, model.mean[i] as number]));
    expect(reconstructionError(model, center)).toBeCloseTo(0, 12);
  });
});

describe("PCA model edge cases", () => {
  it("constant features are left out of the model (std 0 cannot be standardized)", () => {
    const random = rng(1);
    const rows = Array.from({ length: 100 }, () => ({ ...correlatedRow(random), constant: 7 }));
    const model = fit(rows);
    expect(model.features).not.toContain("constant");
    expect(model.std.every((s) => s > 0)).toBe(true);
    expect(Number.isFinite(reconstructionError(model, { ...(rows[0] as Row), constant: 8 }))).toBe(true);
  });

  it("keeps at most d − 1 components (something must be discarded to measure)", () => {
    const random = rng(3);
    const rows = Array.from({ length: 50 }, () => ({ x: normal(random), y: normal(random) }));
    const model = fit(rows, 3);
    expect(model.components).toHaveLength(1);
    expect(model.referenceError).toBeGreaterThan(0);
  });

  it("too few complete rows, fewer than two numeric features, or 0 components: no model", () => {
    // A quarter of a small reference is held out, and at least 10 rows must be.
    const accumulator = new PcaAccumulator(["x", "y"]);
    for (let i = 0; i < 39; i++) accumulator.add({ x: i, y: i * i });
    expect(accumulator.model(2)).toBeUndefined();
    accumulator.add({ x: 39, y: 39 * 39 });
    expect(accumulator.model(2)).toBeDefined();
    expect(accumulator.model(0)).toBeUndefined();

    const single = new BaselineBuilder("m");
    for (let i = 0; i < 50; i++) single.addRow({ features: { x: i, plan: "a" } });
    expect(single.build().pca).toBeUndefined();

    const off = new BaselineBuilder("m", new Set(), 0);
    for (let i = 0; i < 50; i++) off.addRow({ features: { x: i, y: i % 7 } });
    expect(off.build().pca).toBeUndefined();
  });

  it("rows with a missing feature do not enter the covariance", () => {
    const accumulator = new PcaAccumulator(["x", "y"]);
    const random = rng(9);
    for (let i = 0; i < 40; i++) accumulator.add({ x: normal(random), y: normal(random) });
    const before = accumulator.model(1);
    accumulator.add({ x: 1000 });
    accumulator.add({ x: 1000, y: Number.NaN });
    expect(accumulator.model(1)).toEqual(before);
  });
});
