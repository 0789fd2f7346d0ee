/**
 * Distances between distributions used for drift scores: PSI, Jensen-Shannon distance and the
 * (normalized) Wasserstein-1 distance.
 */

import { standardDeviation } from "simple-statistics";
import { assertFiniteNonNegative, CompensatedSum, sortedCopy } from "./internal.js";

export interface PsiOptions {
  /**
   * Replacement for empty bins. Default: Evidently's rule, applied to each distribution separately:
   * zero shares become 0.0001, or (smallest non-zero share) / 1e6 if that share is <= 0.0001.
   */
  epsilon?: number;
}

/**
 * Population Stability Index over shared bins:
 * PSI = Σ_i (r_i - c_i) · ln(r_i / c_i), with r_i, c_i the shares of bin i in the reference and
 * current counts.
 *
 * Binning: the caller's (for numeric features, the baseline-quantile bins of
 * {@link FixedBinHistogram}, including its underflow/overflow bins; for categories, the category
 * list). Empty bins would make the log infinite, so zero shares are replaced, without
 * renormalizing, following Evidently (evidently/calculations/stattests/utils.py,
 * `get_binned_data(..., feel_zeroes=True)`: `np.place(percents, percents == 0,
 * min(nonzero) / 10**6 if min(nonzero) <= 0.0001 else 0.0001)`), or by `options.epsilon`.
 * Common reading (Evidently's default threshold): PSI >= 0.1 is drift, >= 0.25 is large drift.
 */
export function psi(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: PsiOptions = {},
): number {
  if (reference.length !== current.length) throw new RangeError("psi: bins differ");
  const r = shares(reference, "psi: reference", options.epsilon);
  const c = shares(current, "psi: current", options.epsilon);
  const sum = new CompensatedSum();
  for (let i = 0; i < r.length; i++) {
    const ri = r[i] as number;
    const ci = c[i] as number;
    sum.add((ri - ci) * Math.log(ri / ci));
  }
  return sum.value;
}

function shares(counts: ArrayLike<number>, what: string, epsilon: number | undefined): Float64Array {
  assertFiniteNonNegative(counts, what);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  if (!(total > 0)) throw new RangeError(`${what}: all counts are zero`);
  const out = new Float64Array(counts.length);
  let minNonZero = Number.POSITIVE_INFINITY;
  for (let i = 0; i < counts.length; i++) {
    const s = (counts[i] as number) / total;
    out[i] = s;
    if (s !== 0 && s < minNonZero) minNonZero = s;
  }
  const fill = epsilon ?? (minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001);
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

/**
 * Jensen-Shannon distance (the square root of the JS divergence) between two distributions given
 * as non-negative weights over the same bins (normalized here), in log base `base` (default 2,
 * giving a value in [0, 1]). Matches scipy.spatial.distance.jensenshannon(p, q, base).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new RangeError("jensenShannonDistance: bins differ");
  assertFiniteNonNegative(p, "jensenShannonDistance: p");
  assertFiniteNonNegative(q, "jensenShannonDistance: q");
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i] as number;
    sq += q[i] as number;
  }
  if (!(sp > 0) || !(sq > 0)) throw new RangeError("jensenShannonDistance: empty distribution");
  const left = new CompensatedSum();
  const right = new CompensatedSum();
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / sp;
    const qi = (q[i] as number) / sq;
    const m = (pi + qi) / 2;
    left.add(relEntr(pi, m));
    right.add(relEntr(qi, m));
  }
  const js = (left.value + right.value) / Math.log(base);
  return Math.sqrt(Math.max(0, js / 2));
}

/**
 * First Wasserstein (earth mover's) distance between two samples: ∫ |F_u(x) - F_v(x)| dx over the
 * empirical CDFs (scipy.stats.wasserstein_distance without weights). O((n+m) log(n+m)).
 */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const su = sortedCopy(u, "wassersteinDistance: u");
  const sv = sortedCopy(v, "wassersteinDistance: v");
  const nu = su.length;
  const nv = sv.length;
  if (nu === 0 || nv === 0) throw new RangeError("wassersteinDistance: samples must not be empty");
  const sum = new CompensatedSum();
  let i = 0;
  let j = 0;
  // Walk the merged order; between consecutive merged values the CDFs are constant.
  let prev = Math.min(su[0] as number, sv[0] as number);
  while (i < nu || j < nv) {
    const a = i < nu ? (su[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < nv ? (sv[j] as number) : Number.POSITIVE_INFINITY;
    const x = Math.min(a, b);
    if (x !== prev) {
      sum.add(Math.abs(i / nu - j / nv) * (x - prev));
      prev = x;
    }
    while (i < nu && (su[i] as number) <= x) i++;
    while (j < nv && (sv[j] as number) <= x) j++;
  }
  return sum.value;
}

/**
 * Evidently's "wasserstein_distance_norm": wassersteinDistance(reference, current) divided by
 * max(std(reference), 0.001), with the population standard deviation (numpy's np.std, ddof=0)
 * (evidently/calculations/stattests/wasserstein_distance_norm.py). Evidently's default drift
 * threshold is 0.1.
 */
export function wassersteinDistanceNorm(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const w = wassersteinDistance(reference, current);
  const std = standardDeviation(Array.from(reference));
  return w / Math.max(std, 0.001);
}
