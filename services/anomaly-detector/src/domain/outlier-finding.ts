import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";

/** Why one event is unusual for its model (see model-profile.ts). */
export interface OutlierVerdict {
  score: number;
  threshold: number;
  multivariate: boolean;
  unseenCategories: string[];
  topFeatures: { feature: string; robustZ: number }[];
}

/**
 * An unusual input: information, not a page (one benign event in a thousand is unusual by
 * construction). Per event; alerts group them per model.
 */
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
