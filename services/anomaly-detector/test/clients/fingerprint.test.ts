import { createHash } from "node:crypto";
import { normalDraw, seededUniform } from "@argus/stats";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_FINGERPRINT_CONFIG,
  type FingerprintConfig,
  fingerprint,
  fingerprintObserve,
  matchThreshold,
  newFingerprintState,
  storedClusters,
} from "../../src/domain/clients/index.js";
import { benignClient, boundaryWalker, HELD_OUT_SEEDS, runClient, testConfig } from "./sim.js";

const config: FingerprintConfig = { ...DEFAULT_FINGERPRINT_CONFIG, salt: "unit-test-salt" };
const shared = (a: number[], b: number[]) => a.filter((h) => b.includes(h)).length;

describe("fingerprint", () => {
  const random = seededUniform(21);
  const x = Array.from({ length: 8 }, () => normalDraw(random));

  it("keeps the top-N salted window hashes, descending, as uint32", () => {
    const h = fingerprint(x, config);
    expect(h).toHaveLength(6); // 8 features, window 3: 6 windows, all kept (top 16)
    expect([...h].sort((a, b) => b - a)).toEqual(h);
    for (const v of h) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    const wide = Array.from({ length: 40 }, () => normalDraw(random));
    expect(fingerprint(wide, config)).toHaveLength(16);
    expect(fingerprint([0.3, 0.4], config)).toHaveLength(1); // shorter than a window: one window
  });

  it("is SHA-256 of (salt, position, quantized window), whether a window's hash was memoized or not", () => {
    const reference = (vector: number[]) => {
      const buckets = vector.map((v) => Math.floor(v / config.quantStep));
      const out: number[] = [];
      for (let start = 0; start + 3 <= buckets.length; start++) {
        const block = Buffer.alloc(16);
        block.writeUInt32LE(start, 0);
        for (let j = 0; j < 3; j++) block.writeInt32LE(buckets[start + j] as number, 4 + 4 * j);
        const digest = createHash("sha256")
          .update(`argus-blacklight-v1\0${config.salt}\0`)
          .update(block)
          .digest();
        out.push(digest.readUInt32BE(0));
      }
      return out.sort((a, b) => b - a).slice(0, config.topN);
    };
    // Small values (the dense table's windows), then the same again (table hits), wider ones (the
    // hashed memo's: buckets past ±16), the same again, then huge ones (never memoized).
    const small = Array.from({ length: 30 }, (_, i) => Math.sin(i) * 3);
    const wide = small.map((v) => v * 9);
    const huge = small.map((v) => v * 1e6);
    for (const vector of [small, small, wide, wide, huge, small.slice(0, 5)])
      expect(fingerprint(vector, config)).toEqual(reference(vector));
  });

  it("is deterministic, secret-dependent and position-aware", () => {
    expect(fingerprint(x, config)).toEqual(fingerprint([...x], config));
    expect(shared(fingerprint(x, config), fingerprint(x, { ...config, salt: "other" }))).toBe(0);
    const rotated = [...x.slice(1), x[0] as number];
    expect(shared(fingerprint(x, config), fingerprint(rotated, config))).toBe(0);
  });

  it("shares most hashes with a tiny perturbation and almost none with another query", () => {
    const near = x.map((v) => v + normalDraw(random, 0, 0.01));
    const far = Array.from({ length: 8 }, () => normalDraw(random));
    expect(shared(fingerprint(x, config), fingerprint(near, config))).toBeGreaterThanOrEqual(
      matchThreshold(6, config),
    );
    expect(shared(fingerprint(x, config), fingerprint(far, config))).toBeLessThan(matchThreshold(6, config));
  });

  it("derives the threshold from the paper's half of the hashes unless set", () => {
    expect(matchThreshold(6, config)).toBe(3);
    expect(matchThreshold(16, config)).toBe(8);
    expect(matchThreshold(16, { ...config, threshold: 5 })).toBe(5);
  });
});

describe("fingerprintObserve", () => {
  it("counts earlier stored near-duplicates and assigns clusters", () => {
    const a = fingerprint([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], config);
    const b = fingerprint([2.1, -1.2, 0.3, 1.4, -0.5, 0.9], config);
    let s = newFingerprintState();
    let o = fingerprintObserve(s, a, config);
    expect(o).toMatchObject({ nearDuplicates: 0, cluster: 0, flagged: 0, alarm: false });
    s = fingerprintObserve(o.state, b, config).state;
    o = fingerprintObserve(s, a, config);
    expect(o).toMatchObject({ nearDuplicates: 1, cluster: 0, flagged: 1 });
    o = fingerprintObserve(o.state, a, config);
    expect(o.nearDuplicates).toBe(2);
    expect(Array.from(storedClusters(o.state))).toEqual([0, 1, 0, 0]);
  });

  it("keeps only the last historyCap fingerprints and the last alarmWindow flags", () => {
    const small = { ...config, historyCap: 4, alarmWindow: 3, alarmCount: 2 };
    const a = fingerprint([1, 2, 3, 4], small);
    let s = newFingerprintState();
    const results = [];
    for (let i = 0; i < 6; i++) {
      const o = fingerprintObserve(s, a, small);
      s = o.state;
      results.push([o.nearDuplicates, o.flagged, o.alarm]);
    }
    expect(results).toEqual([
      [0, 0, false],
      [1, 1, false],
      [2, 2, false],
      [3, 3, true],
      [4, 3, true],
      [4, 3, true],
    ]);
    expect(storedClusters(s).length).toBe(4);
  });

  it("resets the store when the number of hashes changes (new dimension or config)", () => {
    let s = fingerprintObserve(newFingerprintState(), fingerprint([1, 2, 3, 4, 5], config), config).state;
    s = fingerprintObserve(s, fingerprint([1, 2, 3, 4, 5, 6], config), config).state;
    expect(storedClusters(s).length).toBe(1);
    expect(s.n).toBe(2);
  });
});

describe("adversarial probing (Blacklight)", () => {
  it("alarms on a boundary search made of tiny perturbations of one start point", () => {
    for (let seed = 0; seed < 5; seed++) {
      const run = runClient(boundaryWalker(40 + seed, 300), testConfig());
      const first = run.observations.findIndex((o) => o.verdict.adversarialProbe);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(30); // more than 8 of the last 32 with a near-duplicate: ~10 queries
      expect(run.adversarialProbe).toBeGreaterThan(0.9 * run.queries);
    }
  });

  it("sees few near-duplicates in benign traffic", () => {
    let most = 0;
    for (const seed of HELD_OUT_SEEDS.slice(0, 50)) {
      const run = runClient(benignClient(seed), testConfig());
      for (const o of run.observations) most = Math.max(most, o.fingerprint.flagged);
    }
    expect(most).toBeLessThanOrEqual(3);
  });
});
