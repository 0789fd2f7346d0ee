/**
 * DDSketch: mergeable quantile sketch with a relative-error guarantee (Masson, Rim, Lee,
 * "DDSketch: A Fast and Fully-Mergeable Quantile Sketch with Relative-Error Guarantees",
 * VLDB 2019), with the "collapsing lowest" dense store of Datadog's implementations.
 *
 * Mapping: with γ = (1 + α) / (1 - α), a value x > 0 goes to bucket key k = ceil(log_γ x), i.e.
 * x ∈ (γ^(k-1), γ^k]; the bucket is represented by 2γ^k / (γ + 1), which is within relative
 * error α of every value of the bucket. Negative values use a second store keyed by |x|; zeros are
 * counted exactly.
 *
 * Error bound: `quantile(q)` returns an estimate of the order statistic x_(⌊q·(n-1)⌋) (0-based,
 * "lower" quantile) with |estimate - x| <= α·|x| (plus ~1e-15 relative floating-point rounding),
 * for every q and every distribution, as long as that bucket was not collapsed (below). Zero is
 * exact; the minimum and maximum (ranks 0 and n-1) are exact, and every estimate is clamped to
 * [min, max].
 *
 * Bounded size: each store keeps at most `maxBinsPerSign` consecutive keys (default 2048). When a
 * larger key arrives, the keys below maxKey - maxBinsPerSign + 1 are folded into that lowest key
 * ("collapsing lowest"): values of smallest magnitude lose their guarantee and are reported with
 * the magnitude γ^cut. With α = 0.01 and 2048 bins that only happens when, within one sign, the
 * largest magnitude is more than γ^2048 ≈ 6e17 times the smallest. `collapsed` in the JSON says
 * whether it happened. Memory: at most 2 × maxBinsPerSign × 2 float64 (~64 KiB at the default);
 * the serialized form holds only the used key range.
 *
 * Merge: the state after any sequence of adds is a function of the multiset of added values
 * (keys below the final cut are folded, whatever the order), so merge(a, b) is *identical* to the
 * sketch of the concatenated stream, and merging is associative and commutative (integer counts
 * below 2^53). Both sketches need the same α and maxBinsPerSign.
 *
 * Cost: add() is O(1) amortized (one log, no allocation; the backing array is re-laid out only when
 * the key range grows beyond it). quantile() is O(number of buckets).
 */

import { type KsOptions, type KsResult, ks2sampBinned } from "./ks.js";

export interface DDSketchOptions {
  /** Relative accuracy α in (0, 1), default 0.01. Must be >= 1e-6. */
  relativeAccuracy?: number;
  /** Maximum number of buckets per sign (positive, negative), default 2048. */
  maxBinsPerSign?: number;
}

export interface DDSketchStoreJSON {
  /** Key of counts[0]; counts[i] is the count of key offset + i (first and last non-zero). */
  offset: number;
  counts: number[];
  /** True if keys were folded into the lowest kept key (guarantee lost for those values). */
  collapsed: boolean;
}

export interface DDSketchJSON {
  v: 1;
  relativeAccuracy: number;
  maxBinsPerSign: number;
  count: number;
  zeroCount: number;
  /** Exact extremes, null when empty. */
  min: number | null;
  max: number | null;
  positive: DDSketchStoreJSON;
  negative: DDSketchStoreJSON;
}

/** Dense store of counts by integer key, keeping at most `maxBins` consecutive keys. */
class CollapsingLowestStore {
  private bins: Float64Array = new Float64Array(0);
  /** Key of bins[0]. */
  private offset = 0;
  minKey = 0;
  maxKey = -1;
  total = 0;
  collapsed = false;

  constructor(readonly maxBins: number) {}

  get isEmpty(): boolean {
    return this.total === 0;
  }

