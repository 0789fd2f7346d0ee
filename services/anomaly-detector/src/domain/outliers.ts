import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import { DDSketch, type DDSketchJSON } from "@argus/stats";
import { Matrix, pseudoInverse } from "ml-matrix";

/**
 * Per-event outliers against the model's own traffic (per partition, so one consumer owns each
 * model): an online Mahalanobis distance over the numeric features, as Alibi Detect's online
 * outlier detectors do, whose threshold is not a magic number but the (1 − FPR) quantile of the
 * distances of calibration traffic; robust per-feature z-scores (median and IQR from a sketch)
 * name the features that made the event unusual; categories never seen in warm-up are flagged.
 *
 * Phases: `warmup` (fit mean, covariance, per-feature sketches, category sets), `calibration`
 * (score traffic with the fitted model, sketch the scores), `detect` (flag what exceeds the
 * calibrated threshold). Traffic during the first two phases is assumed mostly benign.
 */
export interface OutlierModel {
  phase: "warmup" | "calibration" | "detect";
  n: number;
  features: string[];
  mean: number[];
  comoment: number[];
  /** Inverse (pseudo-inverse) covariance, fixed at the end of warm-up. */
  precision?: number[];
  sketches: Record<string, DDSketchJSON>;
  categories: Record<string, string[]>;
  scores?: DDSketchJSON;
  threshold?: number;
  /**
   * Lowest PRADA W of each calibrating client so far (bounded to the calibration clients), by the
   * client's digest (never its id); dropped once δ is calibrated.
   */
  pradaMinW?: Record<string, number>;
  /** W values seen while calibrating. */
  pradaEmissions?: number;
  /** PRADA's δ calibrated on this traffic; absent until enough clients were seen. */
  pradaDelta?: number;
}

/** The share of benign clients the calibrated δ may flag. */
export const pradaCalibrationFpr = 0.01;

export interface OutlierPolicy {
  warmupEvents: number;
  calibrationEvents: number;
  /** Target share of benign events flagged. */
  falsePositiveRate: number;
  /** Categories kept per feature in warm-up; beyond it the feature is not checked for unseen values. */
  maxCategories: number;
  /**
   * Clients whose first PRADA W calibrates δ. Until then PRADA observes but does not accuse: the
   * paper's δ = 0.9 was set on images and flags honest clients of tabular models.
   */
  pradaCalibrationClients: number;
}

export function emptyOutlierModel(): OutlierModel {
  return { phase: "warmup", n: 0, features: [], mean: [], comoment: [], sketches: {}, categories: {} };
}

export interface OutlierVerdict {
  score: number;
  threshold: number;
  multivariate: boolean;
  unseenCategories: string[];
  topFeatures: { feature: string; robustZ: number }[];
}

/**
 * The outlier model of one (model, partition) while a batch is processed: sketches live as objects
 * for the batch and are serialized once at its end.
 */
export class OutlierTracker {
  private model: OutlierModel;
  private readonly sketches = new Map<string, DDSketch>();
  private scores: DDSketch | undefined;

  constructor(
    model: OutlierModel,
    private readonly policy: OutlierPolicy,
  ) {
    this.model = model;
    for (const [name, json] of Object.entries(model.sketches))
      this.sketches.set(name, DDSketch.fromJSON(json));
    if (model.scores) this.scores = DDSketch.fromJSON(model.scores);
  }

