import { describe, expect, it } from "vitest";
import {
  DEFAULT_FINGERPRINT_CONFIG,
  fingerprint,
  fingerprintObserve,
  type MembershipState,
  membershipObserve,
  newFingerprintState,
  newMembershipState,
} from "../../src/domain/clients/index.js";
import { boundaryWalker, membershipProber, replayClient, runClient, testConfig } from "./sim.js";

describe("membership probing (label-only, Choquette-Choo et al. 2021)", () => {
  it("alarms on many noisy copies of 3 records, as membership and not boundary search", () => {
    for (let seed = 0; seed < 5; seed++) {
      const run = runClient(membershipProber(60 + seed, 240, 3, 0.03), testConfig());
      const first = run.observations.findIndex((o) => o.verdict.membershipProbe);
      expect(first).toBeGreaterThanOrEqual(47); // no verdict before 48 stored queries
      expect(first).toBeLessThan(160); // each record needs judgeAfter (32) copies first
      // Once raised, the alarm holds for the rest of the attack.
      const after = run.observations.slice(first);
      expect(after.filter((o) => o.verdict.membershipProbe).length).toBeGreaterThan(0.9 * after.length);
      expect(run.boundarySearch).toBe(0);
      const last = run.observations.at(-1)?.membership;
      expect(last?.clusters.length).toBeGreaterThanOrEqual(3);
      expect(last?.clusters.slice(0, 3).every((c) => c.kind === "stationary")).toBe(true);
      // Copies are near-duplicates: the Blacklight alarm fires too.
      expect(run.adversarialProbe).toBeGreaterThan(0.7 * run.queries);
    }
  });

  it("still alarms for noise up to a fifth of the fingerprint's quantization step, and 1-5 records", () => {
    for (const [records, noise] of [
      [1, 0.01],
      [3, 0.05],
      [5, 0.03],
    ] as const) {
      expect(
        runClient(membershipProber(70, 240, records, noise), testConfig()).membershipProbe,
      ).toBeGreaterThan(0);
    }
  });

  it("classifies a boundary search as a drifting chain, not membership", () => {
    for (let seed = 0; seed < 5; seed++) {
      const run = runClient(boundaryWalker(40 + seed, 300), testConfig());
      expect(run.membershipProbe).toBe(0);
      expect(run.boundarySearch).toBeGreaterThan(0.5 * run.queries);
      const drifting = run.observations.at(-1)?.membership.clusters.find((c) => c.kind === "drifting");
      expect(drifting?.driftRatio).toBeGreaterThan(testConfig().membership.driftRatio);
    }
  });

  it("calls identical repeats replays: neither membership nor adversarial probing", () => {
    const run = runClient(replayClient(3, 120), testConfig());
    expect(run.membershipProbe).toBe(0);
    expect(run.adversarialProbe).toBe(0);
    expect(run.observations.at(-1)?.membership.clusters[0]?.kind).toBe("replay");
    // The fingerprint detector alone does flag them: the verdict excuses them.
    expect(run.observations.at(-1)?.fingerprint.alarm).toBe(true);
  });

  it("tracks only clusters with near-duplicates, at most maxTracked", () => {
    const config = testConfig();
    const fpConfig = { ...DEFAULT_FINGERPRINT_CONFIG, salt: "s" };
    let fp = newFingerprintState();
    let state: MembershipState = newMembershipState();
    for (let i = 0; i < 20; i++) {
      const vector = [i, -i, i / 2, 1, 2, 3];
      const o = fingerprintObserve(fp, fingerprint(vector, fpConfig), fpConfig);
      fp = o.state;
      state = membershipObserve(
        state,
        { fingerprint: fp, observation: o, vector, label: 0 },
        config.membership,
      ).state;
    }
    expect(state.t).toEqual([]);
    for (let i = 0; i < 40; i++) {
      const vector = [i % 10, 0, 0, 1, 2, 3];
      const o = fingerprintObserve(fp, fingerprint(vector, fpConfig), fpConfig);
      fp = o.state;
      state = membershipObserve(
        state,
        { fingerprint: fp, observation: o, vector, label: 0 },
        config.membership,
      ).state;
    }
    expect(state.t.length).toBeGreaterThan(0);
    expect(state.t.length).toBeLessThanOrEqual(config.membership.maxTracked);
  });
});
