import { describe, expect, it } from "vitest";
import { RecentCache } from "../src/recent-cache.js";

describe("RecentCache", () => {
  it("forgets what was not used lately and keeps what was, never holding more than its capacity", () => {
    const cache = new RecentCache<string, number>(4);
    for (const [i, key] of ["a", "b", "c", "d", "e", "f"].entries()) {
      cache.set(key, i);
      expect(cache.get("a")).toBe(0); // used after every insertion: always kept
    }
    const held = ["a", "b", "c", "d", "e", "f"].filter((key) => cache.get(key) !== undefined);
    expect(held.length).toBeLessThanOrEqual(4);
    expect(held).toContain("a");
    expect(held).toContain("f");
    expect(cache.get("b")).toBeUndefined();
  });

  it("caches nothing with capacity 0, and nothing after clear()", () => {
    const off = new RecentCache<string, number>(0);
    off.set("a", 1);
    expect(off.get("a")).toBeUndefined();
    const cache = new RecentCache<string, number>(10);
    cache.set("a", 1);
    cache.clear();
    expect(cache.get("a")).toBeUndefined();
  });
});
