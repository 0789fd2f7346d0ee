import { DDSketch, type DDSketchJSON } from "@argus/stats";
import { Matrix, pseudoInverse } from "ml-matrix";

/**
 * What a model's normal traffic looks like, learned from the model's whole traffic across every
 * partition and replica.
 *
 * Each partition's consumer accumulates its share in a `ProfilePart` (kept in that partition's Redis
 * slot, under its offset fence). Parts are mergeable (counts, Chan's parallel moments, DDSketches,
 * category sets), so a reader that merges all parts sees what one consumer of all traffic would
 * have seen: warm-up ends after the same number of MODEL events whatever the partition count.
 *
 * Phases: warm-up (moments, per-feature sketches, categories) until the merged parts hold
 * `warmupEvents`, then the profile is frozen (mean, spread, precision matrix); calibration (the
 * Mahalanobis scores of the next `calibrationEvents`) until the merged parts hold those, then the
 * score quantiles are frozen. A frozen stage is written once for the whole model (first writer wins),
 * so every partition scores with the same numbers.
 */
export interface ProfilePart {
  /** Numeric features this part accumulates (sorted; capped, see `maxModelledFeatures`). */
  features: string[];
  n: number;
  mean: number[];
  /** Co-moment matrix (d × d, row-major) when the model is small enough for full covariance, else its diagonal. */
  comoment: number[];
  sketches: Record<string, DDSketchJSON>;
  categories: Record<string, string[]>;
  /** Mahalanobis scores of calibration traffic (after the profile was frozen). */
  scores?: DDSketchJSON;
}

export interface ModelProfile {
  features: string[];
  mean: number[];
  sd: number[];
  /** Inverse covariance (row-major), or absent when only the diagonal is modelled (many features). */
  precision?: number[];
  /** Median and robust spread (IQR / 1.349) per feature: which features made an event unusual. */
  robust: Record<string, { median: number; spread: number }>;
  /** Categories seen in warm-up per feature; a feature with too many values is not listed. */
  categories: Record<string, string[]>;
  /** Merged events the profile was fitted on. */
  fittedOn: number;
}

export interface ScoreCalibration {
  /** Calibration events behind these numbers. */
  n: number;
  median: number;
  /** Per-event outlier threshold: the (1 − falsePositiveRate) quantile of benign scores. */
  outlierThreshold: number;
  /**
   * "Out of distribution" for per-client shares: a moderate quantile, so an honest client's share is
   * small but known, and a handful of attacker queries in the calibration traffic cannot move it.
   */
  oodThreshold: number;
  /** The share of benign events above `oodThreshold` (by construction). */
  oodShare: number;
}

export interface ProfilePolicy {
  warmupEvents: number;
  calibrationEvents: number;
  /** Target share of benign events flagged as outliers. */
  falsePositiveRate: number;
  /** Quantile of benign scores above which a query counts as out of distribution for per-client shares. */
  oodQuantile: number;
  maxCategories: number;
}

/** Above this many numeric features only the diagonal is modelled (d² memory and time otherwise). */
export const maxFullCovarianceFeatures = 64;
/** Numeric features modelled at most (the first by name); more are ignored by the profile. */
export const maxModelledFeatures = 1_024;

export function emptyPart(): ProfilePart {
  return { features: [], n: 0, mean: [], comoment: [], sketches: {}, categories: {} };
}

/** The finite numeric features of an event. */
export type NumericFeatures = Map<string, number>;

function isFull(d: number): boolean {
  return d <= maxFullCovarianceFeatures;
}

/**
 * One partition's part while a batch is planned: sketches stay objects for the batch and are
 * serialized once at its end (a JSON round trip per event would dominate the cost).
 */
export class LivePart {
  private readonly part: ProfilePart;
  private readonly sketches = new Map<string, DDSketch>();
  private scores: DDSketch | undefined;

  constructor(stored: ProfilePart) {
    this.part = {
      ...stored,
      mean: [...stored.mean],
      comoment: [...stored.comoment],
      categories: { ...stored.categories },
    };
    for (const [name, json] of Object.entries(stored.sketches))
      this.sketches.set(name, DDSketch.fromJSON(json));
    if (stored.scores) this.scores = DDSketch.fromJSON(stored.scores);
  }

  get n(): number {
    return this.part.n;
  }

  get calibrationCount(): number {
    return this.scores?.count ?? 0;
  }

