import { normalDraw, seededUniform, shapiroWilk } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { decodeInt8, decodeUint12 } from "../../src/domain/clients/codec.js";
import {
  calibrateDelta,
  codeDistance,
  DEFAULT_PRADA_CONFIG,
  distanceCode,
  newPradaState,
  PRADA_PAPER_DELTA,
  type PradaConfig,
  type PradaState,
  pradaCompanions,
  pradaObserve,
  testValues,
} from "../../src/domain/clients/index.js";
import {
  benignClient,
  CALIBRATION_SEEDS,
  HELD_OUT_SEEDS,
  jbdaExtractor,
  lineSearchExtractor,
  type Query,
  uniformExtractor,
} from "./sim.js";

function feed(queries: readonly Query[], config: PradaConfig = DEFAULT_PRADA_CONFIG) {
  let state = newPradaState();
  let minW = Number.POSITIVE_INFINITY;
  let alarms = 0;
  for (const q of queries) {
    const o = pradaObserve(state, q.vector, q.label, config);
    state = o.state;
    if (o.w !== undefined) minW = Math.min(minW, o.w);
    if (o.alarm) alarms++;
  }
  return { state, minW, alarms };
}

const distances = (state: PradaState) => Array.from(decodeUint12(state.d), codeDistance);
const members = (state: PradaState, key: string) => decodeInt8(state.c[key]?.g ?? "").length / state.dim;

describe("pradaObserve: the paper's growing-set rule", () => {
  it("starts a class's growing set with its first query, without a distance", () => {
    const o = pradaObserve(newPradaState(), [1, 0], 0);
    expect(o).toMatchObject({ alarm: false, distances: 0 });
    expect(o.state.c["0"]).toEqual({ g: expect.any(String), k: 1, s: 0, q: 0, t: 0 });
    expect(members(o.state, "0")).toBe(1);
  });

  it("records d_min to the class's own set and grows the set when d_min > T_c", () => {
    let s = pradaObserve(newPradaState(), [0, 0], "a").state;
    s = pradaObserve(s, [2.5, 2.5], "b").state; // other class: its own set
    s = pradaObserve(s, [1.5, 2], "a").state; // d_min = 2.5 to (0, 0), not 1.1 to class b's (2.5, 2.5)
    const d = distanceCode(2.5);
    expect(decodeUint12(s.d)).toEqual(Uint16Array.of(d));
    expect(members(s, "a")).toBe(2);
    // D_{G_a} = {0, 2.5}: mean - std = 1.25 - 1.25 = 0, so T_a stays 0.
    expect(s.c.a).toMatchObject({ k: 2, s: d ** 2, q: d ** 4, t: 0 });
    s = pradaObserve(s, [1.5, 2], "a").state; // exact repeat: skipped by default
    expect(decodeUint12(s.d).length).toBe(1);
    s = pradaObserve(s, [3, 4], "a").state; // d_min = 2.5 again, > T_a = 0 -> added
    // D_{G_a} = {0, 2.5, 2.5}: T = mean - std = 5/3 - sqrt(25/18) ≈ 0.488, kept as floor(512 sqrt(T)).
    const mean = (2 * d ** 2) / 3;
    const t = Math.floor(Math.sqrt(mean - Math.sqrt((2 * d ** 4) / 3 - mean ** 2)));
    expect(t).toBe(Math.floor(512 * Math.sqrt(5 / 3 - Math.sqrt(25 / 18))));
    expect(s.c.a).toMatchObject({ k: 3, t });
    s = pradaObserve(s, [3.25, 4], "a").state; // d_min = 0.25 < T -> distance recorded, set unchanged
    expect(decodeUint12(s.d)).toEqual(Uint16Array.of(d, d, distanceCode(0.25)));
    expect(distances(s)[2]).toBeCloseTo(0.25, 3);
    expect(members(s, "a")).toBe(3);
    expect(s.c.a?.k).toBe(3);
  });

  it("keeps exact repeats as zero distances when skipRepeats is off (the paper verbatim)", () => {
    const config = { ...DEFAULT_PRADA_CONFIG, skipRepeats: false };
    let s = pradaObserve(newPradaState(), [0, 0], 0, config).state;
    s = pradaObserve(s, [0, 0], 0, config).state;
    expect(distances(s)).toEqual([0]);
  });

  it("runs Shapiro-Wilk once more than 100 distances remain after dropping outliers beyond 3 sd", () => {
    const random = seededUniform(3);
    const config = DEFAULT_PRADA_CONFIG;
    let s = newPradaState();
    const ws: (number | undefined)[] = [];
    for (let i = 0; i < 140; i++) {
      const o = pradaObserve(
        s,
        Array.from({ length: 8 }, () => normalDraw(random)),
        0,
        config,
      );
      s = o.state;
      ws.push(o.w);
    }
    const first = ws.findIndex((w) => w !== undefined);
    // Query 0 has no distance, query i brings the i-th: W needs more than 100 left after outliers.
    expect(first).toBeGreaterThanOrEqual(101);
    expect(first).toBeLessThan(110);
    const d = distances(s);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    const kept = d.filter((x) => Math.abs(x - mean) < 3 * sd);
    expect(ws.at(-1)).toBe(shapiroWilk(kept).statistic);
    expect(testValues(d, config)).toBe(ws.at(-1));
  });

  it("rounds distances to 12-bit sqrt codes with the documented error", () => {
    for (const d of [0.01, 0.1, 1, 4, 16, 63]) {
      expect(Math.abs(codeDistance(distanceCode(d)) - d)).toBeLessThanOrEqual(Math.sqrt(d) / 512 + 2 ** -20);
    }
    expect(codeDistance(distanceCode(1000))).toBeCloseTo(4095 ** 2 / 512 ** 2, 12);
  });

  it("bounds the growing sets: per class, in total, in classes; the distance ring", () => {
    const random = seededUniform(5);
    let s = newPradaState();
    for (let i = 0; i < 2000; i++) {
      const v = Array.from({ length: 8 }, () => (random() * 2 - 1) * 4);
      s = pradaObserve(s, v, i % 40 < 20 ? 0 : `c${i % 40}`).state;
    }
    let total = 0;
    for (const key of Object.keys(s.c)) {
      expect(members(s, key)).toBeLessThanOrEqual(DEFAULT_PRADA_CONFIG.perClassCap);
      total += members(s, key);
    }
    expect(total).toBeLessThanOrEqual(DEFAULT_PRADA_CONFIG.totalCap);
    expect(Object.keys(s.c).length).toBeLessThanOrEqual(DEFAULT_PRADA_CONFIG.maxClasses);
    expect(distances(s).length).toBe(DEFAULT_PRADA_CONFIG.historyCap);
    expect(Object.keys(s.l).length).toBe(DEFAULT_PRADA_CONFIG.maxLabels);
    expect(s.lo).toBeGreaterThan(0);
  });

  it("rejects a change of dimension and does not modify its input state", () => {
    const s = pradaObserve(newPradaState(), [1, 2, 3], 0).state;
    const copy = structuredClone(s);
    pradaObserve(s, [1, 2, 4], 0);
    expect(s).toEqual(copy);
    expect(() => pradaObserve(s, [1, 2], 0)).toThrow(RangeError);
  });
});

