/**
 * Pearson chi-square test of independence on a contingency table, replicating
 * scipy.stats.chi2_contingency (lambda_=None) to 1e-9 relative:
 * - expected[i][j] = rowSum[i] · colSum[j] / total; a zero expected frequency is an error;
 * - dof = (rows - 1)(cols - 1); dof 0 gives statistic 0 and p-value 1;
 * - Yates' continuity correction only when dof == 1 and `correction` (scipy's default true):
 *   each observed cell moves towards its expected value by min(0.5, |expected - observed|);
 * - p-value = chi2.sf(statistic, dof) = Q(dof/2, statistic/2), see special.ts.
 */

import { chiSquareSf } from "./special.js";

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  dof: number;
}

export interface ChiSquareOptions {
  /** Yates' correction when dof == 1 (scipy default: true). */
  correction?: boolean;
}

/** scipy.stats.chi2_contingency(table, correction) for a 2-D table of non-negative counts. */
export function chi2Contingency(
  table: readonly (readonly number[])[],
  options: ChiSquareOptions = {},
): ChiSquareResult {
  const correction = options.correction ?? true;
  const rows = table.length;
  if (rows === 0) throw new RangeError("chi2Contingency: no data");
  const cols = (table[0] as readonly number[]).length;
  if (cols === 0) throw new RangeError("chi2Contingency: no data");
  const rowSum = new Float64Array(rows);
  const colSum = new Float64Array(cols);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = table[i] as readonly number[];
    if (row.length !== cols) throw new RangeError("chi2Contingency: ragged table");
    for (let j = 0; j < cols; j++) {
      const v = row[j] as number;
      if (!(v >= 0) || !Number.isFinite(v))
        throw new RangeError("chi2Contingency: counts must be finite and >= 0");
      rowSum[i] = (rowSum[i] as number) + v;
      colSum[j] = (colSum[j] as number) + v;
      total += v;
    }
  }
  const dof = rows * cols - rows - cols + 1;
  const expected = (i: number, j: number): number => ((rowSum[i] as number) * (colSum[j] as number)) / total;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (expected(i, j) === 0) {
        throw new RangeError(
          `chi2Contingency: the table of expected frequencies has a zero element at (${i}, ${j})`,
        );
      }
    }
  }
  if (dof === 0) return { statistic: 0, pvalue: 1, dof: 0 };
  const yates = dof === 1 && correction;
  let statistic = 0;
  for (let i = 0; i < rows; i++) {
    const row = table[i] as readonly number[];
    for (let j = 0; j < cols; j++) {
      const e = expected(i, j);
      let o = row[j] as number;
      if (yates) {
        const diff = e - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      const dev = o - e;
      statistic += (dev * dev) / e;
    }
  }
  return { statistic, pvalue: chiSquareSf(statistic, dof), dof };
}

/**
 * Chi-square test of reference vs current category counts (a 2 × k table), as used for drift.
 * Categories whose count is zero in both are dropped first (they carry no information and would
 * make scipy raise). With fewer than two categories left, or an empty reference or current, the
 * result is statistic 0, p-value 1, dof 0 (scipy would raise). Otherwise identical to
 * `chi2Contingency([reference, current], options)`, including Yates' correction when only two
 * categories remain (dof 1) unless `correction: false`.
 */
export function chiSquareTwoSample(
  reference: readonly number[],
  current: readonly number[],
  options: ChiSquareOptions = {},
): ChiSquareResult {
  if (reference.length !== current.length) throw new RangeError("chiSquareTwoSample: lengths differ");
  const ref: number[] = [];
  const cur: number[] = [];
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const c = current[i] as number;
    if (r === 0 && c === 0) continue;
    ref.push(r);
    cur.push(c);
    refTotal += r;
    curTotal += c;
  }
  if (ref.length < 2 || refTotal === 0 || curTotal === 0) return { statistic: 0, pvalue: 1, dof: 0 };
  return chi2Contingency([ref, cur], options);
}
