import {
  type BinContribution,
  type DriftReport,
  type FeatureDrift,
  FeatureType,
  type MultivariateDrift,
  ReportStatus,
} from "@argus/proto";
import { chiSquareTwoSample, jensenShannonDistance, ks2sampPValue, psi } from "@argus/stats";
import type { CategoricalProfile, FeatureProfile, NumericProfile } from "./baseline-profile.js";
import type { StoredBaseline } from "./baseline-record.js";
import { bucketRepresentative, Distribution, ksStatistic, wasserstein1 } from "./distribution.js";
import type { DriftModelConfig } from "./drift-config.js";
import { reconstructionThreshold } from "./pca.js";
import { type ObservedFeature, observedDistribution, type WindowState } from "./window-state.js";

const topBinCount = 5;
const psiBins = 10;

export interface WindowToEvaluate {
  modelId: string;
  windowStart: number;
  windowMs: number;
  state: WindowState;
}

/**
 * Compares one closed window with the baseline, Evidently-style: per feature the test that suits
 * its type and the reference size, PSI always, missing and out-of-range rates; then prediction and
 * confidence drift, the multivariate reconstruction check, and the dataset-level verdict.
 */
export function evaluateWindow(
  window: WindowToEvaluate,
  baseline: StoredBaseline | undefined,
  config: DriftModelConfig,
  evaluatedAt: Date,
): DriftReport {
  const report: DriftReport = {
    modelId: window.modelId,
    windowStart: new Date(window.windowStart),
    windowEnd: new Date(window.windowStart + window.windowMs),
    status: ReportStatus.REPORT_STATUS_NO_BASELINE,
    baselineVersion: baseline?.version ?? 0,
    baselineHash: baseline?.contentHash ?? "",
    eventCount: window.state.events,
    lateEventCount: window.state.late,
    datasetDrift: false,
    driftedFeatureShare: 0,
    datasetDriftThreshold: config.datasetDriftShare,
    features: [],
    prediction: undefined,
    confidence: undefined,
    performance: undefined,
    multivariate: undefined,
    evaluatedAt,
  };
  if (!baseline) return report;
  if (window.state.events < config.minWindowEvents) {
    report.status = ReportStatus.REPORT_STATUS_INSUFFICIENT_DATA;
    return report;
  }
  const profile = baseline.profile;
  for (const [name, reference] of Object.entries(profile.features)) {
    const observed = window.state.features.get(name) ?? { buckets: new Map(), categories: new Map() };
    report.features.push(compareFeature(name, reference, observed, window.state.events, config));
  }
  if (profile.prediction) {
    report.prediction = compareFeature(
      "__prediction__",
      profile.prediction,
      window.state.prediction,
      window.state.events,
      config,
    );
  }
  if (profile.confidence && window.state.confidence.buckets.size > 0) {
    report.confidence = compareFeature(
      "__confidence__",
      profile.confidence,
      window.state.confidence,
      window.state.events,
      config,
    );
  }
  report.multivariate = compareReconstruction(baseline, window.state);
  const drifted = report.features.filter((feature) => feature.drifted).length;
  report.driftedFeatureShare = report.features.length === 0 ? 0 : drifted / report.features.length;
  report.datasetDrift = report.features.length > 0 && report.driftedFeatureShare >= config.datasetDriftShare;
  const anyDrift =
    report.datasetDrift ||
    drifted > 0 ||
    Boolean(report.prediction?.drifted) ||
    Boolean(report.confidence?.drifted) ||
    Boolean(report.multivariate?.drifted);
  report.status = anyDrift ? ReportStatus.REPORT_STATUS_DRIFT : ReportStatus.REPORT_STATUS_NO_DRIFT;
  return report;
}

