/**
 * ADWIN (ADaptive WINdowing) change detector for a numeric stream (e.g. a 0/1 error stream),
 * following Bifet & Gavaldà, "Learning from Time-Changing Data with Adaptive Windowing",
 * SIAM SDM 2007, and reproducing River's implementation (river/drift/adwin.py and adwin_c.pyx:
 * exponential-histogram buckets as in MOA, defaults delta = 0.002, clock = 32, max_buckets = 5,
 * min_window_length = 5, grace_period = 10).
 *
 * The window is kept as rows of buckets; row i holds buckets summarizing 2^i items (total and
 * variance), at most `maxBuckets` per row (a (maxBuckets+1)-th merges the two oldest into the next
 * row). Memory is O(maxBuckets · log(width)). Every `clock` items (once the window is longer than
 * `gracePeriod`), every cut W0 | W1 at a bucket boundary (both sides >= minWindowLength) is tested:
 *
 *   |mean(W0) - mean(W1)| > sqrt(2 · m · σ² · δ') + (2/3) · δ' · m,
 *   m = 1/(n0 - minLen + 1) + 1/(n1 - minLen + 1),  δ' = ln(2 ln(width) / δ),  σ² = window variance
 *
 * and the oldest bucket is dropped while a cut succeeds. A detection is reported for that update;
 * as in River, the next update() starts again from an empty window.
 *
 * Every bucket boundary is a candidate cut, as in MOA's ADWIN.java and River since the fix of
 * online-ml/river#1614 (older River releases skipped the newest bucket of each row,
 * `range(current_idx - 1)`, which delays detection).
 * The state is a plain JSON object (toJSON/fromJSON) so it can be stored between events; a restored
 * detector continues exactly as the original.
 */

/**
 * ADWIN's cut threshold ε for sub-windows of n0 and n1 items:
 * sqrt(2·m·σ²·δ') + (2/3)·δ'·m with m = 1/(n0 - minLen + 1) + 1/(n1 - minLen + 1), σ² the
 * variance of the whole window (sum of squared deviations / width) and
 * δ' = ln(2·ln(width)/δ) (see {@link adwinDeltaPrime}).
 */
