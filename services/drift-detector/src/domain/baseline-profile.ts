import { createHash } from "node:crypto";
import { CategoryCounter, type CategoryCounterJSON, DDSketch, type DDSketchJSON } from "@argus/stats";
import { PcaAccumulator, type PcaModel } from "./pca.js";

/** Relative accuracy of every numeric sketch in Argus: quantiles within 1 % of the true value. */
export const sketchAccuracy = 0.01;
/** Categories tracked per feature; the rest is counted as `__other__` (Misra-Gries, see @argus/stats). */
export const categoryCapacity = 200;
/** A reference this small keeps its exact sorted values per numeric feature (a column, never a row). */
export const exactReferenceLimit = 1000;

export interface NumericProfile {
  type: "numeric";
  count: number;
  missing: number;
  sketch: DDSketchJSON;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Sorted values, kept only when count <= exactReferenceLimit (for the exact small-sample tests). */
  exact?: number[];
}

export interface CategoricalProfile {
  type: "categorical";
  count: number;
  missing: number;
  counter: CategoryCounterJSON;
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

/** What a baseline knows of the reference data: sketches and counts only, never rows. */
export interface BaselineProfile {
  modelId: string;
  rowCount: number;
  features: Record<string, FeatureProfile>;
  prediction?: FeatureProfile;
  /** Distribution of the highest class score (classification models with scores). */
  confidence?: NumericProfile;
  pca?: PcaModel;
}

export type CellValue = number | string | null | undefined;

/** A reference row as the builder takes it (CSV, JSON Lines and protobuf rows all become this). */
export interface ReferenceRowInput {
  features: Record<string, CellValue>;
  prediction?: CellValue;
  scores?: Record<string, number>;
}

/** Thrown for a row that contradicts the reference's schema; the message names row and column. */
export class ReferenceDataError extends Error {
  override readonly name = "ReferenceDataError";
}

/**
 * Builds a baseline from reference rows in one pass and bounded memory: per numeric column a
 * DDSketch, Welford moments and (while small) the exact values; per categorical column a bounded
 * category counter; a streaming covariance for the multivariate check.
 */
export class BaselineBuilder {
  private rows = 0;
  private readonly columns = new Map<string, ColumnAccumulator>();
  private prediction: ColumnAccumulator | undefined;
  private confidence: NumericAccumulator | undefined;
  private pca: PcaAccumulator | undefined;

  constructor(
    private readonly modelId: string,
    private readonly categoricalColumns: ReadonlySet<string> = new Set(),
    private readonly pcaComponents = 3,
  ) {}

  addRow(row: ReferenceRowInput): void {
    this.rows++;
    for (const [name, value] of Object.entries(row.features)) {
      this.column(this.columns, name, value).add(value, this.rows, name);
    }
    // A column absent from this row is missing in it.
    for (const [name, column] of this.columns)
      if (!(name in row.features)) column.add(undefined, this.rows, name);
    if (row.prediction !== undefined && row.prediction !== null && row.prediction !== "") {
      this.prediction ??= createAccumulator(typeof row.prediction === "number" ? "numeric" : "categorical");
      this.prediction.add(row.prediction, this.rows, "prediction");
    }
    const scores = row.scores ? Object.values(row.scores) : [];
    if (scores.length > 0) {
      this.confidence ??= new NumericAccumulator();
      this.confidence.add(Math.max(...scores), this.rows, "confidence");
    }
    this.addToPca(row.features);
  }

  get rowCount(): number {
    return this.rows;
  }

  build(): BaselineProfile {
    if (this.rows === 0) throw new ReferenceDataError("the reference data has no rows");
    const features: Record<string, FeatureProfile> = {};
    for (const name of [...this.columns.keys()].sort())
      features[name] = (this.columns.get(name) as ColumnAccumulator).profile();
    const pca = this.pca?.model(this.pcaComponents);
    return {
      modelId: this.modelId,
      rowCount: this.rows,
      features,
      ...(this.prediction ? { prediction: this.prediction.profile() } : {}),
      ...(this.confidence ? { confidence: this.confidence.profile() } : {}),
      ...(pca ? { pca } : {}),
    };
  }

  private column(columns: Map<string, ColumnAccumulator>, name: string, value: CellValue): ColumnAccumulator {
    let column = columns.get(name);
    if (!column) {
      const type = this.categoricalColumns.has(name) || typeof value === "string" ? "categorical" : "numeric";
      column = createAccumulator(type);
      // Rows before this column first appeared are missing in it.
      for (let row = 1; row < this.rows; row++) column.add(undefined, row, name);
      columns.set(name, column);
    }
    return column;
  }

  private addToPca(features: Record<string, CellValue>): void {
    if (this.pcaComponents === 0) return;
    if (!this.pca) {
      const numeric = Object.keys(features)
        .filter((name) => typeof features[name] === "number" && !this.categoricalColumns.has(name))
        .sort();
      if (numeric.length < 2) return;
      this.pca = new PcaAccumulator(numeric);
    }
    this.pca.add(features);
  }
}

interface ColumnAccumulator {
  add(value: CellValue, row: number, column: string): void;
  profile(): FeatureProfile;
}

function createAccumulator(type: "numeric" | "categorical"): ColumnAccumulator {
  return type === "numeric" ? new NumericAccumulator() : new CategoricalAccumulator();
}

class NumericAccumulator implements ColumnAccumulator {
  private readonly sketch = new DDSketch({ relativeAccuracy: sketchAccuracy });
  private missing = 0;
  private mean = 0;
  private m2 = 0;
  private exact: number[] | undefined = [];

  add(value: CellValue, row: number, column: string): void {
    if (value === undefined || value === null || value === "") {
      this.missing++;
      return;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ReferenceDataError(
        `row ${row}, column "${column}": ${JSON.stringify(value)} is not a finite number`,
      );
    }
    this.sketch.add(value);
    const n = this.sketch.count;
    const delta = value - this.mean;
    this.mean += delta / n;
    this.m2 += delta * (value - this.mean);
    if (this.exact) {
      if (this.exact.length < exactReferenceLimit) this.exact.push(value);
      else this.exact = undefined;
    }
  }

  profile(): NumericProfile {
    const n = this.sketch.count;
    return {
      type: "numeric",
      count: n,
      missing: this.missing,
      sketch: this.sketch.toJSON(),
      mean: n > 0 ? this.mean : 0,
      // Population standard deviation (ddof = 0): what Evidently normalizes Wasserstein with.
      std: n > 0 ? Math.sqrt(this.m2 / n) : 0,
      min: n > 0 ? this.sketch.min : 0,
      max: n > 0 ? this.sketch.max : 0,
      ...(this.exact ? { exact: [...this.exact].sort((a, b) => a - b) } : {}),
    };
  }
}

class CategoricalAccumulator implements ColumnAccumulator {
  private readonly counter = new CategoryCounter(categoryCapacity);
  private missing = 0;

  add(value: CellValue, _row: number, _column: string): void {
    if (value === undefined || value === null || value === "") {
      this.missing++;
      return;
    }
    this.counter.add(String(value));
  }

  profile(): CategoricalProfile {
    const json = this.counter.toJSON();
    const count = json.counts.reduce((sum, [, n]) => sum + n, json.other);
    return { type: "categorical", count, missing: this.missing, counter: json };
  }
}

/** SHA-256 of the profile in canonical form (sorted keys): the same reference always hashes alike. */
export function profileHash(profile: BaselineProfile): string {
  return createHash("sha256").update(canonicalJson(profile)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
