import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import {
  type ClientDetectorsConfig,
  newClientState as newQueryDetectorState,
  observeClientQuery,
  pradaCompanions,
  type ClientState as QueryDetectorState,
} from "./clients/index.js";
import { emptyRate, observeRequest, type RatePolicy, type RateState } from "./rate.js";
import type { ResourceVerdict } from "./resources.js";
import { addRisk, emptyRisk, type RiskPolicy, type RiskState } from "./risk.js";

/** Everything Argus keeps about one client: small, bounded, and expiring with the client's silence. */
export interface ClientState {
  /** Tenant of the client's first request: other tenants' principals never see this state. */
  tenant: string;
  queries: number;
  rate: RateState;
  /** Resource outliers among the client's last 32 requests, as a bit mask (newest in bit 0). */
  resourceOutlierBits: number;
  risk: RiskState;
  /** When a kind last produced a finding for this client: repeats are suppressed for a while. */
  alarmedAtMs: Partial<Record<string, number>>;
  /** Consecutive PRADA tests with W below δ (an alarm needs a run of them, see below). */
  pradaBelow?: number;
  /** PRADA, fingerprint and membership state (absent until the model's features are normalized). */
  detectors?: QueryDetectorState;
}

export function emptyClientState(): ClientState {
  return {
    tenant: "",
    queries: 0,
    rate: emptyRate(),
    resourceOutlierBits: 0,
    risk: emptyRisk(),
    alarmedAtMs: {},
  };
}

export interface ClientPolicy {
  rate: RatePolicy;
  risk: RiskPolicy;
  /** Resource outliers among the last 32 requests that make a client a resource abuser. */
  resourceOutliersToAlarm: number;
  /** A kind re-fires for the same client at most this often (the alert stays open meanwhile). */
  realertMs: number;
}

/** A client-level conclusion before it becomes a Finding. */
export interface ClientSignal {
  kind: FindingKind;
  detector: string;
  severity: Severity;
  score: number;
  threshold: number;
  summary: string;
  evidence: Record<string, string>;
}

/** Rate and resource signals of one request of a client; the state comes back updated. */
export function observeClientRequest(
  state: ClientState,
  event: InferenceEvent,
  resources: ResourceVerdict,
  policy: ClientPolicy,
): { state: ClientState; signals: ClientSignal[] } {
  const atMs = (event.eventTime as Date).getTime();
  const signals: ClientSignal[] = [];
  const { state: rate, inWindow } = observeRequest(state.rate, atMs, policy.rate);
  if (inWindow > policy.rate.maxRequests) {
    signals.push({
      kind: FindingKind.FINDING_KIND_RATE_ABUSE,
      detector: "request-rate",
      severity: Severity.SEVERITY_WARNING,
      score: inWindow,
      threshold: policy.rate.maxRequests,
      summary: `${inWindow} requests in ${(policy.rate.buckets * policy.rate.bucketMs) / 1000} s (limit ${policy.rate.maxRequests})`,
      evidence: {
        requests_in_window: String(inWindow),
        window_ms: String(policy.rate.buckets * policy.rate.bucketMs),
      },
    });
  }
  const outlier = resources.latencyOutlier || resources.tokensOutlier;
  const bits = ((state.resourceOutlierBits << 1) | (outlier ? 1 : 0)) >>> 0;
  const recentOutliers = popcount(bits);
  if (outlier && recentOutliers >= policy.resourceOutliersToAlarm) {
    signals.push({
      kind: FindingKind.FINDING_KIND_RESOURCE_ABUSE,
      detector: "resource-outliers",
      severity: Severity.SEVERITY_WARNING,
      score: recentOutliers,
      threshold: policy.resourceOutliersToAlarm,
      summary: `${recentOutliers} of the client's last 32 requests far above the model's latency or output-token baseline (latency z ${resources.latencyZ.toFixed(1)}, tokens z ${resources.tokensZ.toFixed(1)})`,
      evidence: {
        latency_ms: String(event.latencyMs),
        output_tokens: String(event.outputTokens),
        latency_z: resources.latencyZ.toFixed(2),
        tokens_z: resources.tokensZ.toFixed(2),
      },
    });
  }
  return {
    state: {
      ...state,
      tenant: state.tenant || event.tenant,
      queries: state.queries + 1,
      rate,
      resourceOutlierBits: bits,
    },
    signals,
  };
}

/**
 * Turns a client's signals into findings (unless the same kind fired for the client within the
 * re-alert interval) and raises the client's risk for every finding about it, wherever it came from.
 */
export function concludeForClient(
  state: ClientState,
  event: InferenceEvent,
  signals: ClientSignal[],
  eventFindings: Finding[],
  policy: ClientPolicy,
): { state: ClientState; findings: Finding[] } {
  const atMs = (event.eventTime as Date).getTime();
  let next = state;
  const findings: Finding[] = [];
  for (const signal of signals) {
    const kindName = FindingKind[signal.kind] ?? String(signal.kind);
    const last = next.alarmedAtMs[kindName];
    if (last !== undefined && atMs - last < policy.realertMs) continue;
    next = { ...next, alarmedAtMs: { ...next.alarmedAtMs, [kindName]: atMs } };
    findings.push(clientFinding(event, signal));
  }
  for (const finding of [...findings, ...eventFindings]) {
    next = {
      ...next,
      risk: addRisk(
        next.risk,
        {
          kind: finding.kind,
          detector: finding.detector,
          modelId: finding.modelId,
          atMs,
          summary: finding.summary,
          evidence: finding.evidence,
        },
        policy.risk,
      ),
    };
  }
  return { state: next, findings };
}

