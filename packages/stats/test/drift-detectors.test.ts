import { describe, expect, it } from "vitest";
import {
  Adwin,
  type AdwinJSON,
  adwinCutEpsilon,
  adwinDeltaPrime,
  PageHinkley,
  type PageHinkleyJSON,
} from "../src/index.js";
import { type FixtureMeta, fixture, XorShift32 } from "./helpers.js";

interface DriftFixture {
  meta: FixtureMeta;
  stream: number[];
  river: { adwinFirstDetection: number; pageHinkleyFirstDetection: number };
}

const fx = fixture<DriftFixture>("drift-streams.json");

interface Detector {
  update(x: number): boolean;
  toJSON(): unknown;
}

function detections(d: Detector, stream: number[]): number[] {
  const out: number[] = [];
  stream.forEach((x, i) => {
    if (d.update(x)) out.push(i);
  });
  return out;
}

function bernoulli(rng: XorShift32, p: number, n: number): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
}

function gaussian(rng: XorShift32, mean: number, sd: number, n: number): number[] {
  return Array.from({ length: n }, () => mean + sd * rng.normal());
}

/** Runs `make()` on the stream, serializing and restoring (through JSON text) every `every` items. */
function runWithRestores<T extends Detector>(
  make: () => T,
  restore: (json: unknown) => T,
  stream: number[],
  every: number,
): { hits: number[]; final: unknown } {
  let d = make();
  const hits: number[] = [];
  stream.forEach((x, i) => {
    if (i % every === 0) d = restore(JSON.parse(JSON.stringify(d.toJSON())));
    if (d.update(x)) hits.push(i);
  });
  return { hits, final: d.toJSON() };
}

describe("ADWIN", () => {
  it("reproduces River's documented example (first change at index 1023)", () => {
    const hits = detections(new Adwin(), fx.stream);
    expect(hits[0]).toBe(fx.river.adwinFirstDetection);
    expect(hits.every((i) => i >= 1000)).toBe(true);
  });

  it("does not fire on stationary streams (seeded)", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rng = new XorShift32(seed);
      expect(detections(new Adwin(), bernoulli(rng, 0.1, 10000))).toEqual([]);
      expect(detections(new Adwin(), gaussian(rng, 5, 1, 10000))).toEqual([]);
    }
  });

  it("fires shortly after an abrupt change of the error rate", () => {
    for (const seed of [6, 7, 8]) {
      const rng = new XorShift32(seed);
      const stream = [...bernoulli(rng, 0.1, 5000), ...bernoulli(rng, 0.4, 2000)];
      const hits = detections(new Adwin(), stream);
      expect(hits.length).toBeGreaterThan(0);
      expect(hits[0]).toBeGreaterThanOrEqual(5000);
      expect(hits[0]).toBeLessThan(5000 + 160);
    }
  });

  it("shrinks the window after a change and starts over on the next item", () => {
    const rng = new XorShift32(9);
    const a = new Adwin();
    const stream = [...gaussian(rng, 0, 1, 3000), ...gaussian(rng, 3, 1, 200)];
    let widthAtDrift = -1;
    for (const x of stream) {
      if (a.update(x)) {
        widthAtDrift = a.width;
        break;
      }
    }
    expect(widthAtDrift).toBeGreaterThan(0);
    expect(widthAtDrift).toBeLessThan(3000);
    expect(a.driftDetected).toBe(true);
    expect(a.nDetections).toBe(1);
    a.update(3);
    expect(a.width).toBe(1);
    expect(a.driftDetected).toBe(false);
  });

  it("continues identically after a JSON round trip of its state", () => {
    const rng = new XorShift32(10);
    const stream = [...bernoulli(rng, 0.2, 3000), ...bernoulli(rng, 0.6, 1000), ...bernoulli(rng, 0.1, 2000)];
    const reference = new Adwin();
    const refHits = detections(reference, stream);
    expect(refHits.length).toBeGreaterThan(0);
    for (const every of [1, 37, 1000]) {
      const run = runWithRestores(
        () => new Adwin(),
        (j) => Adwin.fromJSON(j as AdwinJSON),
        stream,
        every,
      );
      expect(run.hits).toEqual(refHits);
      expect(run.final).toEqual(reference.toJSON());
    }
  });

  it("uses the cut threshold of Bifet & Gavalda (variance-based Bernstein bound)", () => {
    // width 1000, delta 0.002: delta' = ln(2 ln(1000) / 0.002)
    const dp = adwinDeltaPrime(1000, 0.002);
    expect(dp).toBeCloseTo(Math.log(6907.755278982137), 12);
    // n0 = 900, n1 = 100, variance 0.25, minLen 5: m = 1/896 + 1/96
    const m = 1 / 896 + 1 / 96;
    const eps = adwinCutEpsilon(900, 100, 0.25, dp, 5);
    expect(eps).toBeCloseTo(Math.sqrt(2 * m * 0.25 * dp) + (2 / 3) * dp * m, 15);
    expect(eps).toBeCloseTo(0.29375, 4); // 0.22579 (variance term) + 0.06796 (range term)
  });

  it("validates its options and input", () => {
    expect(() => new Adwin({ delta: 0 })).toThrow(RangeError);
    expect(() => new Adwin({ clock: 0 })).toThrow(RangeError);
    expect(() => new Adwin().update(Number.NaN)).toThrow(RangeError);
  });
});