  /** Scores one event (in the detect phase) and folds it into the model as the phase requires. */
  observe(event: InferenceEvent): OutlierVerdict | undefined {
    const numeric = numericFeatures(event);
    const model = this.model;
    if (model.phase === "warmup") {
      this.warm(event, numeric);
      return undefined;
    }
    const vector = model.features.map((name, i) => numeric[name] ?? (model.mean[i] as number));
    const score = mahalanobis(model, vector);
    if (model.phase === "calibration") {
      this.scores ??= new DDSketch();
      this.scores.add(score);
      const n = model.n + 1;
      this.model = { ...model, n };
      if (n >= this.policy.warmupEvents + this.policy.calibrationEvents) {
        this.model = {
          ...this.model,
          phase: "detect",
          threshold: this.scores.quantile(1 - this.policy.falsePositiveRate),
        };
      }
      return undefined;
    }
    const threshold = model.threshold as number;
    const unseenCategories = Object.entries(event.features)
      .filter(([name, value]) => {
        const known = model.categories[name];
        return (
          value.kind?.$case === "category" &&
          known !== undefined &&
          known.length < this.policy.maxCategories &&
          !known.includes(value.kind.value)
        );
      })
      .map(([name]) => name);
    const multivariate = score > threshold;
    if (!multivariate && unseenCategories.length === 0)
      return { score, threshold, multivariate, unseenCategories, topFeatures: [] };
    const topFeatures = model.features
      .map((name) => ({ feature: name, robustZ: robustZ(this.sketches.get(name), numeric[name]) }))
      .filter((entry) => Number.isFinite(entry.robustZ))
      .sort((a, b) => Math.abs(b.robustZ) - Math.abs(a.robustZ))
      .slice(0, 3);
    return { score, threshold, multivariate, unseenCategories, topFeatures };
  }

  /**
   * The event's numeric features as z-scores against this traffic (missing → 0), once warm-up
   * fixed mean and variance; undefined before. Client-level detectors work on this scale.
   */
  normalized(event: InferenceEvent): number[] | undefined {
    const model = this.model;
    if (model.phase === "warmup" || model.features.length === 0) return undefined;
    const numeric = numericFeatures(event);
    const d = model.features.length;
    return model.features.map((name, i) => {
      const value = numeric[name];
      const variance = (model.comoment[i * d + i] as number) / Math.max(model.n - 1, 1);
      const sd = Math.sqrt(variance);
      return value === undefined || sd === 0 ? 0 : (value - (model.mean[i] as number)) / sd;
    });
  }

  /**
   * Feeds a W of a client while δ is being calibrated. An honest client's W wanders and its lowest
   * value is what δ must stay under, so the calibration keeps each client's minimum and waits for
   * many tests (40 per calibrating client) before it fixes δ just below the chosen quantile.
   */
  recordPradaW(client: string, w: number, calibrate: (values: number[]) => number): void {
    if (this.model.pradaDelta !== undefined) return;
    const minimums = { ...(this.model.pradaMinW ?? {}) };
    const known = minimums[client];
    if (known === undefined && Object.keys(minimums).length >= this.policy.pradaCalibrationClients) return;
    minimums[client] = Math.min(known ?? w, w);
    const emissions = (this.model.pradaEmissions ?? 0) + 1;
    const values = Object.values(minimums);
    const ready =
      values.length >= this.policy.pradaCalibrationClients &&
      emissions >= 40 * this.policy.pradaCalibrationClients;
    // The minimums are of streams still running: a margin of 0.03 absorbs their later dips.
    if (ready) {
      // Calibrated: the per-client minimums have served their purpose and are not kept.
      const { pradaMinW: _minimums, ...model } = this.model;
      this.model = { ...model, pradaEmissions: emissions, pradaDelta: calibrate(values) - 0.03 };
    } else {
      this.model = { ...this.model, pradaMinW: minimums, pradaEmissions: emissions };
    }
  }

  get pradaDelta(): number | undefined {
    return this.model.pradaDelta;
  }

  toJSON(): OutlierModel {
    const sketches: Record<string, DDSketchJSON> = {};
    for (const [name, sketch] of this.sketches) sketches[name] = sketch.toJSON();
    return { ...this.model, sketches, ...(this.scores ? { scores: this.scores.toJSON() } : {}) };
  }

