import { createHash } from "node:crypto";
import { type Finding, FindingKind, Severity } from "@argus/proto";
import type { PoisoningAlarm, PoisoningPolicy } from "./poisoning.js";

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

/**
 * The finding of one alarm. Its id is fixed by the source's label count on the basis, so a
 * replayed batch republishes the same id; its fingerprint groups a source's alarms of a model.
 */
export function poisoningFinding(
  modelId: string,
  tenant: string,
  alarm: PoisoningAlarm,
  policy: PoisoningPolicy,
): Finding {
  const against =
    alarm.basis === "confident_predictions" ? "the model's confident predictions" : "the other sources";
  const since = new Date(alarm.evidence.since).toISOString();
  const common = { basis: alarm.basis, test: alarm.test, since };
  const { summary, score, threshold, evidence } =
    alarm.test === "change"
      ? {
          summary: `${modelId}: label source "${alarm.source}" disagrees with ${against} in ${percent(alarm.evidence.rate)} of its last ${alarm.evidence.labels} labels (since about ${since}), up from ${percent(alarm.evidence.referenceRate)} before; the other sources ${percent(alarm.evidence.othersRate)} over the same period, ${percent(alarm.evidence.othersReferenceRate)} before`,
          score: alarm.evidence.surprise,
          threshold: policy.changeSurprise,
          evidence: {
            disagreement_rate: alarm.evidence.rate.toFixed(4),
            reference_rate: alarm.evidence.referenceRate.toFixed(4),
            others_rate: alarm.evidence.othersRate.toFixed(4),
            others_reference_rate: alarm.evidence.othersReferenceRate.toFixed(4),
            expected_rate: alarm.evidence.expectedRate.toFixed(4),
            surprise: alarm.evidence.surprise.toFixed(2),
          },
        }
      : {
          summary: `${modelId}: label source "${alarm.source}" disagrees with ${against} in ${percent(alarm.evidence.rate)} of ${Math.round(alarm.evidence.labels)} labels (others ${percent(alarm.evidence.othersRate)})`,
          score: alarm.evidence.z,
          threshold: policy.zThreshold,
          evidence: {
            disagreement_rate: alarm.evidence.rate.toFixed(4),
            others_rate: alarm.evidence.othersRate.toFixed(4),
            z: alarm.evidence.z.toFixed(2),
          },
        };
  return {
    findingId: createHash("sha256")
      .update(`poisoning|${modelId}|${alarm.source}|${alarm.basis}|${alarm.sourceLabels}`)
      .digest("hex"),
    kind: FindingKind.FINDING_KIND_POISONING,
    severity: Severity.SEVERITY_CRITICAL,
    modelId,
    tenant,
    subject: { feature: "", clientId: "", source: alarm.source },
    score,
    threshold,
    summary,
    evidence: { ...common, labels: String(Math.round(alarm.evidence.labels)), ...evidence },
    labels: {
      alertname: "FeedbackPoisoning",
      kind: "poisoning",
      model: modelId,
      source: alarm.source,
      severity: "critical",
      tenant,
    },
    fingerprint: createHash("sha256").update(`poisoning|${tenant}|${modelId}|${alarm.source}`).digest("hex"),
    observedAt: new Date(alarm.at),
    detector: "feedback-poisoning",
    sampleEventIds: [],
    resolved: false,
  };
}