function compareFeature(
  name: string,
  reference: FeatureProfile,
  observed: ObservedFeature,
  events: number,
  config: DriftModelConfig,
): FeatureDrift {
  // Only values of the reference's type count as present: a number sent for a categorical feature
  // (or a category for a numeric one) cannot be compared, so it counts as missing.
  const present =
    reference.type === "numeric" ? sum(observed.buckets.values()) : sum(observed.categories.values());
  const missingRate = events === 0 ? 0 : Math.max(events - present, 0) / events;
  const referenceMissingRate = reference.missing / Math.max(reference.count + reference.missing, 1);
  const base: FeatureDrift = {
    feature: name,
    type:
      reference.type === "numeric" ? FeatureType.FEATURE_TYPE_NUMERIC : FeatureType.FEATURE_TYPE_CATEGORICAL,
    test: "",
    statistic: 0,
    pValue: 0,
    threshold: 0,
    drifted: false,
    psi: 0,
    count: present,
    missingRate,
    referenceMissingRate,
    missingRateDrift: missingRate - referenceMissingRate > config.rateIncreaseThreshold,
    outOfRangeRate: 0,
    outOfRangeDrift: false,
    topBins: [],
    mean: 0,
    referenceMean: 0,
  };
  if (present === 0 || reference.count === 0) return base;
  return reference.type === "numeric"
    ? compareNumeric(base, reference, observedDistribution(observed), config)
    : compareCategorical(base, reference, observed.categories, config);
}

function compareNumeric(
  base: FeatureDrift,
  reference: NumericProfile,
  current: Distribution,
  config: DriftModelConfig,
): FeatureDrift {
  // Compare like with like: the window holds DDSketch buckets, so the reference is binned by the
  // same buckets. Exact reference values against bucketed window values would put every window
  // value up to 1 % away from its true place, which KS reads as drift on any feature far from 0
  // (a constant 3 vs its bucket's 2.99: D = 1), and the bin edges would not line up for PSI.
  const referenceDistribution =
    reference.exact && current.exact
      ? Distribution.fromExact(reference.exact)
      : Distribution.fromSketch(reference.sketch);
  const result = { ...base, mean: current.mean(), referenceMean: reference.mean };
  const override = config.featureThresholds[base.feature];
  if (reference.count <= config.smallReferenceRows) {
    const statistic = ksStatistic(referenceDistribution, current);
    const { pvalue } = ks2sampPValue(statistic, reference.count, current.total);
    result.test = "ks";
    result.statistic = statistic;
    result.pValue = pvalue;
    result.threshold = override ?? config.ksPValue;
    result.drifted = pvalue < result.threshold;
  } else {
    // Evidently's wasserstein_distance_norm: W1 / max(population std of the reference, 0.001).
    const scale = Math.max(reference.std, 0.001);
    result.test = "wasserstein";
    result.statistic = wasserstein1(referenceDistribution, current) / scale;
    result.threshold = override ?? config.wassersteinThreshold;
    result.drifted = result.statistic >= result.threshold;
  }
  const { value, bins } = numericPsi(referenceDistribution, current);
  result.psi = value;
  result.topBins = bins;
  // The range in the window's terms: a value in the reference min's (max's) bucket is in range,
  // though its bucket's representative may lie below the exact min (above the max).
  result.outOfRangeRate = current.exact
    ? current.outsideShare(reference.min, reference.max)
    : current.outsideShare(bucketRepresentative(reference.min), bucketRepresentative(reference.max));
  result.outOfRangeDrift = result.outOfRangeRate > config.rateIncreaseThreshold;
  return result;
}

