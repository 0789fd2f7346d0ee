import { seededUniform } from "@argus/stats";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

/**
 * The multivariate drift check, after NannyML's data reconstruction with PCA: the baseline's
 * standardized numeric features are projected on their top principal components; a window whose
 * mean reconstruction error rises above what the baseline predicts has a joint shift that no single
 * feature need show (a correlation that broke, say).
 */
export interface PcaModel {
  features: string[];
  mean: number[];
  std: number[];
  /** k rows of d loadings (orthonormal eigenvectors of the correlation matrix). */
  components: number[][];
  /**
   * Mean squared reconstruction error of held-out reference rows (rows the model was not fitted
   * on): an in-sample error would be biased low and make every window look drifted.
   */
  referenceError: number;
  /** Sample variance of the held-out rows' squared error (empirical, so heavy tails count). */
  referenceErrorVariance: number;
  /** How many held-out rows the two figures above come from. */
  referenceRows: number;
  explainedVariance: number;
}

/** Held-out rows kept for the out-of-sample error (a reservoir sample, so memory stays bounded). */
export const holdoutRows = 1000;

/**
 * Streaming mean and co-moment matrix (Welford) over rows where every feature is present, plus a
 * reservoir of held-out rows. The model is fitted on all rows but the held-out ones (their
 * contribution is subtracted from the co-moments) and its error is measured on the held-out rows.
 */
export class PcaAccumulator {
  private n = 0;
  private readonly mean: Float64Array;
  private readonly comoment: Float64Array;
  private readonly delta: Float64Array;
  private readonly reservoir: Float64Array[] = [];
  // Seeded: the reservoir's choices are a function of the data alone, so a baseline is reproducible.
  private readonly random = seededUniform(0x5eed);

  constructor(readonly features: string[]) {
    const d = features.length;
    this.mean = new Float64Array(d);
    this.comoment = new Float64Array(d * d);
    this.delta = new Float64Array(d);
  }

  add(row: Record<string, unknown>): void {
    const d = this.features.length;
    const values = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      const value = row[this.features[i] as string];
      if (typeof value !== "number" || !Number.isFinite(value)) return;
      values[i] = value;
    }
    this.n++;
    addToMoments(this.n, this.mean, this.comoment, this.delta, values);
    if (this.reservoir.length < holdoutRows) this.reservoir.push(values);
    else {
      const slot = Math.floor(this.random() * this.n);
      if (slot < holdoutRows) this.reservoir[slot] = values;
    }
  }

  /** The model, or undefined when there are too few complete rows or no variance to work with. */
  model(components: number): PcaModel | undefined {
    const d = this.features.length;
    const heldOut =
      this.n >= 4 * holdoutRows
        ? this.reservoir
        : this.reservoir.slice(0, Math.floor(this.reservoir.length / 4));
    const fitted = subtractRows(this.n, this.mean, this.comoment, heldOut);
    if (fitted.n < Math.max(10, d + 1) || heldOut.length < 10 || components < 1) return undefined;
    const std = Array.from({ length: d }, (_, i) =>
      Math.sqrt((fitted.comoment[i * d + i] as number) / (fitted.n - 1)),
    );
    const kept = std.map((s, i) => (s > 0 ? i : -1)).filter((i) => i >= 0);
    if (kept.length < 2) return undefined;
    const correlation = Matrix.zeros(kept.length, kept.length);
    kept.forEach((fi, a) => {
      kept.forEach((fj, b) => {
        const covariance = (fitted.comoment[fi * d + fj] as number) / (fitted.n - 1);
        correlation.set(a, b, covariance / ((std[fi] as number) * (std[fj] as number)));
      });
    });
    const eigen = new EigenvalueDecomposition(correlation, { assumeSymmetric: true });
    const order = eigen.realEigenvalues
      .map((value, index) => ({ value: Math.max(value, 0), index }))
      .sort((a, b) => b.value - a.value);
    const k = Math.min(components, kept.length - 1);
    const vectors = eigen.eigenvectorMatrix;
    const total = order.reduce((sum, entry) => sum + entry.value, 0);
    const discarded = order.slice(k).reduce((sum, entry) => sum + entry.value, 0);
    const model: PcaModel = {
      features: kept.map((i) => this.features[i] as string),
      mean: kept.map((i) => fitted.mean[i] as number),
      std: kept.map((i) => std[i] as number),
      components: order.slice(0, k).map(({ index }) => vectors.getColumn(index)),
      referenceError: 0,
      referenceErrorVariance: 0,
      referenceRows: heldOut.length,
      explainedVariance: total > 0 ? 1 - discarded / total : 0,
    };
    let errorMean = 0;
    let errorM2 = 0;
    heldOut.forEach((row, index) => {
      const named: Record<string, number> = {};
      this.features.forEach((name, i) => {
        named[name] = row[i] as number;
      });
      const error = reconstructionError(model, named);
      const delta = error - errorMean;
      errorMean += delta / (index + 1);
      errorM2 += delta * (error - errorMean);
    });
    model.referenceError = errorMean;
    model.referenceErrorVariance = errorM2 / Math.max(heldOut.length - 1, 1);
    return model;
  }
}

