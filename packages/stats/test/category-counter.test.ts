import { describe, expect, it } from "vitest";
import {
  CategoryCounter,
  type CategoryCounterJSON,
  chi2Contingency,
  chiSquareTwoSample,
  OTHER_CATEGORY,
} from "../src/index.js";
import { XorShift32 } from "./helpers.js";

/** Zipf-like stream of category names over `distinct` categories. */
function zipfStream(seed: number, n: number, distinct: number, s = 1.1): string[] {
  const weights = Array.from({ length: distinct }, (_, i) => 1 / (i + 1) ** s);
  const cum: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w;
    cum.push(acc);
  }
  const rng = new XorShift32(seed);
  return Array.from({ length: n }, () => {
    const u = rng.uniform() * acc;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return `cat-${lo}`;
  });
}

function exactCounts(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function counterOf(items: string[], capacity: number): CategoryCounter {
  const c = new CategoryCounter(capacity);
  for (const x of items) c.add(x);
  return c;
}

function expectWithinBound(c: CategoryCounter, truth: Map<string, number>): void {
  const bound = c.errorBound;
  for (const [k, f] of truth) {
    const e = c.estimate(k);
    expect(e).toBeLessThanOrEqual(f);
    if (f - e > bound + 1e-9) expect.fail(`${k}: true ${f}, estimate ${e}, bound ${bound}`);
  }
  let tracked = 0;
  for (const [, v] of c.entries()) tracked += v;
  expect(tracked + c.other).toBe(c.total);
}

describe("CategoryCounter (Misra-Gries with __other__)", () => {
  it("is exact while there are at most K categories", () => {
    const items = zipfStream(1, 5000, 20);
    const c = counterOf(items, 20);
    expect(c.other).toBe(0);
    expect(new Map(c.entries())).toEqual(exactCounts(items));
  });

  it("keeps every count within other/(K+1) below the truth on high-cardinality streams", () => {
    for (const [seed, capacity] of [
      [2, 10],
      [3, 50],
      [4, 200],
    ] as const) {
      const items = zipfStream(seed, 30000, 5000);
      const c = counterOf(items, capacity);
      expect(c.size).toBeLessThanOrEqual(capacity);
      expect(c.other).toBeGreaterThan(0);
      expectWithinBound(c, exactCounts(items));
      // heavy hitters are kept
      expect(c.estimate("cat-0")).toBeGreaterThan(0);
    }
  });

  it("handles weighted adds", () => {
    const c = new CategoryCounter(2);
    c.add("a", 10);
    c.add("b", 3);
    c.add("c", 5); // min of {10, 3, 5} = 3 subtracted from all three
    expect(c.entries()).toEqual([
      ["a", 7],
      ["c", 2],
    ]);
    expect(c.other).toBe(9);
    expect(c.total).toBe(18);
    expectWithinBound(
      c,
      new Map([
        ["a", 10],
        ["b", 3],
        ["c", 5],
      ]),
    );
  });

  it("counts __other__ given as a category in other", () => {
    const c = new CategoryCounter(3);
    c.add(OTHER_CATEGORY, 2);
    c.add("x");
    expect(c.other).toBe(2);
    expect(c.estimate(OTHER_CATEGORY)).toBe(2);
    expect(c.total).toBe(3);
  });
});

describe("CategoryCounter merge", () => {
  it("is exact and associative while the union has at most K categories", () => {
    const [a, b, c] = [5, 6, 7].map((s) => counterOf(zipfStream(s, 2000, 30), 30)) as [
      CategoryCounter,
      CategoryCounter,
      CategoryCounter,
    ];
    const left = CategoryCounter.merge(CategoryCounter.merge(a, b), c).toJSON();
    const right = CategoryCounter.merge(a, CategoryCounter.merge(b, c)).toJSON();
    expect(left).toEqual(right);
    const all = [...zipfStream(5, 2000, 30), ...zipfStream(6, 2000, 30), ...zipfStream(7, 2000, 30)];
    expect(left).toEqual(counterOf(all, 30).toJSON());
  });

  it("reduces by the (K+1)-th largest counter when the union exceeds K", () => {
    const a = new CategoryCounter(2);
    a.add("x", 5);
    a.add("y", 3);
    const b = new CategoryCounter(2);
    b.add("z", 4);
    b.add("y", 1);
    // union {x: 5, y: 4, z: 4}; the 3rd largest (4) is subtracted from all; removed 4 + 4 + 4
    const m = CategoryCounter.merge(a, b);
    expect(m.entries()).toEqual([["x", 1]]);
    expect(m.other).toBe(12);
    expect(m.total).toBe(13);
  });

  it("keeps the error bound over merges of high-cardinality summaries", () => {
    const parts = [8, 9, 10, 11].map((s) => zipfStream(s, 10000, 3000));
    const counters = parts.map((p) => counterOf(p, 40));
    const merged = counters.reduce((acc, c) => acc.mergeFrom(c), new CategoryCounter(40));
    expect(merged.size).toBeLessThanOrEqual(40);
    expect(merged.total).toBe(40000);
    expectWithinBound(merged, exactCounts(parts.flat()));
    // another merge order, same guarantee
    const other = CategoryCounter.merge(
      CategoryCounter.merge(counters[3] as CategoryCounter, counters[1] as CategoryCounter),
      CategoryCounter.merge(counters[0] as CategoryCounter, counters[2] as CategoryCounter),
    );
    expectWithinBound(other, exactCounts(parts.flat()));
  });

  it("refuses different capacities", () => {
    expect(() => new CategoryCounter(3).mergeFrom(new CategoryCounter(4))).toThrow(RangeError);
  });
});

describe("CategoryCounter serialization and chi-square tables", () => {
  it("round-trips through JSON text and continues identically", () => {
    const items = zipfStream(12, 6000, 500);
    const c = counterOf(items.slice(0, 3000), 25);
    const restored = CategoryCounter.fromJSON(JSON.parse(JSON.stringify(c)) as CategoryCounterJSON);
    expect(restored.toJSON()).toEqual(c.toJSON());
    for (const x of items.slice(3000)) {
      c.add(x);
      restored.add(x);
    }
    expect(restored.toJSON()).toEqual(c.toJSON());
    expect(restored.toJSON()).toEqual(counterOf(items, 25).toJSON());
  });

  it("rejects invalid JSON", () => {
    expect(() =>
      CategoryCounter.fromJSON({
        v: 1,
        capacity: 1,
        counts: [
          ["a", 1],
          ["b", 1],
        ],
        other: 0,
      }),
    ).toThrow(RangeError);
    expect(() => CategoryCounter.fromJSON({ v: 1, capacity: 2, counts: [["a", -1]], other: 0 })).toThrow(
      RangeError,
    );
    expect(() =>
      CategoryCounter.fromJSON({ v: 1, capacity: 2, counts: [[OTHER_CATEGORY, 1]], other: 0 }),
    ).toThrow(RangeError);
  });

  it("countsFor aligns reference and current on the reference categories plus __other__", () => {
    const ref = counterOf(["a", "a", "b", "c", "c", "c"], 10);
    const cur = counterOf(["a", "b", "b", "d", "d"], 10);
    const categories = ref.entries().map(([k]) => k);
    expect(categories).toEqual(["c", "a", "b"]);
    expect(ref.countsFor(categories)).toEqual([3, 2, 1, 0]);
    expect(cur.countsFor(categories)).toEqual([0, 1, 2, 2]);
    const t = chiSquareTwoSample(ref.countsFor(categories), cur.countsFor(categories));
    expect(t).toEqual(chi2Contingency([ref.countsFor(categories), cur.countsFor(categories)]));
    expect(() => ref.countsFor(["a", "a"])).toThrow(RangeError);
  });
});