describe("calibrateDelta", () => {
  it("returns the quantile with at most floor(rate·n) values strictly below, 0.9 without data", () => {
    const values = Array.from({ length: 200 }, (_, i) => 0.8 + i * 0.001);
    expect(calibrateDelta(values, 0.01)).toBe(values[2]);
    expect(values.filter((w) => w < calibrateDelta(values, 0.01)).length).toBe(2);
    expect(calibrateDelta([...values].reverse(), 0)).toBe(0.8);
    expect(calibrateDelta([], 0.01)).toBe(PRADA_PAPER_DELTA);
    expect(calibrateDelta([Number.NaN, Number.POSITIVE_INFINITY], 0.01)).toBe(PRADA_PAPER_DELTA);
    expect(() => calibrateDelta(values, 1)).toThrow(RangeError);
  });
});

describe("PRADA on a tabular model: δ calibrated from benign clients at 1 % FPR", () => {
  const calibration = CALIBRATION_SEEDS.map((seed) => feed(benignClient(seed)));
  const benignW = calibration.map((c) => c.state.w).filter((w): w is number => w !== undefined);
  const delta = calibrateDelta(benignW, 0.01);
  const config = { ...DEFAULT_PRADA_CONFIG, delta };

  it("calibrates below the paper's 0.9 here, and flags at most 1 % of benign clients", () => {
    // Honest tabular clients: nearest-neighbour distances of a Gaussian mixture are skewed and
    // multimodal, so W sits well below image-model values.
    expect(benignW.length).toBeGreaterThan(100);
    expect(delta).toBeLessThan(PRADA_PAPER_DELTA);
    expect(Math.min(...benignW)).toBeLessThan(PRADA_PAPER_DELTA); // the paper's δ would flag an honest client
    const inSample = calibration.filter((c) => c.minW < delta).length;
    expect(inSample).toBeLessThanOrEqual(Math.floor(0.01 * benignW.length));
    const heldOut = HELD_OUT_SEEDS.map((seed) => feed(benignClient(seed), config));
    const flagged = heldOut.filter((c) => c.alarms > 0).length;
    expect(flagged).toBeLessThanOrEqual(0.01 * heldOut.length);
  });

  it("alarms on line-search (Tramèr) and Jacobian-augmentation (Papernot) extraction", () => {
    for (let seed = 0; seed < 5; seed++) {
      for (const attack of [
        lineSearchExtractor(100 + seed, 400, 8),
        lineSearchExtractor(200 + seed, 400, 20),
        jbdaExtractor(300 + seed, 400),
      ]) {
        const run = feed(attack, config);
        expect(run.alarms).toBeGreaterThan(0);
        expect(run.minW).toBeLessThan(delta);
      }
    }
  });

  it("does not see uniformly random queries, which the coverage companion does", () => {
    // Random points of the input box have i.i.d. nearest-neighbour distances like honest traffic.
    const uniform = feed(uniformExtractor(5, 300), config);
    expect(uniform.alarms).toBe(0);
    const benignCoverage = calibration
      .filter((c) => c.state.n >= 250)
      .map((c) => pradaCompanions(c.state).coverageCells);
    expect(pradaCompanions(uniform.state).coverageCells).toBeGreaterThan(1.5 * Math.max(...benignCoverage));
  });
});

describe("pradaCompanions", () => {
  it("reports volume, coverage and label entropy", () => {
    let s = newPradaState();
    for (let i = 0; i < 8; i++) s = pradaObserve(s, [i - 3.5, 0, 0, 0], i % 2 === 0 ? "x" : "y").state;
    const c = pradaCompanions(s);
    expect(c).toMatchObject({ queries: 8, distinctLabels: 2, coverageSaturated: false });
    expect(c.labelEntropyBits).toBeCloseTo(1, 12);
    // 8 points over 6 bins of the first dimension: 6 cells (linear counting is exact when few).
    expect(c.coverageCells).toBe(6);
    expect(pradaCompanions(newPradaState())).toMatchObject({
      queries: 0,
      coverageCells: 0,
      labelEntropyBits: 0,
    });
  });
});