function compareCategorical(
  base: FeatureDrift,
  reference: CategoricalProfile,
  observed: Map<string, number>,
  config: DriftModelConfig,
): FeatureDrift {
  // A baseline that tracked only its top categories (Misra-Gries) holds the rest in "__other__":
  // the window's categories it did not track are folded there too, or every one of them would look
  // new against a zero reference count.
  const tracked = new Set(reference.counter.counts.map(([category]) => category));
  const current = reference.counter.other > 0 ? new Map<string, number>() : observed;
  if (reference.counter.other > 0) {
    for (const [category, count] of observed) {
      const key = tracked.has(category) ? category : "__other__";
      current.set(key, (current.get(key) ?? 0) + count);
    }
  }
  const categories = new Set<string>([...tracked, ...current.keys()]);
  if (reference.counter.other > 0) categories.add("__other__");
  const labels = [...categories].sort();
  const referenceCounts = labels.map((label) =>
    label === "__other__"
      ? reference.counter.other
      : (reference.counter.counts.find(([c]) => c === label)?.[1] ?? 0),
  );
  const currentCounts = labels.map((label) => current.get(label) ?? 0);
  const result = { ...base };
  const override = config.featureThresholds[base.feature];
  if (reference.count <= config.smallReferenceRows) {
    const { statistic, pvalue } = chiSquareTwoSample(referenceCounts, currentCounts);
    result.test = "chisquare";
    result.statistic = statistic;
    result.pValue = pvalue;
    result.threshold = override ?? config.chiSquarePValue;
    result.drifted = pvalue < result.threshold;
  } else {
    result.test = "jensenshannon";
    result.statistic = jensenShannonDistance(referenceCounts, currentCounts);
    result.threshold = override ?? config.jensenShannonThreshold;
    result.drifted = result.statistic >= result.threshold;
  }
  result.psi = psi(referenceCounts, currentCounts);
  result.topBins = contributions(labels, referenceCounts, currentCounts);
  // Categories the baseline never saw (only decidable when the baseline tracked all of its own).
  if (reference.counter.other === 0) {
    const known = new Set(reference.counter.counts.map(([category]) => category));
    const unseen = [...current]
      .filter(([category]) => !known.has(category))
      .reduce((sum, [, n]) => sum + n, 0);
    result.outOfRangeRate = unseen / Math.max(base.count, 1);
    result.outOfRangeDrift = result.outOfRangeRate > config.rateIncreaseThreshold;
  }
  return result;
}

/** PSI over the reference's decile bins (plus under- and overflow), with each bin's contribution. */
function numericPsi(
  reference: Distribution,
  current: Distribution,
): { value: number; bins: BinContribution[] } {
  const edges: number[] = [];
  for (let i = 1; i < psiBins; i++) {
    const edge = reference.quantile(i / psiBins);
    if (edges.length === 0 || edge > (edges[edges.length - 1] as number)) edges.push(edge);
  }
  const shares = (distribution: Distribution) => {
    const counts: number[] = [];
    let previous = 0;
    for (const edge of edges) {
      const below = distribution.cdf(edge);
      counts.push(below - previous);
      previous = below;
    }
    counts.push(1 - previous);
    return counts;
  };
  const referenceShares = shares(reference);
  const currentShares = shares(current);
  const labels = edges.map((edge, i) => `${i === 0 ? "-inf" : fmt(edges[i - 1] as number)}..${fmt(edge)}`);
  labels.push(`${edges.length > 0 ? fmt(edges[edges.length - 1] as number) : "-inf"}..+inf`);
  return {
    value: psi(referenceShares, currentShares),
    bins: contributions(labels, referenceShares, currentShares),
  };
}

/** The bins that moved the most: share now vs in the baseline, and each one's PSI term. */
function contributions(labels: string[], reference: number[], current: number[]): BinContribution[] {
  const referenceTotal = reference.reduce((sum, value) => sum + value, 0) || 1;
  const currentTotal = current.reduce((sum, value) => sum + value, 0) || 1;
  const epsilon = 1e-4;
  return labels
    .map((bin, i) => {
      const referenceShare = (reference[i] as number) / referenceTotal;
      const currentShare = (current[i] as number) / currentTotal;
      const r = Math.max(referenceShare, epsilon);
      const c = Math.max(currentShare, epsilon);
      return { bin, currentShare, referenceShare, psiContribution: (c - r) * Math.log(c / r) };
    })
    .sort((a, b) => b.psiContribution - a.psiContribution)
    .slice(0, topBinCount);
}

function compareReconstruction(baseline: StoredBaseline, state: WindowState): MultivariateDrift | undefined {
  const model = baseline.profile.pca;
  const observed = state.reconstruction;
  if (!model || !observed || observed.mixedBaselines || observed.baselineVersion !== baseline.version)
    return undefined;
  const threshold = reconstructionThreshold(model, observed.rows);
  return {
    method: "pca_reconstruction",
    components: model.components.length,
    reconstructionError: observed.meanError,
    referenceError: model.referenceError,
    threshold,
    drifted: observed.meanError > threshold,
  };
}

function sum(counts: Iterable<number>): number {
  let total = 0;
  for (const count of counts) total += count;
  return total;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