describe("Page-Hinkley", () => {
  it("reproduces River's documented example (first change at index 1006)", () => {
    const hits = detections(new PageHinkley(), fx.stream);
    expect(hits[0]).toBe(fx.river.pageHinkleyFirstDetection);
  });

  it("does not fire on stationary streams (seeded)", () => {
    // With lambda = 50 and alpha = 0.9999 the cumulative sum is close to a random walk, so the
    // false-alarm rate grows with the stream length and the noise variance (a unit-variance
    // Gaussian stream typically alarms within a few thousand items): the defaults suit 0/1 error
    // streams and low-noise metrics.
    for (const seed of [11, 12, 13, 14, 15]) {
      const rng = new XorShift32(seed);
      expect(detections(new PageHinkley(), bernoulli(rng, 0.1, 10000))).toEqual([]);
      expect(detections(new PageHinkley(), gaussian(rng, 5, 0.3, 8000))).toEqual([]);
    }
  });

  it("fires shortly after an abrupt increase or decrease of the mean", () => {
    for (const seed of [16, 17, 18]) {
      const rng = new XorShift32(seed);
      const errors = [...bernoulli(rng, 0.1, 3000), ...bernoulli(rng, 0.5, 1000)];
      const hitsErrors = detections(new PageHinkley(), errors);
      expect(hitsErrors[0]).toBeGreaterThanOrEqual(3000);
      expect(hitsErrors[0]).toBeLessThan(3000 + 250);
      const up = [...gaussian(rng, 0, 0.3, 3000), ...gaussian(rng, 1, 0.3, 500)];
      const hitsUp = detections(new PageHinkley(), up);
      expect(hitsUp[0]).toBeGreaterThanOrEqual(3000);
      expect(hitsUp[0]).toBeLessThan(3000 + 80);
      const down = [...gaussian(rng, 0, 0.3, 3000), ...gaussian(rng, -1, 0.3, 500)];
      const hitsDown = detections(new PageHinkley(), down);
      expect(hitsDown[0]).toBeGreaterThanOrEqual(3000);
      expect(hitsDown[0]).toBeLessThan(3000 + 80);
      expect(detections(new PageHinkley({ mode: "up" }), down)).toEqual([]);
    }
  });

  it("continues identically after a JSON round trip of its state", () => {
    const rng = new XorShift32(19);
    const stream = [
      ...gaussian(rng, 0, 0.3, 2000),
      ...gaussian(rng, 1, 0.3, 500),
      ...gaussian(rng, 0, 0.3, 1500),
    ];
    const reference = new PageHinkley();
    const refHits = detections(reference, stream);
    expect(refHits.length).toBeGreaterThan(0);
    for (const every of [1, 29, 700]) {
      const run = runWithRestores(
        () => new PageHinkley(),
        (j) => PageHinkley.fromJSON(j as PageHinkleyJSON),
        stream,
        every,
      );
      expect(run.hits).toEqual(refHits);
      expect(run.final).toEqual(reference.toJSON());
    }
    // the fresh state (min = +Infinity) survives JSON too
    expect(PageHinkley.fromJSON(JSON.parse(JSON.stringify(new PageHinkley().toJSON()))).toJSON()).toEqual(
      new PageHinkley().toJSON(),
    );
  });
});
