// The request-rate rule on its own (pure, no detector around it): a population of log-normal Poisson
// clients over a day, a burster, and heavy clients that are new.
import { seededUniform } from "@argus/stats";
import { describe, expect, it } from "vitest";
import {
  emptyRelativeRate,
  observeRelativeRate,
  type RateCalibration,
  type RelativeRateState,
} from "../src/domain/rate.js";

const minute = 60_000;
const hour = 60 * minute;
const CPU_BUDGET_MS = 120_000;

/** What the population summary reports for clients whose rates are log-normal(ln median, σ). */
function calibration(medianPerMin: number, sigma: number): RateCalibration {
  return {
    calibrated: true,
    medianPerMin,
    highPerMin: medianPerMin * Math.exp(1.645 * sigma),
    logSpread: sigma,
  };
}

function exponential(random: () => number, ratePerMs: number): number {
  return -Math.log(1 - random()) / ratePerMs;
}

function poissonTimes(random: () => number, perMin: number, startMs: number, endMs: number): number[] {
  const times: number[] = [];
  for (
    let t = startMs + exponential(random, perMin / minute);
    t < endMs;
    t += exponential(random, perMin / minute)
  )
    times.push(t);
  return times;
}

/** Feeds a client's request times through the rule; the times at which it was flagged. */
function flaggedAt(times: number[], cal: RateCalibration): number[] {
  let state: RelativeRateState = emptyRelativeRate();
  const flagged: number[] = [];
  for (const t of times) {
    const observed = observeRelativeRate(state, t, cal);
    state = observed.state;
    if (observed.abusive) flagged.push(t);
  }
  return flagged;
}

describe("request rate relative to the model's clients", () => {
  it(
    "a day of 200 log-normal Poisson clients (some joining late, heavy ones included) flags nobody",
    () => {
      const random = seededUniform(7);
      const sigma = 1;
      const median = 0.5;
      const cal = calibration(median, sigma);
      const flagged: string[] = [];
      let requests = 0;
      for (let i = 0; i < 200; i++) {
        const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        // The heaviest clients of a population of 200 sit near z = 2.6 (13× the median here).
        const perMin = median * Math.exp(sigma * z);
        const joinMs = i % 4 === 0 ? random() * 20 * hour : 0;
        const times = poissonTimes(random, perMin, joinMs, 24 * hour);
        requests += times.length;
        if (flaggedAt(times, cal).length > 0) flagged.push(`client ${i} at ${perMin.toFixed(2)}/min`);
      }
      expect(requests).toBeGreaterThan(100_000);
      expect(flagged).toEqual([]);
    },
    CPU_BUDGET_MS,
  );

  it("a client at the median rate that bursts to 25× it for two minutes is flagged within 30 s, on every seed", () => {
    const median = 2;
    const cal = calibration(median, 1);
    const delays: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const random = seededUniform(seed);
      const burstStart = 20 * minute + random() * 40 * minute;
      const times = [
        ...poissonTimes(random, median, 0, burstStart),
        ...poissonTimes(random, 25 * median, burstStart, burstStart + 2 * minute),
        ...poissonTimes(random, median, burstStart + 2 * minute, 2 * hour),
      ];
      const first = flaggedAt(times, cal)[0];
      delays.push(first === undefined ? Number.POSITIVE_INFINITY : first - burstStart);
    }
    expect(delays.filter((d) => d < 0 || d > 30_000)).toEqual([]);
  });

  it("a slow population's burst is still caught, later: the count needs ~7 requests to stand out", () => {
    const median = 0.5;
    const cal = calibration(median, 1);
    const random = seededUniform(3);
    const burstStart = 45 * minute;
    const times = [
      ...poissonTimes(random, median, 0, burstStart),
      ...poissonTimes(random, 25 * median, burstStart, burstStart + 2 * minute),
      ...poissonTimes(random, median, burstStart + 2 * minute, 2 * hour),
    ];
    const first = flaggedAt(times, cal)[0];
    expect(first).toBeDefined();
    expect((first as number) - burstStart).toBeLessThan(2 * minute);
  });

  it("heavy clients that are new are not flagged: a 30× service account and a 10× person from their first request", () => {
    const median = 2;
    const cal = calibration(median, 1);
    const serviceAccount = Array.from({ length: 6 * 60 * 60 }, (_, i) => hour + (i * minute) / 60);
    expect(flaggedAt(serviceAccount, cal)).toEqual([]);
    const random = seededUniform(11);
    const heavyPerson = poissonTimes(random, 10 * median, hour, 7 * hour);
    expect(flaggedAt(heavyPerson, cal)).toEqual([]);
  });

  it("the same service account turning to 5× its own rate is flagged: it is compared with itself", () => {
    const median = 2;
    const cal = calibration(median, 1);
    const steady = Array.from({ length: 60 * 60 }, (_, i) => (i * minute) / 60);
    const surge = Array.from({ length: 600 }, (_, i) => hour + (i * minute) / 300);
    const flagged = flaggedAt([...steady, ...surge], cal);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged[0]).toBeGreaterThanOrEqual(hour);
    expect((flagged[0] as number) - hour).toBeLessThan(30_000);
  });

  it("without a calibrated population only the absolute fallback limit applies", () => {
    const uncalibrated: RateCalibration = { calibrated: false, medianPerMin: 0, highPerMin: 0, logSpread: 0 };
    const busy = Array.from({ length: 300 }, (_, i) => (i * minute) / 500);
    expect(flaggedAt(busy, uncalibrated).length).toBe(0);
    const flood = Array.from({ length: 600 }, (_, i) => (i * minute) / 1_200);
    expect(flaggedAt(flood, uncalibrated).length).toBeGreaterThan(0);
  });
});