  add(key: number, count: number): void {
    let k = key;
    if (this.total === 0) {
      this.ensureRange(k, k);
      this.minKey = k;
      this.maxKey = k;
    } else if (k > this.maxKey) {
      const cut = k - this.maxBins + 1;
      let folded = 0;
      if (cut > this.minKey) {
        const last = Math.min(cut - 1, this.maxKey);
        for (let j = this.minKey; j <= last; j++) {
          const idx = j - this.offset;
          folded += this.bins[idx] as number;
          this.bins[idx] = 0;
        }
        this.collapsed = true;
        this.minKey = cut;
      }
      this.ensureRange(this.minKey, k);
      this.maxKey = k;
      if (folded !== 0) {
        const idx = this.minKey - this.offset;
        this.bins[idx] = (this.bins[idx] as number) + folded;
      }
    } else if (k < this.minKey) {
      const floor = this.maxKey - this.maxBins + 1;
      if (k < floor) {
        k = floor;
        this.collapsed = true;
      }
      if (k < this.minKey) {
        this.ensureRange(k, this.maxKey);
        this.minKey = k;
      }
    }
    const idx = k - this.offset;
    this.bins[idx] = (this.bins[idx] as number) + count;
    this.total += count;
  }

  /** Makes bins cover keys [lo, hi] (hi - lo < maxBins), keeping the existing counts. */
  private ensureRange(lo: number, hi: number): void {
    const cap = this.bins.length;
    if (lo >= this.offset && hi < this.offset + cap) return;
    const width = hi - lo + 1;
    const newCap = Math.min(Math.max(64, 2 * width, cap), 2 * this.maxBins);
    const newOffset = lo - Math.floor((newCap - width) / 2);
    const next = newCap === cap ? this.bins : new Float64Array(newCap);
    if (this.total > 0) {
      // Live keys are within [minKey, maxKey] ∩ [lo, hi] (keys outside were folded to 0).
      const from = Math.max(this.minKey, lo);
      const to = Math.min(this.maxKey, hi);
      if (next === this.bins) {
        const src = from - this.offset;
        const dst = from - newOffset;
        if (to >= from) next.copyWithin(dst, src, src + (to - from + 1));
        // zero everything outside the moved block
        if (to >= from) {
          next.fill(0, 0, dst);
          next.fill(0, dst + (to - from + 1));
        } else {
          next.fill(0);
        }
      } else {
        for (let j = from; j <= to; j++) next[j - newOffset] = this.bins[j - this.offset] as number;
      }
    } else if (next === this.bins) {
      next.fill(0);
    }
    this.bins = next;
    this.offset = newOffset;
  }

  countAt(key: number): number {
    if (key < this.minKey || key > this.maxKey) return 0;
    return this.bins[key - this.offset] as number;
  }

  /** Adds every bucket of `other` (same maxBins). Highest keys first, so folding happens once. */
  mergeFrom(other: CollapsingLowestStore): void {
    if (other.total === 0) return;
    for (let k = other.maxKey; k >= other.minKey; k--) {
      const c = other.countAt(k);
      if (c !== 0) this.add(k, c);
    }
    if (other.collapsed) this.collapsed = true;
  }

  toJSON(): DDSketchStoreJSON {
    if (this.total === 0) return { offset: 0, counts: [], collapsed: this.collapsed };
    const counts: number[] = [];
    for (let k = this.minKey; k <= this.maxKey; k++) counts.push(this.countAt(k));
    return { offset: this.minKey, counts, collapsed: this.collapsed };
  }

  static fromJSON(json: DDSketchStoreJSON, maxBins: number): CollapsingLowestStore {
    const s = new CollapsingLowestStore(maxBins);
    if (!Number.isInteger(json.offset)) throw new RangeError("DDSketch: store offset must be an integer");
    if (json.counts.length > maxBins)
      throw new RangeError("DDSketch: store has more than maxBinsPerSign keys");
    for (let i = json.counts.length - 1; i >= 0; i--) {
      const c = json.counts[i] as number;
      if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError("DDSketch: counts must be finite and >= 0");
      if (c > 0) s.add(json.offset + i, c);
    }
    s.collapsed = json.collapsed === true;
    return s;
  }
}