  private warm(event: InferenceEvent, numeric: Record<string, number>): void {
    const model = this.model;
    const features = model.features.length > 0 ? model.features : Object.keys(numeric).sort();
    const d = features.length;
    const n = model.n + 1;
    const mean = model.mean.length === d ? [...model.mean] : Array(d).fill(0);
    const comoment = model.comoment.length === d * d ? [...model.comoment] : Array(d * d).fill(0);
    const delta = features.map((name, i) => (numeric[name] ?? (mean[i] as number)) - (mean[i] as number));
    for (let i = 0; i < d; i++) mean[i] = (mean[i] as number) + (delta[i] as number) / n;
    for (let i = 0; i < d; i++) {
      const after = (numeric[features[i] as string] ?? (mean[i] as number)) - (mean[i] as number);
      for (let j = 0; j < d; j++)
        comoment[j * d + i] = (comoment[j * d + i] as number) + (delta[j] as number) * after;
    }
    for (const name of features) {
      const value = numeric[name];
      if (value === undefined) continue;
      let sketch = this.sketches.get(name);
      if (!sketch) {
        sketch = new DDSketch();
        this.sketches.set(name, sketch);
      }
      sketch.add(value);
    }
    const categories = { ...model.categories };
    for (const [name, value] of Object.entries(event.features)) {
      if (value.kind?.$case !== "category") continue;
      const seen = categories[name] ?? [];
      // Past the cap the feature has too many values to call one "unseen": it is no longer checked.
      if (seen.length >= this.policy.maxCategories) continue;
      if (!seen.includes(value.kind.value)) categories[name] = [...seen, value.kind.value];
    }
    this.model = { ...model, n, features, mean, comoment, categories };
    if (n < this.policy.warmupEvents || d === 0) return;
    const covariance = new Matrix(d, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) covariance.set(i, j, (comoment[i * d + j] as number) / (n - 1));
    this.model = { ...this.model, phase: "calibration", precision: pseudoInverse(covariance).to1DArray() };
  }
}

function mahalanobis(model: OutlierModel, vector: number[]): number {
  const d = vector.length;
  const precision = model.precision ?? [];
  let total = 0;
  for (let i = 0; i < d; i++) {
    const di = (vector[i] as number) - (model.mean[i] as number);
    for (let j = 0; j < d; j++)
      total += di * (precision[i * d + j] as number) * ((vector[j] as number) - (model.mean[j] as number));
  }
  return Math.sqrt(Math.max(total, 0));
}

/** (x − median) / (IQR / 1.349): a z-score that a few extreme warm-up values cannot inflate. */
function robustZ(s: DDSketch | undefined, value: number | undefined): number {
  if (!s || value === undefined) return Number.NaN;
  const spread = (s.quantile(0.75) - s.quantile(0.25)) / 1.349;
  return spread > 0 ? (value - s.quantile(0.5)) / spread : Number.NaN;
}

function numericFeatures(event: InferenceEvent): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(event.features)) {
    if (value.kind?.$case === "number" && Number.isFinite(value.kind.value)) out[name] = value.kind.value;
  }
  return out;
}

export function outlierFinding(event: InferenceEvent, verdict: OutlierVerdict): Finding {
  const reasons = [
    ...(verdict.multivariate
      ? [`Mahalanobis ${verdict.score.toFixed(2)} > ${verdict.threshold.toFixed(2)}`]
      : []),
    ...verdict.unseenCategories.map((name) => `unseen category in "${name}"`),
  ];
  return {
    findingId: createHash("sha256").update(`outlier|${event.modelId}|${event.eventId}`).digest("hex"),
    kind: FindingKind.FINDING_KIND_OUTLIER,
    severity: Severity.SEVERITY_INFO,
    modelId: event.modelId,
    tenant: event.tenant,
    subject: { feature: verdict.topFeatures[0]?.feature ?? "", clientId: event.clientId, source: "" },
    score: verdict.score,
    threshold: verdict.threshold,
    summary: `${event.modelId}: unusual input (${reasons.join("; ")}), most unusual ${verdict.topFeatures.map((f) => `${f.feature} z=${f.robustZ.toFixed(1)}`).join(", ")}`,
    evidence: {
      mahalanobis: verdict.score.toFixed(3),
      threshold: verdict.threshold.toFixed(3),
      unseen_categories: verdict.unseenCategories.join(","),
      top_features: JSON.stringify(verdict.topFeatures.map((f) => [f.feature, Number(f.robustZ.toFixed(2))])),
      event_id: event.eventId,
    },
    labels: {
      alertname: "InputOutliers",
      kind: "outlier",
      model: event.modelId,
      severity: "info",
      tenant: event.tenant,
    },
    fingerprint: createHash("sha256").update(`outlier|${event.tenant}|${event.modelId}`).digest("hex"),
    observedAt: event.eventTime,
    detector: "outliers",
    sampleEventIds: [event.eventId],
    resolved: false,
  };
}
