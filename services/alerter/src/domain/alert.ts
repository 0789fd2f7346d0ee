import { type Finding, FindingKind, findingKindToJSON, Severity, severityToJSON } from "@argus/proto";

/** An alert as the alerter stores it: one per fingerprint, fed by every finding that carries it. */
export interface AlertRecord {
  fingerprint: string;
  tenant: string;
  modelId: string;
  kind: FindingKind;
  severity: Severity;
  labels: Record<string, string>;
  summary: string;
  evidence: Record<string, string>;
  state: "firing" | "resolved";
  startsAt: string;
  updatedAt: string;
  endsAt?: string;
  findingCount: number;
  lastFindingId: string;
  /** Notifications made for this alert so far; the next one gets `notificationSeq + 1`. */
  notificationSeq: number;
}

export type AlertTransition = "firing" | "resolved";

export interface AppliedFinding {
  alert: AlertRecord;
  /** Set when the finding changed what on-call must hear about. */
  transition: AlertTransition | null;
}

/**
 * How one finding changes its alert. A finding on a quiet (absent or resolved) fingerprint opens a
 * new firing episode; more findings while firing update it silently (repeats are the routing
 * layer's business); a resolving finding ends the episode.
 * Returns null when the finding changes nothing (a resolution for an alert that is not firing).
 */
export function applyFinding(
  current: AlertRecord | undefined,
  finding: Finding,
  now: Date,
): AppliedFinding | null {
  const at = (finding.observedAt ?? now).toISOString();
  const firing = current?.state === "firing";
  if (finding.resolved) {
    if (!current || !firing) return null;
    return {
      alert: {
        ...current,
        state: "resolved",
        endsAt: at,
        updatedAt: at,
        lastFindingId: finding.findingId,
        notificationSeq: current.notificationSeq + 1,
      },
      transition: "resolved",
    };
  }
  if (current && firing) {
    return {
      alert: {
        ...current,
        severity: Math.max(current.severity, finding.severity) as Severity,
        summary: finding.summary,
        evidence: finding.evidence,
        labels: { ...current.labels, ...finding.labels },
        updatedAt: at,
        findingCount: current.findingCount + 1,
        lastFindingId: finding.findingId,
      },
      transition: null,
    };
  }
  const { endsAt: _previousEnd, ...previous } = current ?? ({} as Partial<AlertRecord>);
  return {
    alert: {
      ...previous,
      fingerprint: finding.fingerprint,
      tenant: finding.tenant,
      modelId: finding.modelId,
      kind: finding.kind,
      severity: finding.severity,
      labels: finding.labels,
      summary: finding.summary,
      evidence: finding.evidence,
      state: "firing",
      startsAt: at,
      updatedAt: at,
      findingCount: 1,
      lastFindingId: finding.findingId,
      notificationSeq: (current?.notificationSeq ?? 0) + 1,
    },
    transition: "firing",
  };
}

export function kindName(kind: FindingKind): string {
  return findingKindToJSON(kind)
    .replace(/^FINDING_KIND_/, "")
    .toLowerCase();
}

export function severityName(severity: Severity): string {
  return severityToJSON(severity)
    .replace(/^SEVERITY_/, "")
    .toLowerCase();
}

export { FindingKind, Severity };
