import { createHash } from "node:crypto";
import { type Finding, FindingKind, Severity } from "@argus/proto";

/**
 * Feedback poisoning: a label source (annotation vendor, user-report pipeline, data import) whose
 * labels disagree with the model's confident predictions, or with the other sources labelling the
 * same requests, far more often than the rest do. Honest sources disagree sometimes (the model is
 * not perfect); a flipping source disagrees systematically.
 */
export interface SourceCounts {
  /** Labels for confident predictions, and how many of them disagreed. */
  confident: number;
  confidentDisagree: number;
  /** Labels for requests another source had labelled first, and how many disagreed with it. */
  cross: number;
  crossDisagree: number;
}

export interface PoisoningPolicy {
  /** Minimum labels of the suspect source before it can be judged. */
  minLabels: number;
  /** z of the two-proportion test (source vs all other sources) that raises the alarm. */
  zThreshold: number;
  /** And the source's disagreement rate must exceed the others' by at least this much. */
  minRateGap: number;
}

export interface PoisoningAlarm {
  source: string;
  basis: "confident_predictions" | "other_sources";
  rate: number;
  othersRate: number;
  z: number;
  labels: number;
}

/** Sources that depart from the rest, on either basis. */
export function judgeSources(
  counts: Record<string, SourceCounts>,
  policy: PoisoningPolicy,
): PoisoningAlarm[] {
  const alarms: PoisoningAlarm[] = [];
  const sources = Object.keys(counts).sort();
  for (const source of sources) {
    for (const basis of ["confident_predictions", "other_sources"] as const) {
      const pick = (c: SourceCounts): [number, number] =>
        basis === "confident_predictions" ? [c.confident, c.confidentDisagree] : [c.cross, c.crossDisagree];
      const [n, k] = pick(counts[source] as SourceCounts);
      if (n < policy.minLabels) continue;
      let otherN = 0;
      let otherK = 0;
      for (const other of sources) {
        if (other === source) continue;
        const [on, ok] = pick(counts[other] as SourceCounts);
        otherN += on;
        otherK += ok;
      }
      if (otherN < policy.minLabels) continue;
      const rate = k / n;
      const othersRate = otherK / otherN;
      const pooled = (k + otherK) / (n + otherN);
      const se = Math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / otherN));
      const z = se > 0 ? (rate - othersRate) / se : 0;
      if (z > policy.zThreshold && rate - othersRate >= policy.minRateGap) {
        alarms.push({ source, basis, rate, othersRate, z, labels: n });
      }
    }
  }
  return alarms;
}

export function poisoningFinding(modelId: string, tenant: string, alarm: PoisoningAlarm, at: Date): Finding {
  const against =
    alarm.basis === "confident_predictions" ? "the model's confident predictions" : "the other sources";
  return {
    findingId: createHash("sha256")
      .update(`poisoning|${modelId}|${alarm.source}|${alarm.basis}|${alarm.labels}`)
      .digest("hex"),
    kind: FindingKind.FINDING_KIND_POISONING,
    severity: Severity.SEVERITY_CRITICAL,
    modelId,
    tenant,
    subject: { feature: "", clientId: "", source: alarm.source },
    score: alarm.z,
    threshold: 0,
    summary: `${modelId}: label source "${alarm.source}" disagrees with ${against} in ${(alarm.rate * 100).toFixed(1)}% of ${alarm.labels} labels (others ${(alarm.othersRate * 100).toFixed(1)}%)`,
    evidence: {
      basis: alarm.basis,
      disagreement_rate: alarm.rate.toFixed(4),
      others_rate: alarm.othersRate.toFixed(4),
      z: alarm.z.toFixed(2),
      labels: String(alarm.labels),
    },
    labels: {
      alertname: "FeedbackPoisoning",
      kind: "poisoning",
      model: modelId,
      source: alarm.source,
      severity: "critical",
      tenant,
    },
    fingerprint: createHash("sha256").update(`poisoning|${tenant}|${modelId}|${alarm.source}`).digest("hex"),
    observedAt: at,
    detector: "feedback-poisoning",
    sampleEventIds: [],
    resolved: false,
  };
}
