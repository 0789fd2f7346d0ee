/**
 * Category counter with bounded memory: a Misra-Gries frequent-items summary with capacity K,
 * where the mass it cannot attribute to a tracked category is counted in "__other__".
 *
 * Algorithm (weighted Misra-Gries; merge of Agarwal et al., "Mergeable Summaries", PODS 2012):
 * - add(c, w): if c is tracked or fewer than K categories are tracked, its counter grows by w.
 *   Otherwise c gets a counter of w, the smallest of the K+1 counters (m) is subtracted from all
 *   of them, counters that reach 0 are dropped, and the removed mass (K+1)·m goes to `other`.
 * - merge(a, b): add the counters; if more than K remain, subtract the (K+1)-th largest value m
 *   from all, drop those <= 0, and add the removed mass to `other`.
 *
 * Error bound (holds after any sequence of adds and merges): for every category c with true
 * count f(c), the estimate e(c) (0 if untracked) satisfies
 *     f(c) - other / (K + 1)  <=  e(c)  <=  f(c),
 * so any category with f(c) > other/(K+1) is tracked, and `other` = total - Σ tracked counts.
 * Each reduction removes at least K+1 times what it subtracts from any single counter, which is
 * why other/(K+1) bounds the error. While at most K distinct categories have been seen, all counts
 * are exact (other = 0) and merge is exact and associative. Beyond that, merge results depend on
 * the merge order (all satisfy the bound).
 *
 * Cost: add() is O(1) amortized (a reduction is O(K) and happens at most once per K+1 units of
 * added weight); memory O(K). Category "__other__" given to add() is counted in `other`.
 */

export const OTHER_CATEGORY = "__other__";

export interface CategoryCounterJSON {
  v: 1;
  capacity: number;
  /** Tracked categories and their (lower-bound) counts, count descending then name ascending. */
  counts: [string, number][];
  other: number;
}

export class CategoryCounter {
  readonly capacity: number;
  private readonly counters = new Map<string, number>();
  private otherCount = 0;
  private totalCount = 0;

  constructor(capacity = 100) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("CategoryCounter: capacity must be >= 1");
    this.capacity = capacity;
  }

  /** Adds `count` (default 1, > 0) occurrences of `category`. */
  add(category: string, count = 1): void {
    if (!(count > 0) || !Number.isFinite(count))
      throw new RangeError("CategoryCounter: count must be finite and > 0");
    this.totalCount += count;
    if (category === OTHER_CATEGORY) {
      this.otherCount += count;
      return;
    }
    const current = this.counters.get(category);
    if (current !== undefined) {
      this.counters.set(category, current + count);
      return;
    }
    if (this.counters.size < this.capacity) {
      this.counters.set(category, count);
      return;
    }
    // K + 1 counters: subtract the smallest from all of them.
    let m = count;
    for (const v of this.counters.values()) if (v < m) m = v;
    this.otherCount += m * (this.capacity + 1);
    for (const [k, v] of this.counters) {
      if (v <= m) this.counters.delete(k);
      else this.counters.set(k, v - m);
    }
    if (count > m) this.counters.set(category, count - m);
  }

  /** Lower-bound estimate of the count of `category` (0 if untracked). */
  estimate(category: string): number {
    if (category === OTHER_CATEGORY) return this.otherCount;
    return this.counters.get(category) ?? 0;
  }

  /** Mass not attributed to a tracked category. */
  get other(): number {
    return this.otherCount;
  }

  /** Total weight added. */
  get total(): number {
    return this.totalCount;
  }

  /** Number of tracked categories (<= capacity). */
  get size(): number {
    return this.counters.size;
  }

  /** Maximum underestimate of any category's count: other / (capacity + 1). */
  get errorBound(): number {
    return this.otherCount / (this.capacity + 1);
  }

  /** Tracked categories, count descending then name ascending. */
  entries(): [string, number][] {
    return [...this.counters].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  }

  /**
   * Counts for the given category list, in its order; everything else (untracked categories and
   * `other`) is summed into one extra last entry for "__other__". Use the same list for reference
   * and current to build the 2 × (k+1) table of a chi-square test.
   */
  countsFor(categories: readonly string[]): number[] {
    const out: number[] = [];
    let attributed = 0;
    const seen = new Set<string>();
    for (const c of categories) {
      if (c === OTHER_CATEGORY || seen.has(c))
        throw new RangeError(`CategoryCounter: bad category list entry ${c}`);
      seen.add(c);
      const v = this.counters.get(c) ?? 0;
      out.push(v);
      attributed += v;
    }
    out.push(this.totalCount - attributed);
    return out;
  }

  /** Merges `other` (same capacity) into this counter. */
  mergeFrom(other: CategoryCounter): this {
    if (other.capacity !== this.capacity) throw new RangeError("CategoryCounter: capacities differ");
    for (const [k, v] of other.counters) this.counters.set(k, (this.counters.get(k) ?? 0) + v);
    this.otherCount += other.otherCount;
    this.totalCount += other.totalCount;
    if (this.counters.size > this.capacity) {
      const values = [...this.counters.values()].sort((x, y) => y - x);
      const m = values[this.capacity] as number; // (K+1)-th largest
      let removed = 0;
      for (const [k, v] of this.counters) {
        if (v <= m) {
          removed += v;
          this.counters.delete(k);
        } else {
          removed += m;
          this.counters.set(k, v - m);
        }
      }
      this.otherCount += removed;
    }
    return this;
  }

  static merge(a: CategoryCounter, b: CategoryCounter): CategoryCounter {
    return a.clone().mergeFrom(b);
  }

  clone(): CategoryCounter {
    return CategoryCounter.fromJSON(this.toJSON());
  }

  toJSON(): CategoryCounterJSON {
    return { v: 1, capacity: this.capacity, counts: this.entries(), other: this.otherCount };
  }

  static fromJSON(json: CategoryCounterJSON): CategoryCounter {
    if (json.v !== 1) throw new RangeError(`CategoryCounter: unknown version ${String(json.v)}`);
    const c = new CategoryCounter(json.capacity);
    if (json.counts.length > json.capacity)
      throw new RangeError("CategoryCounter: more counts than capacity");
    let total = 0;
    for (const [k, v] of json.counts) {
      if (typeof k !== "string" || k === OTHER_CATEGORY || c.counters.has(k)) {
        throw new RangeError("CategoryCounter: bad category in JSON");
      }
      if (!(v > 0) || !Number.isFinite(v))
        throw new RangeError("CategoryCounter: counts must be finite and > 0");
      c.counters.set(k, v);
      total += v;
    }
    if (!(json.other >= 0) || !Number.isFinite(json.other))
      throw new RangeError("CategoryCounter: bad other");
    c.otherCount = json.other;
    c.totalCount = total + json.other;
    return c;
  }
}
