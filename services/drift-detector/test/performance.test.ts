import { seededUniform } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { type LabelledOutcome, newPerformanceState, trackPerformance } from "../src/domain/performance.js";

const minute = 60_000;

/** Labels for predictions of `windowStart`: wrong with probability `errorRate`, given at `labelledAtMs + i`. */
function outcomes(windowStart: number, count: number, errorRate: number, labelledAtMs: number, seed: number) {
  const random = seededUniform(seed);
  return Array.from(
    { length: count },
    (_, i): LabelledOutcome => ({
      error: random() < errorRate ? 1 : 0,
      ref: `feedback/0/${windowStart + i}`,
      windowStart,
      labelledAtMs: labelledAtMs + i,
    }),
  );
}

describe("the performance tracker", () => {
  it("gives each window the model's error level before its labels as its reference", () => {
    const first = trackPerformance(newPerformanceState(), outcomes(0, 400, 0.05, 10 * minute, 1));
    // A model's first labels have nothing before them.
    expect(first.referenceErrors.get(0)).toBeNull();
    const second = trackPerformance(first.state, outcomes(minute, 400, 0.3, 11 * minute, 2));
    expect(second.referenceErrors.get(minute)).toBeGreaterThan(0.02);
    expect(second.referenceErrors.get(minute)).toBeLessThan(0.09);
  });

  it("dates a change point by the label that showed it, not by the predictions' window", () => {
    const before = trackPerformance(newPerformanceState(), outcomes(0, 600, 0.05, 5 * 60 * minute, 3));
    const after = trackPerformance(before.state, outcomes(0, 600, 0.5, 6 * 60 * minute, 4));
    expect(after.changes.length).toBeGreaterThan(0);
    for (const change of after.changes) {
      expect(change.windowStart).toBe(0);
      expect(change.labelledAtMs).toBe(6 * 60 * minute + (change.labelIndex - 601));
    }
  });
});
