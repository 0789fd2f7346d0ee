import { DDSketch, type DDSketchJSON } from "@argus/stats";
import { sketchAccuracy } from "./baseline-profile.js";

const mapper = new DDSketch({ relativeAccuracy: sketchAccuracy });

/**
 * A numeric distribution as sorted support points with counts: either exact values (a small
 * reference) or DDSketch buckets at their representative values (within 1 % of every value they
 * hold). All drift statistics of numeric features are computed on these.
 */
export class Distribution {
  readonly total: number;

  private constructor(
    readonly values: Float64Array,
    readonly counts: Float64Array,
    readonly exact: boolean,
  ) {
    let total = 0;
    for (const count of counts) total += count;
    this.total = total;
  }

  static fromExact(sorted: readonly number[]): Distribution {
    const values: number[] = [];
    const counts: number[] = [];
    for (const value of sorted) {
      if (values.length > 0 && values[values.length - 1] === value)
        counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
      else {
        values.push(value);
        counts.push(1);
      }
    }
    return new Distribution(Float64Array.from(values), Float64Array.from(counts), true);
  }

  static fromSketch(sketch: DDSketchJSON): Distribution {
    const points: [number, number][] = [];
    sketch.negative.counts.forEach((count, i) => {
      if (count > 0) points.push([-mapper.bucketValue(sketch.negative.offset + i), count]);
    });
    if (sketch.zeroCount > 0) points.push([0, sketch.zeroCount]);
    sketch.positive.counts.forEach((count, i) => {
      if (count > 0) points.push([mapper.bucketValue(sketch.positive.offset + i), count]);
    });
    return Distribution.fromPoints(points);
  }

  /** From window counters: bucket names `p<k>`, `n<k>`, `z` (see window-counters.ts) with counts. */
  static fromBuckets(buckets: Iterable<[string, number]>): Distribution {
    const points: [number, number][] = [];
    for (const [bucket, count] of buckets) {
      if (count <= 0) continue;
      if (bucket === "z") points.push([0, count]);
      else {
        const magnitude = mapper.bucketValue(Number(bucket.slice(1)));
        points.push([bucket[0] === "n" ? -magnitude : magnitude, count]);
      }
    }
    return Distribution.fromPoints(points);
  }

  private static fromPoints(points: [number, number][]): Distribution {
    points.sort((a, b) => a[0] - b[0]);
    return new Distribution(
      Float64Array.from(points.map(([value]) => value)),
      Float64Array.from(points.map(([, count]) => count)),
      false,
    );
  }

  /** Share of the mass at or below x. */
  cdf(x: number): number {
    let below = 0;
    for (let i = 0; i < this.values.length && (this.values[i] as number) <= x; i++)
      below += this.counts[i] as number;
    return this.total === 0 ? 0 : below / this.total;
  }

  /** Lower quantile (the value of the ⌊q·(n-1)⌋-th observation, 0-based). */
  quantile(q: number): number {
    const rank = Math.floor(q * (this.total - 1));
    let seen = 0;
    for (let i = 0; i < this.values.length; i++) {
      seen += this.counts[i] as number;
      if (seen > rank) return this.values[i] as number;
    }
    return this.values[this.values.length - 1] ?? Number.NaN;
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.values.length; i++)
      sum += (this.values[i] as number) * (this.counts[i] as number);
    return this.total === 0 ? Number.NaN : sum / this.total;
  }

  /** Share of the mass strictly below `low` or strictly above `high`. */
  outsideShare(low: number, high: number): number {
    let outside = 0;
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i] as number;
      if (value < low || value > high) outside += this.counts[i] as number;
    }
    return this.total === 0 ? 0 : outside / this.total;
  }
}

/**
 * The representative value of the DDSketch bucket that holds `value` (0 for 0): what `value` becomes
 * in a window's counters or a baseline's sketch. Monotone (non-decreasing) in `value`.
 */
export function bucketRepresentative(value: number): number {
  if (value === 0) return 0;
  const magnitude = mapper.bucketValue(mapper.key(value));
  return value > 0 ? magnitude : -magnitude;
}

/** sup |F_a − F_b| over the union of both supports (the KS statistic of the two distributions). */
export function ksStatistic(a: Distribution, b: Distribution): number {
  return walk(a, b, (fa, fb) => Math.abs(fa - fb), Math.max, 0);
}

/** ∫ |F_a − F_b| dx: the Wasserstein-1 distance between the two (binned) distributions. */
export function wasserstein1(a: Distribution, b: Distribution): number {
  let area = 0;
  let previous: number | undefined;
  let lastGap = 0;
  walk(
    a,
    b,
    (fa, fb, x) => {
      if (previous !== undefined) area += lastGap * (x - previous);
      previous = x;
      lastGap = Math.abs(fa - fb);
      return 0;
    },
    () => 0,
    0,
  );
  return area;
}

/** Visits every support point of either distribution in order with both CDFs just after it. */
function walk(
  a: Distribution,
  b: Distribution,
  visit: (fa: number, fb: number, x: number) => number,
  combine: (accumulated: number, value: number) => number,
  initial: number,
): number {
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let result = initial;
  while (i < a.values.length || j < b.values.length) {
    const xa = i < a.values.length ? (a.values[i] as number) : Number.POSITIVE_INFINITY;
    const xb = j < b.values.length ? (b.values[j] as number) : Number.POSITIVE_INFINITY;
    const x = Math.min(xa, xb);
    if (xa === x) ca += a.counts[i++] as number;
    if (xb === x) cb += b.counts[j++] as number;
    result = combine(result, visit(ca / a.total, cb / b.total, x));
  }
  return result;
}