  /** Folds one warm-up event in. */
  warm(numeric: NumericFeatures, categorical: Map<string, string>, policy: ProfilePolicy): void {
    const part = this.part;
    if (part.n === 0 && part.features.length === 0) {
      part.features = [...numeric.keys()].sort().slice(0, maxModelledFeatures);
      const d = part.features.length;
      part.mean = new Array(d).fill(0);
      part.comoment = new Array(isFull(d) ? d * d : d).fill(0);
    }
    const { features, mean, comoment } = part;
    const d = features.length;
    const n = part.n + 1;
    const delta = new Array<number>(d);
    for (let i = 0; i < d; i++) {
      const m = mean[i] as number;
      delta[i] = (numeric.get(features[i] as string) ?? m) - m;
      mean[i] = m + (delta[i] as number) / n;
    }
    const full = isFull(d);
    for (let i = 0; i < d; i++) {
      const after = (numeric.get(features[i] as string) ?? (mean[i] as number)) - (mean[i] as number);
      if (full) {
        for (let j = 0; j < d; j++)
          comoment[j * d + i] = (comoment[j * d + i] as number) + (delta[j] as number) * after;
      } else {
        comoment[i] = (comoment[i] as number) + (delta[i] as number) * after;
      }
    }
    part.n = n;
    for (const name of features) {
      const value = numeric.get(name);
      if (value === undefined) continue;
      let sketch = this.sketches.get(name);
      if (!sketch) {
        sketch = new DDSketch();
        this.sketches.set(name, sketch);
      }
      sketch.add(value);
    }
    for (const [name, value] of categorical) {
      const seen = part.categories[name] ?? [];
      // Past the cap the feature has too many values to call one "unseen": it is no longer checked.
      if (seen.length > policy.maxCategories) continue;
      if (!seen.includes(value)) part.categories[name] = [...seen, value];
    }
  }

  /** Adds a calibration score (scored against the frozen profile). */
  addScore(score: number): void {
    this.scores ??= new DDSketch();
    this.scores.add(Math.max(score, 1e-9));
  }

  toJSON(): ProfilePart {
    const sketches: Record<string, DDSketchJSON> = {};
    for (const [name, sketch] of this.sketches) sketches[name] = sketch.toJSON();
    return { ...this.part, sketches, ...(this.scores ? { scores: this.scores.toJSON() } : {}) };
  }

  /** What the part keeps once the model's profile is frozen: the warm-up moments are no longer needed. */
  static afterFreeze(part: ProfilePart): ProfilePart {
    return {
      ...emptyPart(),
      features: part.features,
      n: part.n,
      ...(part.scores ? { scores: part.scores } : {}),
    };
  }
}

/** Warm-up events in all parts that model the same features as the first non-empty one. */
export function mergedWarmupCount(parts: ProfilePart[]): number {
  const reference = parts.find((part) => part.n > 0);
  if (!reference) return 0;
  return parts
    .filter((part) => sameFeatures(part.features, reference.features))
    .reduce((total, part) => total + part.n, 0);
}

export function mergedCalibrationCount(parts: ProfilePart[]): number {
  return parts.reduce((total, part) => total + (part.scores?.count ?? 0), 0);
}

/**
 * Merges the parts (Chan et al.'s pairwise update of mean and co-moments; sketches and categories
 * merge exactly) and fits the profile. Parts that model other features (a model whose first events
 * disagreed on its features) are left out rather than mixed in.
 */
export function fitProfile(parts: ProfilePart[], policy: ProfilePolicy): ModelProfile | undefined {
  const reference = parts.find((part) => part.n > 0);
  if (!reference) return undefined;
  const features = reference.features;
  const d = features.length;
  const full = isFull(d);
  let n = 0;
  let mean = new Array<number>(d).fill(0);
  let comoment = new Array<number>(full ? d * d : d).fill(0);
  const sketches = new Map<string, DDSketch>();
  const categories = new Map<string, Set<string>>();
  for (const part of parts) {
    if (part.n === 0 || !sameFeatures(part.features, features)) continue;
    const total = n + part.n;
    const delta = part.mean.map((m, i) => m - (mean[i] as number));
    const nextMean = mean.map((m, i) => m + ((delta[i] as number) * part.n) / total);
    const weight = (n * part.n) / total;
    const nextComoment = comoment.map((c, k) => {
      const i = full ? k % d : k;
      const j = full ? Math.floor(k / d) : k;
      return c + (part.comoment[k] as number) + (delta[i] as number) * (delta[j] as number) * weight;
    });
    n = total;
    mean = nextMean;
    comoment = nextComoment;
    for (const [name, json] of Object.entries(part.sketches)) {
      const sketch = DDSketch.fromJSON(json);
      const known = sketches.get(name);
      sketches.set(name, known ? known.mergeFrom(sketch) : sketch);
    }
    for (const [name, values] of Object.entries(part.categories)) {
      const set = categories.get(name) ?? new Set<string>();
      for (const value of values) set.add(value);
      categories.set(name, set);
    }
  }
  if (n < 2) return undefined;
  const variance = features.map((_, i) => (comoment[full ? i * d + i : i] as number) / (n - 1));
  const sd = variance.map((v) => Math.sqrt(Math.max(v, 0)));
  let precision: number[] | undefined;
  if (full && d > 0) {
    const covariance = new Matrix(d, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) covariance.set(i, j, (comoment[i * d + j] as number) / (n - 1));
    precision = pseudoInverse(covariance).to1DArray();
  }
  const robust: ModelProfile["robust"] = {};
  for (const [name, sketch] of sketches) {
    robust[name] = {
      median: sketch.quantile(0.5),
      spread: (sketch.quantile(0.75) - sketch.quantile(0.25)) / 1.349,
    };
  }
  const knownCategories: Record<string, string[]> = {};
  for (const [name, set] of categories) {
    if (set.size <= policy.maxCategories) knownCategories[name] = [...set].sort();
  }
  return {
    features,
    mean,
    sd,
    ...(precision ? { precision } : {}),
    robust,
    categories: knownCategories,
    fittedOn: n,
  };
}

