import { type Finding, FindingKind, findingKindToJSON, Severity, severityToJSON } from "@argus/proto";
import { addToEpisode, type EpisodeSummary, startEpisode } from "./episode.js";

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
  /**
   * The client (pseudonymized, a finding's `subject.client_id`) whose finding gave `summary` and
   * `evidence`; absent when that finding was about no client. What EraseClient looks for.
   */
  clientId?: string;
  state: "firing" | "resolved";
  /** Event time (the detectors' `observedAt`): when the condition started and was last seen. */
  startsAt: string;
  updatedAt: string;
  /**
   * Wall time of the alerter when a finding last touched the alert. The resolve timeout counts
   * from it (processing time): replayed or late findings carry old event times, and measuring
   * silence against them would resolve an alert a moment after it fired. Absent in alerts stored
   * before it existed (then `updatedAt` stands in).
   */
  heardAt?: string;
  endsAt?: string;
  findingCount: number;
  lastFindingId: string;
  /** The current (or last) episode in sum: first and last seen, categories, sample event ids. */
  episode: EpisodeSummary;
  /** Notifications made for this alert so far; the next one gets `notificationSeq + 1`. */
  notificationSeq: number;
  /** Who ended the episode when no detector did: a principal, or "alerter:resolve_timeout". */
  resolvedBy?: string;
}

/** On-call's acknowledgement of one episode (the alert's `startsAt`); a new episode is not acknowledged. */
export interface Acknowledgement {
  by: string;
  at: string;
  note: string;
  episode: string;
}

/** When the alerter last heard of the alert (wall time, ms): what the resolve timeout counts from. */
export function lastHeardMs(alert: AlertRecord): number {
  return Date.parse(alert.heardAt ?? alert.updatedAt);
}

export function isAcknowledged(alert: AlertRecord, ack: Acknowledgement | undefined): boolean {
  return alert.state === "firing" && ack !== undefined && ack.episode === alert.startsAt;
}

/** Ends a firing episode without a detector's word: by hand, or after the resolve timeout. */
export function resolveWithout(alert: AlertRecord, by: string, at: Date): AlertRecord | null {
  if (alert.state !== "firing") return null;
  const endsAt = latest(alert.updatedAt, at.toISOString());
  return {
    ...alert,
    state: "resolved",
    endsAt,
    updatedAt: endsAt,
    resolvedBy: by,
    notificationSeq: alert.notificationSeq + 1,
  };
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
 * Returns null when the finding changes nothing: a resolution for an alert that is not firing, or a
 * late finding observed before the resolution it arrives after (a stale condition, not a new episode).
 *
 * Times come from the detector's `observedAt` (the alerter's `now` only when absent), and detector
 * replicas' clocks and findings can disagree in order, so an alert's times are kept monotonic:
 * `updatedAt` never moves back and an episode never ends before it started.
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
    const endsAt = latest(current.updatedAt, at);
    return {
      alert: {
        ...current,
        state: "resolved",
        endsAt,
        updatedAt: endsAt,
        lastFindingId: finding.findingId,
        notificationSeq: current.notificationSeq + 1,
      },
      transition: "resolved",
    };
  }
  if (current && firing) {
    const severity = Math.max(current.severity, finding.severity) as Severity;
    const labels = { ...current.labels, ...finding.labels };
    // Routing on the label must agree with the alert: a warning finding must not relabel a critical alert.
    if (labels.severity !== undefined) labels.severity = severityName(severity);
    return {
      alert: withClientOf(finding, {
        ...current,
        severity,
        summary: finding.summary,
        evidence: finding.evidence,
        labels,
        updatedAt: latest(current.updatedAt, at),
        heardAt: now.toISOString(),
        findingCount: current.findingCount + 1,
        lastFindingId: finding.findingId,
        episode: addToEpisode(current.episode, finding, at),
      }),
      transition: null,
    };
  }
  if (current?.endsAt !== undefined && Date.parse(at) < Date.parse(current.endsAt)) return null;
  const {
    endsAt: _previousEnd,
    resolvedBy: _previousResolver,
    ...previous
  } = current ?? ({} as Partial<AlertRecord>);
  return {
    alert: withClientOf(finding, {
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
      heardAt: now.toISOString(),
      findingCount: 1,
      lastFindingId: finding.findingId,
      // A new episode starts its summary afresh: the last one's samples are not this one's.
      episode: startEpisode(finding, at),
      notificationSeq: (current?.notificationSeq ?? 0) + 1,
    }),
    transition: "firing",
  };
}

/** `alert` with the client of `finding`, whose summary and evidence it now carries (or none). */
function withClientOf(finding: Finding, alert: AlertRecord): AlertRecord {
  const { clientId: _previous, ...rest } = alert;
  const clientId = finding.subject?.clientId ?? "";
  return clientId === "" ? rest : { ...rest, clientId };
}

function latest(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? a : b;
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
