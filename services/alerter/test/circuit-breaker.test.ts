import { describe, expect, it } from "vitest";
import {
  afterFailure,
  afterSuccess,
  type BreakerPolicy,
  type BreakerState,
  breakerAllows,
  closedBreaker,
  defaultBreakerPolicy,
} from "../src/domain/circuit-breaker.js";

const policy: BreakerPolicy = { failureThreshold: 3, cooldownMs: 10_000, maxCooldownMs: 35_000 };
const start = 1_741_000_000_000;
const hourMs = 3_600_000;

function failTimes(times: number, state: BreakerState = closedBreaker, now = start): BreakerState {
  let current = state;
  for (let i = 0; i < times; i++) current = afterFailure(current, now, policy);
  return current;
}

/** Opens the breaker, then fails the probe after each cooldown, `probes` times. */
function failProbes(probes: number): BreakerState {
  let state = failTimes(policy.failureThreshold);
  for (let i = 0; i < probes; i++) state = afterFailure(state, state.openUntil, policy);
  return state;
}

describe("circuit breaker", () => {
  it("defaults to 5 failures, 30 s cooldown, at most 5 min", () => {
    expect(defaultBreakerPolicy).toEqual({ failureThreshold: 5, cooldownMs: 30_000, maxCooldownMs: 300_000 });
  });

  it("lets attempts through while closed", () => {
    expect(breakerAllows(closedBreaker, start)).toBe(true);
  });

  it("stays closed below the failure threshold", () => {
    const state = failTimes(policy.failureThreshold - 1);
    expect(state.consecutiveFailures).toBe(2);
    expect(breakerAllows(state, start)).toBe(true);
  });

  it("opens at the threshold, refusing attempts for the cooldown", () => {
    const state = failTimes(policy.failureThreshold);
    expect(state).toEqual({ consecutiveFailures: 3, openUntil: start + 10_000, opens: 1 });
    expect(breakerAllows(state, start + 9_999)).toBe(false);
    expect(breakerAllows(state, start + 10_000)).toBe(true);
  });

  it("counts consecutive failures only: a success in between starts again", () => {
    const state = failTimes(
      policy.failureThreshold - 1,
      afterSuccess(failTimes(policy.failureThreshold - 1)),
    );
    expect(breakerAllows(state, start)).toBe(true);
    expect(state.opens).toBe(0);
  });

  it("after the cooldown, re-opens on the first failed attempt with a doubled cooldown", () => {
    const opened = failTimes(policy.failureThreshold);
    const probeAt = opened.openUntil;
    const reopened = afterFailure(opened, probeAt, policy);
    expect(reopened.opens).toBe(2);
    expect(reopened.openUntil).toBe(probeAt + 20_000);
    expect(breakerAllows(reopened, probeAt + 19_999)).toBe(false);
  });

  it("doubles the cooldown with each failed probe, up to the maximum", () => {
    const cooldowns = [0, 1, 2, 3, 4].map((probes) => {
      const state = failProbes(probes);
      const openedAt = probes === 0 ? start : failProbes(probes - 1).openUntil;
      return state.openUntil - openedAt;
    });
    expect(cooldowns).toEqual([10_000, 20_000, 35_000, 35_000, 35_000]);
  });

  it("closes on a successful probe, so the next opening waits the base cooldown again", () => {
    const recovered = afterSuccess(failProbes(3));
    expect(recovered).toEqual(closedBreaker);
    const reopened = failTimes(policy.failureThreshold, recovered, start + hourMs);
    expect(reopened.openUntil).toBe(start + hourMs + 10_000);
  });

  it("ignores failures of attempts that were in flight while it is open", () => {
    const opened = failTimes(policy.failureThreshold);
    expect(afterFailure(opened, start + 5_000, policy)).toEqual(opened);
  });

  it("gives back a fresh closed state that callers may change without affecting others", () => {
    const closed = afterSuccess(failTimes(1));
    closed.consecutiveFailures = 99;
    expect(closedBreaker.consecutiveFailures).toBe(0);
  });
});