/** The id follows from the event that tipped the client over, so a replay yields the same id. */
function clientFinding(event: InferenceEvent, signal: ClientSignal): Finding {
  const kindName = (FindingKind[signal.kind] ?? "").replace("FINDING_KIND_", "").toLowerCase();
  return {
    findingId: sha256(["client", kindName, event.modelId, event.clientId, event.eventId]),
    kind: signal.kind,
    severity: signal.severity,
    modelId: event.modelId,
    tenant: event.tenant,
    subject: { feature: "", clientId: event.clientId, source: "" },
    score: signal.score,
    threshold: signal.threshold,
    summary: `${event.modelId}: client ${event.clientId.slice(0, 12)}… ${signal.summary}`,
    evidence: { ...signal.evidence, event_id: event.eventId, client: event.clientId },
    labels: {
      alertname: "SuspiciousClient",
      kind: kindName,
      model: event.modelId,
      client: event.clientId,
      severity: signal.severity === Severity.SEVERITY_CRITICAL ? "critical" : "warning",
      tenant: event.tenant,
    },
    fingerprint: sha256(["client", kindName, event.tenant, event.modelId, event.clientId]),
    observedAt: event.eventTime,
    detector: signal.detector,
    sampleEventIds: [event.eventId],
    resolved: false,
  };
}

function popcount(bits: number): number {
  let count = 0;
  for (let value = bits; value !== 0; value &= value - 1) count++;
  return count;
}

function sha256(parts: string[]): string {
  return createHash("sha256")
    .update(parts.map((part) => part.replace(/[\\|]/g, (c) => `\\${c}`)).join("|"))
    .digest("hex");
}

/**
 * The query-pattern detectors (PRADA extraction, fingerprinted probing, membership probing) on one
 * query, given as z-scores. Extraction is only reported once the model's δ is calibrated.
 */
/** Consecutive PRADA tests below δ before an extraction alarm. */
export const pradaPersistence = 10;

export function observeClientQueries(
  state: ClientState,
  vector: number[],
  label: string,
  config: ClientDetectorsConfig,
  deltaCalibrated: boolean,
): { state: ClientState; signals: ClientSignal[]; w?: number } {
  const detectors = state.detectors ?? newQueryDetectorState();
  const observed = observeClientQuery(detectors, vector, label, config);
  const signals: ClientSignal[] = [];
  const companions = pradaCompanions(observed.state.p, config.prada);
  // An honest client's W wanders and dips now and then; an extracting client's stays low. So
  // PRADA accuses only after `pradaPersistence` consecutive tests below δ (the paper alarms on one).
  const below =
    observed.prada.w === undefined
      ? (state.pradaBelow ?? 0)
      : observed.prada.w < config.prada.delta
        ? (state.pradaBelow ?? 0) + 1
        : 0;
  if (
    deltaCalibrated &&
    below >= pradaPersistence &&
    observed.prada.w !== undefined &&
    observed.prada.w < config.prada.delta
  ) {
    signals.push({
      kind: FindingKind.FINDING_KIND_EXTRACTION,
      detector: "prada",
      severity: Severity.SEVERITY_CRITICAL,
      score: observed.prada.w ?? 0,
      threshold: config.prada.delta,
      summary: `query distances no longer look natural (Shapiro-Wilk W ${observed.prada.w?.toFixed(3)} < δ ${config.prada.delta.toFixed(3)}, ${companions.queries} queries, ${companions.coverageCells} feature-space cells)`,
      evidence: {
        shapiro_w: String(observed.prada.w),
        delta: String(config.prada.delta),
        delta_source: deltaCalibrated ? "calibrated_on_model_traffic" : "paper_default",
        consecutive_tests_below_delta: String(below),
        distances: String(observed.prada.distances),
        coverage_cells: String(companions.coverageCells),
        label_entropy_bits: companions.labelEntropyBits.toFixed(3),
      },
    });
  }
  if (observed.verdict.adversarialProbe) {
    signals.push({
      kind: FindingKind.FINDING_KIND_ADVERSARIAL_PROBE,
      detector: "query-fingerprints",
      severity: Severity.SEVERITY_WARNING,
      score: observed.fingerprint.flagged,
      threshold: config.fingerprint.alarmCount,
      summary: `${observed.fingerprint.flagged} recent queries are near-duplicates of earlier ones (boundary search: ${observed.membership.boundarySearch})`,
      evidence: {
        near_duplicates: String(observed.fingerprint.nearDuplicates),
        flagged_recent: String(observed.fingerprint.flagged),
        boundary_search: String(observed.membership.boundarySearch),
      },
    });
  }
  if (observed.verdict.membershipProbe) {
    signals.push({
      kind: FindingKind.FINDING_KIND_MEMBERSHIP_PROBE,
      detector: "query-fingerprints",
      severity: Severity.SEVERITY_WARNING,
      score: observed.membership.clusteredShare,
      threshold: config.membership.coverage,
      summary: `${(observed.membership.clusteredShare * 100).toFixed(0)}% of recent queries are noisy copies of ${observed.membership.clusters} records`,
      evidence: {
        clustered_share: observed.membership.clusteredShare.toFixed(3),
        clusters: String(observed.membership.clusters),
        stationary_share: observed.membership.stationaryShare.toFixed(3),
      },
    });
  }
  return {
    state: { ...state, detectors: observed.state, pradaBelow: below },
    signals,
    ...(observed.prada.w !== undefined ? { w: observed.prada.w } : {}),
  };
}