export class DDSketch {
  readonly relativeAccuracy: number;
  readonly maxBinsPerSign: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly invLogGamma: number;
  private positive: CollapsingLowestStore;
  private negative: CollapsingLowestStore;
  private zero = 0;
  private n = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  constructor(options: DDSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? 0.01;
    const maxBins = options.maxBinsPerSign ?? 2048;
    if (!(alpha >= 1e-6 && alpha < 1))
      throw new RangeError("DDSketch: relativeAccuracy must be in [1e-6, 1)");
    if (!Number.isInteger(maxBins) || maxBins < 1) {
      throw new RangeError("DDSketch: maxBinsPerSign must be an integer >= 1");
    }
    this.relativeAccuracy = alpha;
    this.maxBinsPerSign = maxBins;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
    this.invLogGamma = 1 / this.logGamma;
    this.positive = new CollapsingLowestStore(maxBins);
    this.negative = new CollapsingLowestStore(maxBins);
  }

  /** Bucket key of |x| (x != 0). */
  key(x: number): number {
    return Math.ceil(Math.log(Math.abs(x)) * this.invLogGamma) | 0;
  }

  /** Representative magnitude of bucket `key`: 2γ^key / (γ + 1). */
  bucketValue(key: number): number {
    return (2 * Math.exp(key * this.logGamma)) / (this.gamma + 1);
  }

  /** Adds `count` (default 1, > 0) observations of the finite value x. O(1) amortized. */
  add(x: number, count = 1): void {
    if (!Number.isFinite(x)) throw new RangeError("DDSketch: value must be finite");
    if (!(count > 0) || !Number.isFinite(count))
      throw new RangeError("DDSketch: count must be finite and > 0");
    if (x > 0) this.positive.add(Math.ceil(Math.log(x) * this.invLogGamma) | 0, count);
    else if (x < 0) this.negative.add(Math.ceil(Math.log(-x) * this.invLogGamma) | 0, count);
    else this.zero += count;
    this.n += count;
    if (x < this.minValue) this.minValue = x;
    if (x > this.maxValue) this.maxValue = x;
  }

  get count(): number {
    return this.n;
  }

  get zeroCount(): number {
    return this.zero;
  }

  /** Exact minimum (NaN when empty). */
  get min(): number {
    return this.n === 0 ? Number.NaN : this.minValue;
  }

  /** Exact maximum (NaN when empty). */
  get max(): number {
    return this.n === 0 ? Number.NaN : this.maxValue;
  }

  /** True if some bucket was folded (the α guarantee then excludes the smallest magnitudes). */
  get collapsed(): boolean {
    return this.positive.collapsed || this.negative.collapsed;
  }

  /**
   * Estimate of the q-quantile, q in [0, 1]: the order statistic of 0-based rank ⌊q·(n-1)⌋, within
   * relative error α (see the module comment). NaN when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError("DDSketch: quantile must be in [0, 1]");
    if (this.n === 0) return Number.NaN;
    const rank = q * (this.n - 1);
    // The extreme order statistics are known exactly.
    if (rank < 1) return this.minValue;
    if (rank >= this.n - 1) return this.maxValue;
    const value = this.valueAtRank(rank);
    return Math.min(Math.max(value, this.minValue), this.maxValue);
  }

  /** Representative value of the first bucket (ascending values) whose cumulative count exceeds rank. */
  private valueAtRank(rank: number): number {
    let cum = 0;
    const neg = this.negative;
    if (!neg.isEmpty) {
      for (let k = neg.maxKey; k >= neg.minKey; k--) {
        cum += neg.countAt(k);
        if (cum > rank) return -this.bucketValue(k);
      }
    }
    cum += this.zero;
    if (cum > rank) return 0;
    const pos = this.positive;
    if (!pos.isEmpty) {
      for (let k = pos.minKey; k <= pos.maxKey; k++) {
        cum += pos.countAt(k);
        if (cum > rank) return this.bucketValue(k);
      }
    }
    return this.maxValue;
  }

