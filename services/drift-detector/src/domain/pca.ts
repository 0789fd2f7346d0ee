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
   * Expected squared reconstruction error of one reference row: the sum of the discarded
   * eigenvalues of the correlation matrix.
   */
  referenceError: number;
  /** Its variance per row under normality, 2·Σ discarded λ², to size the threshold for n rows. */
  referenceErrorVariance: number;
  explainedVariance: number;
}

/** Streaming mean and co-moment matrix (Welford), over rows where every feature is present. */
export class PcaAccumulator {
  private n = 0;
  private readonly mean: Float64Array;
  private readonly comoment: Float64Array;
  private readonly delta: Float64Array;

  constructor(readonly features: string[]) {
    const d = features.length;
    this.mean = new Float64Array(d);
    this.comoment = new Float64Array(d * d);
    this.delta = new Float64Array(d);
  }

  add(row: Record<string, unknown>): void {
    const d = this.features.length;
    for (let i = 0; i < d; i++) {
      const value = row[this.features[i] as string];
      if (typeof value !== "number" || !Number.isFinite(value)) return;
    }
    this.n++;
    for (let i = 0; i < d; i++) {
      const value = row[this.features[i] as string] as number;
      const delta = value - (this.mean[i] as number);
      this.delta[i] = delta;
      this.mean[i] = (this.mean[i] as number) + delta / this.n;
    }
    for (let i = 0; i < d; i++) {
      const after = (row[this.features[i] as string] as number) - (this.mean[i] as number);
      for (let j = 0; j < d; j++)
        this.comoment[j * d + i] = (this.comoment[j * d + i] as number) + (this.delta[j] as number) * after;
    }
  }

  /** The model, or undefined when there are too few complete rows or no variance to work with. */
  model(components: number): PcaModel | undefined {
    const d = this.features.length;
    if (this.n < Math.max(10, d + 1) || components < 1) return undefined;
    const std = Array.from({ length: d }, (_, i) =>
      Math.sqrt((this.comoment[i * d + i] as number) / (this.n - 1)),
    );
    const kept = std.map((s, i) => (s > 0 ? i : -1)).filter((i) => i >= 0);
    if (kept.length < 2) return undefined;
    const correlation = Matrix.zeros(kept.length, kept.length);
    kept.forEach((fi, a) => {
      kept.forEach((fj, b) => {
        const covariance = (this.comoment[fi * d + fj] as number) / (this.n - 1);
        correlation.set(a, b, covariance / ((std[fi] as number) * (std[fj] as number)));
      });
    });
    const eigen = new EigenvalueDecomposition(correlation, { assumeSymmetric: true });
    const order = eigen.realEigenvalues
      .map((value, index) => ({ value: Math.max(value, 0), index }))
      .sort((a, b) => b.value - a.value);
    const k = Math.min(components, kept.length - 1);
    const vectors = eigen.eigenvectorMatrix;
    const discarded = order.slice(k).map((entry) => entry.value);
    const total = order.reduce((sum, entry) => sum + entry.value, 0);
    return {
      features: kept.map((i) => this.features[i] as string),
      mean: kept.map((i) => this.mean[i] as number),
      std: kept.map((i) => std[i] as number),
      components: order.slice(0, k).map(({ index }) => vectors.getColumn(index)),
      referenceError: discarded.reduce((sum, value) => sum + value, 0),
      referenceErrorVariance: 2 * discarded.reduce((sum, value) => sum + value * value, 0),
      explainedVariance: total > 0 ? 1 - discarded.reduce((sum, value) => sum + value, 0) / total : 0,
    };
  }
}

/**
 * Squared reconstruction error of one event: ||z||² - ||Vz||² for the standardized row z (a
 * missing feature is imputed with the baseline mean, i.e. 0 after standardizing).
 */
export function reconstructionError(model: PcaModel, features: Record<string, number | undefined>): number {
  const d = model.features.length;
  const z = new Array<number>(d);
  let norm = 0;
  for (let i = 0; i < d; i++) {
    const value = features[model.features[i] as string];
    const standardized =
      value === undefined || !Number.isFinite(value)
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

/** The highest window-mean error the baseline explains: expected error + 3 standard errors for n rows. */
export function reconstructionThreshold(model: PcaModel, rows: number): number {
  return model.referenceError + 3 * Math.sqrt(model.referenceErrorVariance / Math.max(rows, 1));
}
