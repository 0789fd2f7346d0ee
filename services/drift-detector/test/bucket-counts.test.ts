import { seededUniform } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { BucketCounts } from "../src/domain/bucket-counts.js";

function counted(buckets: BucketCounts): Map<number, number> {
  const seen = new Map<number, number>();
  buckets.eachCount((key, count) => {
    expect(seen.has(key)).toBe(false);
    seen.set(key, count);
  });
  return seen;
}

describe("bucket counts of one batch", () => {
  it("counts every key exactly, in any order and any spread (wider than the dense array too)", () => {
    const random = seededUniform(7);
    for (let run = 0; run < 300; run++) {
      // Spreads from a few keys to the whole range of doubles (±37,000 keys at α = 1 %).
      const spread = Math.ceil(10 ** (1 + 3.6 * random()));
      const centre = Math.round((random() - 0.5) * 20_000);
      const buckets = new BucketCounts();
      const expected = new Map<number, number>();
      for (let i = 0; i < 200; i++) {
        const key = centre + Math.round((random() - 0.5) * spread);
        buckets.add(key);
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      expect(counted(buckets)).toEqual(expected);
    }
  });

  it("counts a drifting feature's keys, growing down and up", () => {
    const buckets = new BucketCounts();
    for (let key = 0; key > -3_000; key -= 7) buckets.add(key);
    for (let key = 0; key < 1_000; key += 3) buckets.add(key);
    const counts = counted(buckets);
    expect(counts.get(0)).toBe(2);
    expect(counts.get(-2_996)).toBe(1);
    expect(counts.get(999)).toBe(1);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(Math.ceil(3_000 / 7) + Math.ceil(1_000 / 3));
  });
});