export function adwinCutEpsilon(
  n0: number,
  n1: number,
  varianceInWindow: number,
  deltaPrime: number,
  minWindowLength: number,
): number {
  const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
  return Math.sqrt(2 * mRecip * varianceInWindow * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
}

/** δ' = ln(2·ln(width)/δ), the confidence term of {@link adwinCutEpsilon}. */
export function adwinDeltaPrime(width: number, delta: number): number {
  return Math.log((2 * Math.log(width)) / delta);
}

export interface AdwinOptions {
  /** Confidence δ (default 0.002). */
  delta?: number;
  /** Check for change every `clock` items (default 32). */
  clock?: number;
  /** Buckets per row before merging (default 5). */
  maxBuckets?: number;
  /** Minimum length of each sub-window (default 5). */
  minWindowLength?: number;
  /** No detection until the window is longer than this (default 10). */
  gracePeriod?: number;
}

export interface AdwinJSON {
  v: 1;
  delta: number;
  clock: number;
  maxBuckets: number;
  minWindowLength: number;
  gracePeriod: number;
  /** rows[i] = buckets of 2^i items, oldest first: [total, variance] pairs. */
  rows: [number, number][][];
  total: number;
  variance: number;
  width: number;
  tick: number;
  nDetections: number;
  driftDetected: boolean;
}

class Row {
  readonly totals: Float64Array;
  readonly variances: Float64Array;
  size = 0;
  constructor(maxBuckets: number) {
    this.totals = new Float64Array(maxBuckets + 1);
    this.variances = new Float64Array(maxBuckets + 1);
  }
  insert(total: number, variance: number): void {
    this.totals[this.size] = total;
    this.variances[this.size] = variance;
    this.size++;
  }
  /** Removes the `k` oldest buckets. */
  removeOldest(k: number): void {
    this.totals.copyWithin(0, k);
    this.variances.copyWithin(0, k);
    this.totals.fill(0, this.totals.length - k);
    this.variances.fill(0, this.variances.length - k);
    this.size -= k;
  }
}

export class Adwin {
  readonly delta: number;
  readonly clock: number;
  readonly maxBuckets: number;
  readonly minWindowLength: number;
  readonly gracePeriod: number;
  private rows: Row[] = [];
  private total = 0;
  private varianceSum = 0;
  private widthValue = 0;
  private tick = 0;
  private detections = 0;
  private drift = false;

  constructor(options: AdwinOptions = {}) {
    this.delta = options.delta ?? 0.002;
    this.clock = options.clock ?? 32;
    this.maxBuckets = options.maxBuckets ?? 5;
    this.minWindowLength = options.minWindowLength ?? 5;
    this.gracePeriod = options.gracePeriod ?? 10;
    if (!(this.delta > 0 && this.delta < 1)) throw new RangeError("Adwin: delta must be in (0, 1)");
    for (const [k, v] of [
      ["clock", this.clock],
      ["maxBuckets", this.maxBuckets],
      ["minWindowLength", this.minWindowLength],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Adwin: ${k} must be an integer >= 1`);
    }
    if (!Number.isInteger(this.gracePeriod) || this.gracePeriod < 0) {
      throw new RangeError("Adwin: gracePeriod must be an integer >= 0");
    }
    this.resetWindow();
  }

  private resetWindow(): void {
    this.rows = [new Row(this.maxBuckets)];
    this.total = 0;
    this.varianceSum = 0;
    this.widthValue = 0;
    this.tick = 0;
    this.drift = false;
  }

  /** Number of items in the current window. */
  get width(): number {
    return this.widthValue;
  }

  /** Mean of the current window (0 when empty). */
  get estimation(): number {
    return this.widthValue === 0 ? 0 : this.total / this.widthValue;
  }

  /** Sum of squared deviations in the window (River's `variance`). */
  get variance(): number {
    return this.varianceSum;
  }

  /** Number of detections since construction (River's counter restarts with each window reset). */
  get nDetections(): number {
    return this.detections;
  }

  /** Whether the last update() detected a change. */
  get driftDetected(): boolean {
    return this.drift;
  }

  /** Adds one value; returns true if a change was detected at this item. */
  update(x: number): boolean {
    if (!Number.isFinite(x)) throw new RangeError("Adwin: value must be finite");
    if (this.drift) this.resetWindow();
    this.insertElement(x, 0);
    this.drift = this.detectChange();
    return this.drift;
  }

  private insertElement(value: number, variance: number): void {
    (this.rows[0] as Row).insert(value, variance);
    this.widthValue += 1;
    let inc = 0;
    const w = this.widthValue;
    if (w > 1) {
      const d = value - this.total / (w - 1);
      inc = ((w - 1) * d * d) / w;
    }
    this.varianceSum += inc;
    this.total += value;
    this.compressBuckets();
  }

  private compressBuckets(): void {
    for (let idx = 0; idx < this.rows.length; idx++) {
      const row = this.rows[idx] as Row;
      if (row.size !== this.maxBuckets + 1) break;
      let next = this.rows[idx + 1];
      if (next === undefined) {
        next = new Row(this.maxBuckets);
        this.rows.push(next);
      }
      const n1 = 2 ** idx;
      const n2 = 2 ** idx;
      const t0 = row.totals[0] as number;
      const t1 = row.totals[1] as number;
      const mu1 = t0 / n1;
      const mu2 = t1 / n2;
      const total12 = t0 + t1;
      const temp = (n1 * n2 * (mu1 - mu2) * (mu1 - mu2)) / (n1 + n2);
      const v12 = (row.variances[0] as number) + (row.variances[1] as number) + temp;
      next.insert(total12, v12);
      row.removeOldest(2);
      if (next.size <= this.maxBuckets) break;
    }
  }

  private deleteElement(): number {
    const last = this.rows.length - 1;
    const row = this.rows[last] as Row;
    const n = 2 ** last;
    const u = row.totals[0] as number;
    const mu = u / n;
    const v = row.variances[0] as number;
    this.widthValue -= n;
    this.total -= u;
    const muWindow = this.total / this.widthValue;
    const inc = v + (n * this.widthValue * (mu - muWindow) * (mu - muWindow)) / (n + this.widthValue);
    this.varianceSum -= inc;
    row.removeOldest(1);
    if (row.size === 0) this.rows.pop();
    return n;
  }

  /** |mean(W0) - mean(W1)| > ε_cut; δ' and the window variance are constant during a scan. */
  private evaluateCut(
    n0: number,
    n1: number,
    deltaMean: number,
    deltaPrime: number,
    variance: number,
  ): boolean {
    return Math.abs(deltaMean) > adwinCutEpsilon(n0, n1, variance, deltaPrime, this.minWindowLength);
  }

  private detectChange(): boolean {
    let changeDetected = false;
    this.tick += 1;
    if (this.tick % this.clock === 0 && this.widthValue > this.gracePeriod) {
      let reduceWidth = true;
      while (reduceWidth) {
        reduceWidth = false;
        let exit = false;
        let n0 = 0;
        let n1 = this.widthValue;
        let u0 = 0;
        let u1 = this.total;
        // The window only changes when a cut succeeds, which ends this scan.
        const deltaPrime = adwinDeltaPrime(this.widthValue, this.delta);
        const varianceInWindow = this.varianceSum / this.widthValue;
        for (let idx = this.rows.length - 1; idx >= 0 && !exit; idx--) {
          const row = this.rows[idx] as Row;
          const size = 2 ** idx;
          const limit = row.size;
          for (let k = 0; k < limit; k++) {
            const t = row.totals[k] as number;
            n0 += size;
            n1 -= size;
            u0 += t;
            u1 -= t;
            if (idx === 0 && k === limit - 1) {
              // W1 would be empty: every cut has been evaluated.
              exit = true;
              break;
            }
            const deltaMean = u0 / n0 - u1 / n1;
            if (
              n1 >= this.minWindowLength &&
              n0 >= this.minWindowLength &&
              this.evaluateCut(n0, n1, deltaMean, deltaPrime, varianceInWindow)
            ) {
              reduceWidth = true;
              changeDetected = true;
              if (this.widthValue > 0) {
                n0 -= this.deleteElement();
                exit = true;
                break;
              }
            }
          }
        }
      }
    }
    if (changeDetected) this.detections += 1;
    return changeDetected;
  }

  toJSON(): AdwinJSON {
    return {
      v: 1,
      delta: this.delta,
      clock: this.clock,
      maxBuckets: this.maxBuckets,
      minWindowLength: this.minWindowLength,
      gracePeriod: this.gracePeriod,
      rows: this.rows.map((r) => {
        const out: [number, number][] = [];
        for (let i = 0; i < r.size; i++) out.push([r.totals[i] as number, r.variances[i] as number]);
        return out;
      }),
      total: this.total,
      variance: this.varianceSum,
      width: this.widthValue,
      tick: this.tick,
      nDetections: this.detections,
      driftDetected: this.drift,
    };
  }

  static fromJSON(json: AdwinJSON): Adwin {
    if (json.v !== 1) throw new RangeError(`Adwin: unknown version ${String(json.v)}`);
    const a = new Adwin(json);
    if (json.rows.length === 0) throw new RangeError("Adwin: at least one row is required");
    a.rows = json.rows.map((buckets) => {
      if (buckets.length > a.maxBuckets) throw new RangeError("Adwin: too many buckets in a row");
      const r = new Row(a.maxBuckets);
      for (const [t, v] of buckets) r.insert(t, v);
      return r;
    });
    a.total = json.total;
    a.varianceSum = json.variance;
    a.widthValue = json.width;
    a.tick = json.tick;
    a.detections = json.nDetections;
    a.drift = json.driftDetected;
    return a;
  }
}