/** Freezes the score quantiles from the merged calibration sketches. */
export function fitCalibration(parts: ProfilePart[], policy: ProfilePolicy): ScoreCalibration | undefined {
  let merged: DDSketch | undefined;
  for (const part of parts) {
    if (!part.scores) continue;
    const sketch = DDSketch.fromJSON(part.scores);
    merged = merged ? merged.mergeFrom(sketch) : sketch;
  }
  if (!merged || merged.count === 0) return undefined;
  return {
    n: merged.count,
    median: merged.quantile(0.5),
    outlierThreshold: merged.quantile(1 - policy.falsePositiveRate),
    oodThreshold: merged.quantile(policy.oodQuantile),
    oodShare: 1 - policy.oodQuantile,
  };
}

/**
 * An event's values of the profile's features, in the profile's order: NaN where the event has none
 * or a value that is not finite (what `NumericFeatures` leaves out).
 */
export type AlignedValues = Float64Array;

/** Where each profile feature sits among an event's number names, by names array (shared per model). */
const alignments = new WeakMap<readonly string[], { features: readonly string[]; columns: Int32Array }>();

/** `numberValues[i]` is the value of `numberNames[i]` (an event's number columns). */
export function alignedValues(
  profile: ModelProfile,
  numberNames: readonly string[],
  numberValues: ArrayLike<number>,
): AlignedValues {
  const features = profile.features;
  let alignment = alignments.get(numberNames);
  if (alignment?.features !== features) {
    const at = new Map<string, number>();
    for (let i = 0; i < numberNames.length; i++) at.set(numberNames[i] as string, i);
    const columns = new Int32Array(features.length);
    for (let i = 0; i < features.length; i++) columns[i] = at.get(features[i] as string) ?? -1;
    alignment = { features, columns };
    alignments.set(numberNames, alignment);
  }
  const columns = alignment.columns;
  const out = new Float64Array(features.length);
  for (let i = 0; i < out.length; i++) {
    const column = columns[i] as number;
    const value = column >= 0 ? (numberValues[column] as number) : Number.NaN;
    out[i] = Number.isFinite(value) ? value : Number.NaN;
  }
  return out;
}

/** Mahalanobis distance of an event from the profile (standardized Euclidean when diagonal). */
export function mahalanobis(profile: ModelProfile, values: AlignedValues): number {
  const { features, mean, sd, precision } = profile;
  const d = features.length;
  const centered = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const m = mean[i] as number;
    const value = values[i] as number;
    centered[i] = (Number.isNaN(value) ? m : value) - m;
  }
  let total = 0;
  if (precision) {
    for (let i = 0; i < d; i++) {
      const ci = centered[i] as number;
      if (ci === 0) continue;
      let row = 0;
      const offset = i * d;
      for (let j = 0; j < d; j++) row += (precision[offset + j] as number) * (centered[j] as number);
      total += ci * row;
    }
  } else {
    for (let i = 0; i < d; i++) {
      const s = sd[i] as number;
      if (s > 0) total += ((centered[i] as number) / s) ** 2;
    }
  }
  return Math.sqrt(Math.max(total, 0));
}

/** The event's features as z-scores against the profile (missing → 0): the per-client detectors' scale. */
export function normalize(profile: ModelProfile, values: AlignedValues): number[] {
  const d = profile.features.length;
  const out = new Array<number>(d);
  for (let i = 0; i < d; i++) {
    const value = values[i] as number;
    const s = profile.sd[i] as number;
    out[i] = Number.isNaN(value) || s === 0 ? 0 : (value - (profile.mean[i] as number)) / s;
  }
  return out;
}

/** The three features whose robust z-score is largest in magnitude. */
export function mostUnusualFeatures(
  profile: ModelProfile,
  values: AlignedValues,
): { feature: string; robustZ: number }[] {
  const out: { feature: string; robustZ: number }[] = [];
  profile.features.forEach((name, i) => {
    const robust = profile.robust[name];
    const value = values[i] as number;
    if (!robust || Number.isNaN(value) || !(robust.spread > 0)) return;
    out.push({ feature: name, robustZ: (value - robust.median) / robust.spread });
  });
  return out.sort((a, b) => Math.abs(b.robustZ) - Math.abs(a.robustZ)).slice(0, 3);
}

/** Categorical features whose value was never seen in warm-up (features with few known values only). */
export function unseenCategories(profile: ModelProfile, categorical: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [name, value] of categorical) {
    const known = profile.categories[name];
    if (known !== undefined && !known.includes(value)) out.push(name);
  }
  return out;
}

function sameFeatures(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