function addToMoments(
  n: number,
  mean: Float64Array,
  comoment: Float64Array,
  delta: Float64Array,
  values: Float64Array,
): void {
  const d = values.length;
  for (let i = 0; i < d; i++) {
    delta[i] = (values[i] as number) - (mean[i] as number);
    mean[i] = (mean[i] as number) + (delta[i] as number) / n;
  }
  for (let i = 0; i < d; i++) {
    const after = (values[i] as number) - (mean[i] as number);
    for (let j = 0; j < d; j++)
      comoment[j * d + i] = (comoment[j * d + i] as number) + (delta[j] as number) * after;
  }
}

/** Moments of all rows minus `rows` (Chan et al.'s parallel formula, run backwards). */
function subtractRows(
  n: number,
  mean: Float64Array,
  comoment: Float64Array,
  rows: Float64Array[],
): { n: number; mean: Float64Array; comoment: Float64Array } {
  const d = mean.length;
  const m = rows.length;
  const restN = n - m;
  const heldMean = new Float64Array(d);
  const heldComoment = new Float64Array(d * d);
  const scratch = new Float64Array(d);
  rows.forEach((row, index) => {
    addToMoments(index + 1, heldMean, heldComoment, scratch, row);
  });
  if (restN <= 0) return { n: 0, mean: new Float64Array(d), comoment: new Float64Array(d * d) };
  const restMean = new Float64Array(d);
  for (let i = 0; i < d; i++) restMean[i] = ((mean[i] as number) * n - (heldMean[i] as number) * m) / restN;
  const restComoment = new Float64Array(d * d);
  const factor = (restN * m) / n;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const di = (restMean[i] as number) - (heldMean[i] as number);
      const dj = (restMean[j] as number) - (heldMean[j] as number);
      restComoment[i * d + j] =
        (comoment[i * d + j] as number) - (heldComoment[i * d + j] as number) - di * dj * factor;
    }
  }
  return { n: restN, mean: restMean, comoment: restComoment };
}

/**
 * Squared reconstruction error of one event: ||z||² - ||Vz||² for the standardized row z (a
 * missing feature is imputed with the baseline mean, i.e. 0 after standardizing).
 */
export function reconstructionError(model: PcaModel, features: Record<string, number | undefined>): number {
  return reconstructionErrorOfAligned(
    model,
    Float64Array.from(model.features, (name) => features[name] ?? Number.NaN),
  );
}

/** `reconstructionError` with the values lined up with `model.features` (NaN or ±∞: missing). */
export function reconstructionErrorOfAligned(model: PcaModel, values: Float64Array): number {
  const d = model.features.length;
  const z = new Array<number>(d);
  let norm = 0;
  for (let i = 0; i < d; i++) {
    const value = values[i] as number;
    const standardized = !Number.isFinite(value)
      ? 0
      : (value - (model.mean[i] as number)) / (model.std[i] as number);
    z[i] = standardized;
    norm += standardized * standardized;
  }
  let projected = 0;
  for (const component of model.components) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += (component[i] as number) * (z[i] as number);
    projected += dot * dot;
  }
  return Math.max(norm - projected, 0);
}

/**
 * The highest window-mean error the baseline explains: the held-out mean plus 3 standard errors of
 * the difference between a window of `rows` rows and the held-out estimate itself.
 */
export function reconstructionThreshold(model: PcaModel, rows: number): number {
  const variance = model.referenceErrorVariance;
  return (
    model.referenceError +
    3 * Math.sqrt(variance / Math.max(rows, 1) + variance / Math.max(model.referenceRows, 1))
  );
}
