import { createHash } from "node:crypto";
import {
  type DriftReport,
  type FeatureDrift,
  type Finding,
  FindingKind,
  ReportStatus,
  Severity,
} from "@argus/proto";

const detector = "drift-detector";

/**
 * The findings of one evaluated window: one per checked signal (each feature, prediction,
 * confidence, multivariate, the dataset verdict), firing when it drifted and resolving when it did
 * not, so alerts open and close with the data. Ids are deterministic per (model, window, signal):
 * a window evaluated twice after a crash publishes the same findings, which the alerter ignores.
 */
export function reportFindings(report: DriftReport, tenant: string): Finding[] {
  if (report.status === ReportStatus.REPORT_STATUS_NO_BASELINE) return [];
  if (report.status === ReportStatus.REPORT_STATUS_INSUFFICIENT_DATA) return [];
  const findings: Finding[] = [];
  const window = (report.windowStart as Date).getTime();
  const signal = (
    subject: string,
    drifted: boolean,
    severity: Severity,
    score: number,
    threshold: number,
    summary: string,
    evidence: Record<string, string>,
  ) =>
    findings.push({
      findingId: hash(["drift", report.modelId, subject, String(window)]),
      kind: FindingKind.FINDING_KIND_DRIFT,
      severity,
      modelId: report.modelId,
      tenant,
      subject: { feature: subject, clientId: "", source: "" },
      score,
      threshold,
      summary,
      evidence: {
        ...evidence,
        window_start: (report.windowStart as Date).toISOString(),
        window_end: (report.windowEnd as Date).toISOString(),
        baseline_version: String(report.baselineVersion),
        events: String(report.eventCount),
      },
      labels: {
        alertname: "DataDrift",
        kind: "drift",
        model: report.modelId,
        feature: subject,
        severity: severity === Severity.SEVERITY_CRITICAL ? "critical" : "warning",
        tenant,
      },
      fingerprint: hash(["drift", tenant, report.modelId, subject]),
      observedAt: report.windowEnd,
      detector,
      sampleEventIds: [],
      resolved: !drifted,
    });
  const features = [
    ...report.features,
    ...(report.prediction ? [report.prediction] : []),
    ...(report.confidence ? [report.confidence] : []),
  ];
  for (const feature of features) {
    signal(
      feature.feature,
      feature.drifted,
      Severity.SEVERITY_WARNING,
      feature.statistic,
      feature.threshold,
      `${report.modelId}: ${describe(feature)}`,
      featureEvidence(feature),
    );
    // Always sent, resolved when both rates are fine: otherwise a quality alert opened by one window
    // would stay open for good (the alerter ignores a resolution for an alert that is not firing).
    signal(
      `${feature.feature}#quality`,
      feature.missingRateDrift || feature.outOfRangeDrift,
      Severity.SEVERITY_WARNING,
      Math.max(feature.missingRate, feature.outOfRangeRate),
      0,
      `${report.modelId}: feature "${feature.feature}" missing ${pct(feature.missingRate)} (baseline ${pct(feature.referenceMissingRate)}), out of range ${pct(feature.outOfRangeRate)}`,
      { missing_rate: String(feature.missingRate), out_of_range_rate: String(feature.outOfRangeRate) },
    );
  }
  if (report.multivariate) {
    const mv = report.multivariate;
    signal(
      "__multivariate__",
      mv.drifted,
      Severity.SEVERITY_WARNING,
      mv.reconstructionError,
      mv.threshold,
      `${report.modelId}: PCA reconstruction error ${mv.reconstructionError.toFixed(3)} vs threshold ${mv.threshold.toFixed(3)}`,
      { method: mv.method, components: String(mv.components), reference_error: String(mv.referenceError) },
    );
  }
  signal(
    "__dataset__",
    report.datasetDrift,
    Severity.SEVERITY_CRITICAL,
    report.driftedFeatureShare,
    report.datasetDriftThreshold,
    `${report.modelId}: ${pct(report.driftedFeatureShare)} of features drifted (dataset drift at ${pct(report.datasetDriftThreshold)})`,
    {
      drifted_features: report.features
        .filter((feature) => feature.drifted)
        .map((feature) => feature.feature)
        .join(","),
    },
  );
  return findings;
}

function describe(feature: FeatureDrift): string {
  const verdict = feature.drifted ? "drifted" : "no drift";
  const statistic =
    feature.test === "ks" || feature.test === "chisquare"
      ? `p=${feature.pValue.toPrecision(3)}`
      : `${feature.test}=${feature.statistic.toFixed(3)}`;
  return `feature "${feature.feature}" ${verdict} (${feature.test}: ${statistic}, threshold ${feature.threshold}, PSI ${feature.psi.toFixed(3)})`;
}

function featureEvidence(feature: FeatureDrift): Record<string, string> {
  return {
    test: feature.test,
    statistic: String(feature.statistic),
    p_value: String(feature.pValue),
    psi: String(feature.psi),
    top_bins: JSON.stringify(
      feature.topBins.map((bin) => [bin.bin, round(bin.referenceShare), round(bin.currentShare)]),
    ),
  };
}

function hash(parts: string[]): string {
  return createHash("sha256")
    .update(parts.map((part) => part.replace(/[\\|]/g, (c) => `\\${c}`)).join("|"))
    .digest("hex");
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
