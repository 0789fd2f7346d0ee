/**
 * Mergeable fixed-bin histogram for a numeric feature.
 *
 * The bin edges come from the baseline (typically its quantiles, see {@link quantileEdges}) and
 * never change, so histograms of the same feature built by different replicas or windows can be
 * merged by adding counts. With k+1 strictly increasing edges e_0 < ... < e_k there are k+2 bins:
 *
 *   bin 0        (-inf, e_0)        underflow
 *   bin i        [e_(i-1), e_i)     for i = 1..k-1
 *   bin k        [e_(k-1), e_k]     (closed on the right, like numpy.histogram)
 *   bin k+1      (e_k, +inf)        overflow
 *
 * With a single edge there are two bins, x < e_0 and x >= e_0.
 * NaN is counted separately (`nanCount`) and is in no bin. Counts are exact: merge(a, b) is
 * identical to the histogram of the concatenated stream, and merge is associative and
 * commutative (integer counts below 2^53). add() is O(log k) without allocation.
 */

import { quantileSorted } from "simple-statistics";
import { sortedCopy } from "./internal.js";
import { type KsOptions, type KsResult, ks2sampBinned } from "./ks.js";

export interface FixedBinHistogramJSON {
  v: 1;
  edges: number[];
  counts: number[];
  nanCount: number;
}

/**
 * Edges at the baseline's quantiles i/bins (i = 0..bins, numpy's default linear interpolation,
 * via simple-statistics), with duplicates removed (so a feature with few distinct values gets
 * fewer bins; a constant baseline c gets the edges [c, c + 1 ulp], i.e. bins "< c", "= c", "> c").
 * Needs at least one finite value.
 */
export function quantileEdges(baseline: ArrayLike<number>, bins = 10): number[] {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError("quantileEdges: bins must be an integer >= 1");
  const finite = Array.from(
    sortedCopy(
      Array.from(baseline).filter((x) => Number.isFinite(x)),
      "baseline",
    ),
  );
  if (finite.length === 0) throw new RangeError("quantileEdges: baseline has no finite value");
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const q = quantileSorted(finite, i / bins);
    if (edges.length === 0 || q > (edges[edges.length - 1] as number)) edges.push(q);
  }
  if (edges.length === 1) {
    // Constant baseline: keep a bin that holds exactly that value, [c, c + 1 ulp].
    const c = edges[0] as number;
    edges.push(c + Math.max(Math.abs(c) * Number.EPSILON, Number.MIN_VALUE));
  }
  return edges;
}

export class FixedBinHistogram {
  readonly edges: Float64Array;
  /** counts[0] = underflow, counts[edges.length] = overflow. */
  readonly counts: Float64Array;
  private nan = 0;

  constructor(edges: ArrayLike<number>) {
    if (edges.length < 1) throw new RangeError("FixedBinHistogram: at least one edge is needed");
    this.edges = Float64Array.from(edges);
    for (let i = 0; i < this.edges.length; i++) {
      const e = this.edges[i] as number;
      if (!Number.isFinite(e)) throw new RangeError("FixedBinHistogram: edges must be finite");
      if (i > 0 && !(e > (this.edges[i - 1] as number))) {
        throw new RangeError("FixedBinHistogram: edges must be strictly increasing");
      }
    }
    this.counts = new Float64Array(this.edges.length + 1);
  }

  /** Histogram whose edges are the baseline's quantiles, filled with the baseline. */
  static fromBaseline(baseline: ArrayLike<number>, bins = 10): FixedBinHistogram {
    const h = new FixedBinHistogram(quantileEdges(baseline, bins));
    for (let i = 0; i < baseline.length; i++) h.add(baseline[i] as number);
    return h;
  }

  /** Index of the bin holding x (see the class comment), or -1 for NaN. */
  binOf(x: number): number {
    const e = this.edges;
    const k = e.length - 1;
    if (Number.isNaN(x)) return -1;
    if (x < (e[0] as number)) return 0;
    if (x > (e[k] as number)) return k + 1;
    if (x === e[k]) return k === 0 ? 1 : k;
    // largest i with e[i] <= x, answer i + 1
    let lo = 0;
    let hi = k;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if ((e[mid] as number) <= x) lo = mid;
      else hi = mid;
    }
    return lo + 1;
  }

  /** Adds `count` (default 1) observations of x. */
  add(x: number, count = 1): void {
    const b = this.binOf(x);
    if (b < 0) this.nan += count;
    else this.counts[b] = (this.counts[b] as number) + count;
  }

  get nanCount(): number {
    return this.nan;
  }

  /** Number of non-NaN observations. */
  get total(): number {
    let t = 0;
    for (let i = 0; i < this.counts.length; i++) t += this.counts[i] as number;
    return t;
  }

  /** True if `other` has exactly the same edges. */
  compatibleWith(other: FixedBinHistogram): boolean {
    if (other.edges.length !== this.edges.length) return false;
    for (let i = 0; i < this.edges.length; i++) if (other.edges[i] !== this.edges[i]) return false;
    return true;
  }

  /** Adds the counts of `other` (same edges) into this histogram. */
  mergeFrom(other: FixedBinHistogram): this {
    if (!this.compatibleWith(other)) throw new RangeError("FixedBinHistogram: edges differ");
    for (let i = 0; i < this.counts.length; i++) {
      this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    }
    this.nan += other.nan;
    return this;
  }

  /** New histogram = a + b. */
  static merge(a: FixedBinHistogram, b: FixedBinHistogram): FixedBinHistogram {
    return a.clone().mergeFrom(b);
  }

  clone(): FixedBinHistogram {
    return FixedBinHistogram.fromJSON(this.toJSON());
  }

  toJSON(): FixedBinHistogramJSON {
    return { v: 1, edges: Array.from(this.edges), counts: Array.from(this.counts), nanCount: this.nan };
  }

  static fromJSON(json: FixedBinHistogramJSON): FixedBinHistogram {
    if (json.v !== 1) throw new RangeError(`FixedBinHistogram: unknown version ${String(json.v)}`);
    const h = new FixedBinHistogram(json.edges);
    if (json.counts.length !== h.counts.length)
      throw new RangeError("FixedBinHistogram: counts do not match edges");
    for (let i = 0; i < json.counts.length; i++) {
      const c = json.counts[i] as number;
      if (!(c >= 0) || !Number.isFinite(c))
        throw new RangeError("FixedBinHistogram: counts must be finite and >= 0");
      h.counts[i] = c;
    }
    if (!(json.nanCount >= 0)) throw new RangeError("FixedBinHistogram: nanCount must be >= 0");
    h.nan = json.nanCount;
    return h;
  }
}

/**
 * Approximate two-sample KS test between two histograms with the same edges (NaN excluded).
 * `statistic` is the exact KS statistic of the data after binning and the true statistic of the raw
 * values lies in [statistic, statisticUpperBound] (largest single-bin share added). See
 * {@link ks2sampBinned}.
 */
export function ksTestHistograms(
  a: FixedBinHistogram,
  b: FixedBinHistogram,
  options: KsOptions = {},
): KsResult & { statisticUpperBound: number } {
  if (!a.compatibleWith(b)) throw new RangeError("ksTestHistograms: edges differ");
  return ks2sampBinned(a.counts, b.counts, options);
}