  /**
   * Bucket counts in ascending value order, aligned with `other` (same α): negative keys descending,
   * zero, positive keys ascending, over the keys present in either sketch.
   */
  alignedCounts(other: DDSketch): { a: number[]; b: number[] } {
    this.assertCompatible(other);
    const a: number[] = [];
    const b: number[] = [];
    const walk = (sa: CollapsingLowestStore, sb: CollapsingLowestStore, descending: boolean): void => {
      const keys = new Set<number>();
      for (const s of [sa, sb]) {
        if (s.isEmpty) continue;
        for (let k = s.minKey; k <= s.maxKey; k++) if (s.countAt(k) !== 0) keys.add(k);
      }
      const sorted = [...keys].sort((x, y) => (descending ? y - x : x - y));
      for (const k of sorted) {
        a.push(sa.countAt(k));
        b.push(sb.countAt(k));
      }
    };
    walk(this.negative, other.negative, true);
    if (this.zero !== 0 || other.zero !== 0) {
      a.push(this.zero);
      b.push(other.zero);
    }
    walk(this.positive, other.positive, false);
    return { a, b };
  }

  private assertCompatible(other: DDSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy || other.maxBinsPerSign !== this.maxBinsPerSign) {
      throw new RangeError("DDSketch: sketches have different relativeAccuracy or maxBinsPerSign");
    }
  }

  /** Adds `other` (same α and maxBinsPerSign) into this sketch. */
  mergeFrom(other: DDSketch): this {
    this.assertCompatible(other);
    this.positive.mergeFrom(other.positive);
    this.negative.mergeFrom(other.negative);
    this.zero += other.zero;
    this.n += other.n;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    return this;
  }

  /** New sketch = a ∪ b. */
  static merge(a: DDSketch, b: DDSketch): DDSketch {
    return a.clone().mergeFrom(b);
  }

  clone(): DDSketch {
    return DDSketch.fromJSON(this.toJSON());
  }

  toJSON(): DDSketchJSON {
    return {
      v: 1,
      relativeAccuracy: this.relativeAccuracy,
      maxBinsPerSign: this.maxBinsPerSign,
      count: this.n,
      zeroCount: this.zero,
      min: this.n === 0 ? null : this.minValue,
      max: this.n === 0 ? null : this.maxValue,
      positive: this.positive.toJSON(),
      negative: this.negative.toJSON(),
    };
  }

  static fromJSON(json: DDSketchJSON): DDSketch {
    if (json.v !== 1) throw new RangeError(`DDSketch: unknown version ${String(json.v)}`);
    const s = new DDSketch({ relativeAccuracy: json.relativeAccuracy, maxBinsPerSign: json.maxBinsPerSign });
    s.positive = CollapsingLowestStore.fromJSON(json.positive, json.maxBinsPerSign);
    s.negative = CollapsingLowestStore.fromJSON(json.negative, json.maxBinsPerSign);
    if (!(json.zeroCount >= 0)) throw new RangeError("DDSketch: zeroCount must be >= 0");
    s.zero = json.zeroCount;
    const total = s.positive.total + s.negative.total + s.zero;
    if (total !== json.count) throw new RangeError("DDSketch: count does not match the buckets");
    s.n = json.count;
    if (s.n > 0) {
      if (typeof json.min !== "number" || typeof json.max !== "number" || !(json.min <= json.max)) {
        throw new RangeError("DDSketch: min and max are required when count > 0");
      }
      s.minValue = json.min;
      s.maxValue = json.max;
    }
    return s;
  }
}

/**
 * Approximate two-sample KS test between two DDSketches (same α). The statistic is the exact KS
 * statistic of the two samples after each value is replaced by its bucket; the true statistic D of
 * the raw values satisfies statistic <= D <= statisticUpperBound = statistic + the largest single
 * bucket share (when neither sketch collapsed). p-value as {@link ks2sampBinned}.
 */
export function ksTestSketches(
  a: DDSketch,
  b: DDSketch,
  options: KsOptions = {},
): KsResult & { statisticUpperBound: number } {
  const { a: ca, b: cb } = a.alignedCounts(b);
  return ks2sampBinned(ca, cb, options);
}
