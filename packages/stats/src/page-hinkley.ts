/**
 * Page-Hinkley change detector (Page, "Continuous Inspection Schemes", Biometrika 1954),
 * reproducing River's implementation (river/drift/page_hinkley.py, two-sided version) and its
 * defaults: min_instances = 30, delta = 0.005, threshold (λ) = 50, alpha = 1 - 0.0001,
 * mode = "both".
 *
 * With the running mean x̄_t of all values since the last reset:
 *   S⁺_t = α·S⁺_(t-1) + (x_t - x̄_t - δ),   detect an increase if S⁺_t - min S⁺ > λ
 *   S⁻_t = α·S⁻_(t-1) + (x_t - x̄_t + δ),   detect a decrease if max S⁻ - S⁻_t > λ
 * (the running max of S⁻ starts at -1, as in River). No detection before `minInstances` values. After
 * a detection, the next update() starts from scratch, as in River. State is JSON (toJSON/fromJSON)
 * and a restored detector continues exactly as the original.
 */

export type PageHinkleyMode = "up" | "down" | "both";

export interface PageHinkleyOptions {
  minInstances?: number;
  delta?: number;
  /** λ (default 50). */
  threshold?: number;
  /** Forgetting factor (default 1 - 0.0001). */
  alpha?: number;
  mode?: PageHinkleyMode;
}

export interface PageHinkleyJSON {
  v: 1;
  minInstances: number;
  delta: number;
  threshold: number;
  alpha: number;
  mode: PageHinkleyMode;
  n: number;
  mean: number;
  sumIncrease: number;
  sumDecrease: number;
  /** null stands for +Infinity (nothing seen yet). */
  minIncrease: number | null;
  maxDecrease: number;
  driftDetected: boolean;
}

export class PageHinkley {
  readonly minInstances: number;
  readonly delta: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly mode: PageHinkleyMode;
  private n = 0;
  private mean = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = Number.POSITIVE_INFINITY;
  private maxDecrease = -1;
  private drift = false;

  constructor(options: PageHinkleyOptions = {}) {
    this.minInstances = options.minInstances ?? 30;
    this.delta = options.delta ?? 0.005;
    this.threshold = options.threshold ?? 50;
    this.alpha = options.alpha ?? 1 - 0.0001;
    this.mode = options.mode ?? "both";
    if (!["up", "down", "both"].includes(this.mode)) throw new RangeError("PageHinkley: bad mode");
    if (!Number.isInteger(this.minInstances) || this.minInstances < 1) {
      throw new RangeError("PageHinkley: minInstances must be an integer >= 1");
    }
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError("PageHinkley: alpha must be in (0, 1]");
  }

  private reset(): void {
    this.n = 0;
    this.mean = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = Number.POSITIVE_INFINITY;
    this.maxDecrease = -1;
    this.drift = false;
  }

  /** Whether the last update() detected a change. */
  get driftDetected(): boolean {
    return this.drift;
  }

  /** Running mean since the last reset. */
  get estimation(): number {
    return this.mean;
  }

  /** Adds one value; returns true if a change was detected at this value. */
  update(x: number): boolean {
    if (!Number.isFinite(x)) throw new RangeError("PageHinkley: value must be finite");
    if (this.drift) this.reset();
    this.n += 1;
    this.mean += (1 / this.n) * (x - this.mean);
    const dev = x - this.mean;
    this.sumIncrease = this.alpha * this.sumIncrease + dev - this.delta;
    this.sumDecrease = this.alpha * this.sumDecrease + dev + this.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    if (this.n >= this.minInstances) {
      const up = this.sumIncrease - this.minIncrease > this.threshold;
      const down = this.maxDecrease - this.sumDecrease > this.threshold;
      this.drift = this.mode === "up" ? up : this.mode === "down" ? down : up || down;
    }
    return this.drift;
  }

  toJSON(): PageHinkleyJSON {
    return {
      v: 1,
      minInstances: this.minInstances,
      delta: this.delta,
      threshold: this.threshold,
      alpha: this.alpha,
      mode: this.mode,
      n: this.n,
      mean: this.mean,
      sumIncrease: this.sumIncrease,
      sumDecrease: this.sumDecrease,
      minIncrease: Number.isFinite(this.minIncrease) ? this.minIncrease : null,
      maxDecrease: this.maxDecrease,
      driftDetected: this.drift,
    };
  }

  static fromJSON(json: PageHinkleyJSON): PageHinkley {
    if (json.v !== 1) throw new RangeError(`PageHinkley: unknown version ${String(json.v)}`);
    const p = new PageHinkley(json);
    p.n = json.n;
    p.mean = json.mean;
    p.sumIncrease = json.sumIncrease;
    p.sumDecrease = json.sumDecrease;
    p.minIncrease = json.minIncrease ?? Number.POSITIVE_INFINITY;
    p.maxDecrease = json.maxDecrease;
    p.drift = json.driftDetected;
    return p;
  }
}
