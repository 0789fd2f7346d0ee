// Whole-client properties over simulated populations: no alarm on benign clients, bounded state,
// JSON round trips between batches, determinism.
import { normalDraw, seededUniform } from "@argus/stats";
import { describe, expect, it } from "vitest";
import {
  calibrateDelta,
  clientDetectorsConfig,
  clientStateBytes,
  newClientState,
  observeClientQuery,
} from "../../src/domain/clients/index.js";
import {
  benignClient,
  boundaryWalker,
  CALIBRATION_SEEDS,
  type ClientRun,
  HELD_OUT_SEEDS,
  jbdaExtractor,
  lineSearchExtractor,
  membershipProber,
  type Query,
  replayClient,
  runClient,
  testConfig,
  uniformExtractor,
} from "./sim.js";

/**
 * Goal: at most 2.5 KB per client and model on average (PRADA, fingerprints and membership ≈ 1.9 KB,
 * the population signals' ring of recent queries ≈ 0.5 KB); hard cap for any client.
 */
const AVERAGE_GOAL = 2560;
const HARD_CAP = 16_384;

const calibration = CALIBRATION_SEEDS.map((seed) => runClient(benignClient(seed), testConfig()));
const delta = calibrateDelta(
  calibration.flatMap((r) => (r.state.p.w === undefined ? [] : [r.state.p.w])),
  0.01,
);
const heldOut = HELD_OUT_SEEDS.map((seed) => runClient(benignClient(seed), testConfig(delta)));
const mean = (runs: ClientRun[], f: (r: ClientRun) => number) =>
  runs.reduce((s, r) => s + f(r), 0) / runs.length;

describe("benign population (200 clients, 20-300 i.i.d. queries from a Gaussian mixture)", () => {
  it("raises no adversarial-probe or membership alarm, and PRADA flags ≤ 1 % at the calibrated δ", () => {
    for (const run of [...calibration, ...heldOut]) {
      expect(run.adversarialProbe).toBe(0);
      expect(run.membershipProbe).toBe(0);
      expect(run.boundarySearch).toBe(0);
    }
    const flagged = heldOut.filter((r) => r.extraction > 0).length;
    expect(flagged).toBeLessThanOrEqual(0.01 * heldOut.length);
  });
});

// CPU-heavy (thousands of simulated queries, up to 768 wide): 5 s does not hold on a busy 2-core box.
describe("state size", { timeout: 60_000 }, () => {
  it("averages ≤ 2.5 KB per benign client; every client stays under the hard cap", () => {
    const average = mean(heldOut, (r) => r.bytes);
    expect(average).toBeLessThanOrEqual(AVERAGE_GOAL);
    expect(Math.max(...heldOut.map((r) => r.maxBytes))).toBeLessThanOrEqual(3 * 1024);
    // A realistic population is dominated by clients with few queries: far below the goal.
    const light = HELD_OUT_SEEDS.map((seed, i) => {
      const n = 1 + Math.floor(20 * seededUniform(seed)() ** 3 + (i % 10 === 0 ? 280 : 0));
      return runClient(benignClient(seed, n), testConfig()).bytes;
    });
    expect(light.reduce((a, b) => a + b, 0) / light.length).toBeLessThan(AVERAGE_GOAL / 2);
  });

  it("stays under the hard cap for attackers", () => {
    for (const attack of [
      lineSearchExtractor(1, 2000),
      uniformExtractor(2, 2000),
      jbdaExtractor(3, 2000),
      boundaryWalker(4, 2000),
      membershipProber(5, 2000, 6, 0.03),
      replayClient(6, 2000),
    ]) {
      expect(runClient(attack, testConfig()).maxBytes).toBeLessThanOrEqual(HARD_CAP);
    }
  });

  it("stays under the hard cap for any width, with many long labels and tracked clusters", () => {
    for (const dim of [2, 8, 64, 128, 768]) {
      const random = seededUniform(dim);
      const records = Array.from({ length: 8 }, () =>
        Array.from({ length: dim }, () => (random() * 2 - 1) * 8),
      );
      const queries: Query[] = [];
      for (let i = 0; i < 1600; i++) {
        const spread = i < 800;
        const vector = spread
          ? Array.from({ length: dim }, () => (random() * 2 - 1) * 9)
          : (records[i % 8] as number[]).map((v) => v + normalDraw(random, 0, 0.01));
        // 64-character labels, a thousand of them, then one per record.
        const label = spread
          ? `${"long-label-".repeat(5)}${Math.floor(random() * 1000)}`.padEnd(64, "x")
          : i % 8;
        queries.push({ vector, label: label as number });
      }
      expect(runClient(queries, testConfig()).maxBytes).toBeLessThanOrEqual(HARD_CAP);
    }
  });
});

describe("round trip through JSON (Redis between batches) and determinism", () => {
  const streams: [string, Query[]][] = [
    ["benign", benignClient(5001, 300)],
    ["line search", lineSearchExtractor(7, 400)],
    ["boundary walk", boundaryWalker(8, 300)],
    ["membership", membershipProber(9, 240)],
  ];

  it("continues identically after JSON.stringify/parse at every batch boundary", () => {
    const config = testConfig(delta);
    for (const [, queries] of streams) {
      const straight = runClient(queries, config);
      let state = newClientState();
      const observations: ClientRun["observations"] = [];
      for (let start = 0; start < queries.length; start += 37) {
        const batch = runClient(queries.slice(start, start + 37), config, state);
        observations.push(...batch.observations);
        state = JSON.parse(JSON.stringify(batch.state));
      }
      expect(observations).toEqual(straight.observations);
      expect(state).toEqual(straight.state);
      expect(JSON.stringify(state)).toBe(JSON.stringify(straight.state));
    }
  });

  it("gives the same outputs for the same inputs, and other fingerprints for another salt", () => {
    for (const [, queries] of streams) {
      const a = runClient(queries, testConfig(delta));
      const b = runClient(queries, testConfig(delta));
      expect(b.observations).toEqual(a.observations);
      expect(JSON.stringify(b.state)).toBe(JSON.stringify(a.state));
    }
    const queries = membershipProber(9, 240);
    const other = runClient(queries, clientDetectorsConfig("another-salt"));
    expect(other.state.f.h).not.toBe(runClient(queries, testConfig()).state.f.h);
    // The verdicts do not depend on which secret salt is used.
    expect(other.membershipProbe).toBeGreaterThan(0);
  });

  it("does not modify the state it is given", () => {
    const config = testConfig();
    let state = newClientState();
    for (const q of membershipProber(11, 80)) {
      const before = JSON.stringify(state);
      const next = observeClientQuery(state, q.vector, q.label, config).state;
      expect(JSON.stringify(state)).toBe(before);
      state = next;
    }
    expect(clientStateBytes(state)).toBeGreaterThan(0);
  });
});
