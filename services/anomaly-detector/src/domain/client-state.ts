import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import {
  type ClientDetectorsConfig,
  encodePrada,
  type LiveClientState,
  observeLiveClient,
  pradaCompanions,
  type ClientState as QueryDetectorState,
  type QuerySignalsEvidence,
} from "./clients/index.js";
import type { PopulationCalibration } from "./population/index.js";
import {
  emptyRelativeRate,
  observeRelativeRate,
  type RelativeRatePolicy,
  type RelativeRateState,
} from "./rate.js";
import type { ResourceVerdict } from "./resources.js";
import { addRisk, emptyRisk, type RiskPolicy, type RiskState } from "./risk.js";

/**
 * Everything Argus keeps about one client of one tenant: small, bounded, and expiring with the
 * client's silence. Detectors that learn a model's traffic keep their state per model the client
 * called; the risk joins them (a client attacking one model is risky for the whole tenant).
 */
export interface ClientState {
  tenant: string;
  risk: RiskState;
  models: Record<string, ClientModelState>;
}

/** What the per-client detectors keep about a client's use of one model. */
export interface ClientModelState {
  queries: number;
  /** Event time of the client's latest request to the model (the least recently used model goes first). */
  lastAtMs: number;
  rate: RelativeRateState;
  /** Resource outliers among the client's last 32 requests, as a bit mask (newest in bit 0). */
  resourceOutlierBits: number;
  /** When a kind last produced a finding for this client: repeats are suppressed for a while. */
  alarmedAtMs: Partial<Record<string, number>>;
  /** PRADA, fingerprint and membership state (absent until the model's profile is fitted). */
  detectors?: QueryDetectorState;
}

/** Models whose state a client keeps at most; a client calling more is not followed on the oldest. */
export const maxModelsPerClient = 16;

export function emptyClientState(tenant = ""): ClientState {
  return { tenant, risk: emptyRisk(), models: {} };
}

export function emptyClientModelState(): ClientModelState {
  return { queries: 0, lastAtMs: 0, rate: emptyRelativeRate(), resourceOutlierBits: 0, alarmedAtMs: {} };
}

/** Total requests of the client over the models it is followed on. */
export function clientQueries(state: ClientState): number {
  return Object.values(state.models).reduce((total, model) => total + model.queries, 0);
}

/** The client with `model`'s state replaced; beyond `maxModelsPerClient` the least recently used goes. */
export function withModelState(state: ClientState, modelId: string, model: ClientModelState): ClientState {
  const known = Object.hasOwn(state.models, modelId);
  const models = { ...state.models, [modelId]: model };
  // Only a model the client was not followed on yet can take it past the limit.
  const names = known ? [] : Object.keys(models);
  if (names.length > maxModelsPerClient) {
    const oldest = names
      .filter((name) => name !== modelId)
      .reduce((a, b) =>
        (models[a] as ClientModelState).lastAtMs <= (models[b] as ClientModelState).lastAtMs ? a : b,
      );
    delete models[oldest];
  }
  return { ...state, models };
}

export interface ClientPolicy {
  rate: RelativeRatePolicy;
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
  state: ClientModelState,
  event: InferenceEvent,
  resources: ResourceVerdict,
  population: PopulationCalibration,
  policy: ClientPolicy,
): { state: ClientModelState; signals: ClientSignal[] } {
  const atMs = (event.eventTime as Date).getTime();
  const signals: ClientSignal[] = [];
  // States written before rates were population-relative have another shape: start over.
  const before = Array.isArray(state.rate?.c) ? state.rate : emptyRelativeRate();
  const rated = observeRelativeRate(before, atMs, population.rate, policy.rate);
  if (rated.abusive) {
    const windowMs = policy.rate.recentBuckets * policy.rate.bucketMs;
    signals.push({
      kind: FindingKind.FINDING_KIND_RATE_ABUSE,
      detector: "request-rate",
      severity: Severity.SEVERITY_WARNING,
      score: rated.recentPerMin,
      threshold: rated.thresholdPerMin,
      summary: `${rated.recentPerMin.toFixed(1)} requests/min over the last ${windowMs / 1000} s, above ${rated.thresholdPerMin.toFixed(1)}/min (${rateReason(rated.reason)}; model median ${population.rate.medianPerMin.toFixed(2)}/min, the client's usual ${rated.longRunPerMin.toFixed(2)}/min)`,
      evidence: {
        recent_per_min: rated.recentPerMin.toFixed(2),
        threshold_per_min: rated.thresholdPerMin.toFixed(2),
        reason: rated.reason ?? "",
        population_median_per_min: population.rate.medianPerMin.toFixed(3),
        population_high_per_min: population.rate.highPerMin.toFixed(3),
        client_long_run_per_min: rated.longRunPerMin.toFixed(3),
        window_ms: String(windowMs),
      },
    });
  }
  const rate = rated.state;
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
      queries: state.queries + 1,
      lastAtMs: Math.max(state.lastAtMs, atMs),
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
  client: ClientState,
  model: ClientModelState,
  event: InferenceEvent,
  signals: ClientSignal[],
  eventFindings: Finding[],
  policy: ClientPolicy,
): { state: ClientState; findings: Finding[] } {
  const atMs = (event.eventTime as Date).getTime();
  let alarmedAtMs = model.alarmedAtMs;
  const findings: Finding[] = [];
  for (const signal of signals) {
    const kindName = FindingKind[signal.kind] ?? String(signal.kind);
    const last = alarmedAtMs[kindName];
    if (last !== undefined && atMs - last < policy.realertMs) continue;
    alarmedAtMs = { ...alarmedAtMs, [kindName]: atMs };
    findings.push(clientFinding(event, signal));
  }
  let next = withModelState(client, event.modelId, { ...model, alarmedAtMs });
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

function rateReason(reason: "cap" | "population" | "fallback" | undefined): string {
  if (reason === "cap") return "absolute cap";
  if (reason === "fallback") return "fixed limit: too few clients to judge against yet";
  return "far above the model's clients and the client's own usual rate";
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
 * The query-pattern detectors on one query (features as z-scores): PRADA and the population-judged
 * signals (out-of-distribution share, near copies) for extraction, fingerprints and boundary search for
 * adversarial probing, record copies for membership probing. `detectors` is the client's decoded state
 * for the model, updated in place; `ood` is the model profile's verdict on this query; `population`
 * the model's calibration from all its partitions.
 */
export function observeClientQueries(
  detectors: LiveClientState,
  vector: number[],
  label: string,
  config: ClientDetectorsConfig,
  context: { ood?: boolean; population: PopulationCalibration },
): { signals: ClientSignal[]; w?: number } {
  const observed = observeLiveClient(detectors, vector, label, config, {
    calibration: context.population,
    ...(context.ood !== undefined ? { ood: context.ood } : {}),
  });
  const signals: ClientSignal[] = [];
  const judged = observed.signals;
  const evidence = judged?.evidence;
  const population = context.population;
  if (observed.verdict.extraction && judged) {
    const companions = pradaCompanions(encodePrada(detectors.p), config.prada);
    const byPrada = judged.verdict.pradaExtraction;
    const byOod = judged.verdict.oodExtraction;
    signals.push({
      kind: FindingKind.FINDING_KIND_EXTRACTION,
      detector: byPrada ? "prada" : byOod ? "ood-share" : "query-spread",
      severity: Severity.SEVERITY_CRITICAL,
      score: byPrada ? (observed.prada.w ?? 0) : byOod ? (evidence?.oodShare ?? 0) : (evidence?.spread ?? 0),
      threshold: byPrada
        ? population.pradaDelta
        : byOod
          ? population.ood.baseline
          : Math.max(3 * population.spreadMedian, 1.5 * population.spreadHigh),
      summary: byPrada
        ? `query distances no longer look natural (Shapiro-Wilk W ${observed.prada.w?.toFixed(3)} < δ ${population.pradaDelta.toFixed(3)} for ${evidence?.pradaBelow} tests, ${companions.queries} queries, ${companions.coverageCells} feature-space cells)`
        : byOod
          ? `${pct(evidence?.oodShare)} of the client's queries lie outside the model's data (its clients: ${pct(population.ood.baseline)} at most), ${companions.coverageCells} feature-space cells covered`
          : `the client's queries spread ${((evidence?.spread ?? 0) / Math.max(population.spreadMedian, 1e-9)).toFixed(1)}× wider than the median client's: sampling the feature space rather than real cases (${companions.coverageCells} cells covered, label entropy ${companions.labelEntropyBits.toFixed(2)} bits)`,
      evidence: {
        ...signalEvidence(evidence),
        ...(observed.prada.w !== undefined ? { shapiro_w: observed.prada.w.toFixed(4) } : {}),
        prada_delta: population.pradaDelta.toFixed(3),
        prada_delta_source: population.pradaDeltaSource,
        ood_baseline: population.ood.baseline.toFixed(4),
        spread_median: population.spreadMedian.toFixed(3),
        spread_high: population.spreadHigh.toFixed(3),
        coverage_cells: String(companions.coverageCells),
        label_entropy_bits: companions.labelEntropyBits.toFixed(3),
        queries: String(companions.queries),
      },
    });
  }
  if (observed.verdict.adversarialProbe) {
    const boundary = judged?.verdict.boundarySearch === true;
    signals.push({
      kind: FindingKind.FINDING_KIND_ADVERSARIAL_PROBE,
      detector: boundary ? "boundary-search" : "query-fingerprints",
      severity: Severity.SEVERITY_WARNING,
      score: boundary ? (evidence?.nearShare ?? 0) : observed.fingerprint.flagged,
      threshold: boundary ? population.near.baseline : config.fingerprint.alarmCount,
      summary: boundary
        ? `${pct(evidence?.nearShare)} of the client's queries are small perturbations of its own recent ones and their labels flip (${pct(evidence?.nearFlipRate)}): searching the decision boundary`
        : `${observed.fingerprint.flagged} recent queries are near-duplicates of earlier ones`,
      evidence: {
        ...signalEvidence(evidence),
        near_baseline: population.near.baseline.toFixed(4),
        near_duplicates: String(observed.fingerprint.nearDuplicates),
        flagged_recent: String(observed.fingerprint.flagged),
      },
    });
  }
  if (observed.verdict.membershipProbe) {
    const copies = judged?.verdict.membershipCopies === true;
    signals.push({
      kind: FindingKind.FINDING_KIND_MEMBERSHIP_PROBE,
      detector: copies ? "record-copies" : "query-fingerprints",
      severity: Severity.SEVERITY_WARNING,
      score: copies ? (evidence?.nearShare ?? 0) : observed.membership.clusteredShare,
      threshold: copies ? population.near.baseline : config.membership.coverage,
      summary: copies
        ? `${pct(evidence?.nearShare)} of the client's queries are noisy copies of its own recent ones with the same label: probing whether records were in the training data`
        : `${pct(observed.membership.clusteredShare)} of recent queries are noisy copies of ${observed.membership.clusters.length} records`,
      evidence: {
        ...signalEvidence(evidence),
        near_baseline: population.near.baseline.toFixed(4),
        clustered_share: observed.membership.clusteredShare.toFixed(3),
        clusters: String(observed.membership.clusters.length),
      },
    });
  }
  return { signals, ...(observed.prada.w !== undefined ? { w: observed.prada.w } : {}) };
}

function pct(share: number | undefined): string {
  return `${((share ?? 0) * 100).toFixed(0)} %`;
}

function signalEvidence(evidence: QuerySignalsEvidence | undefined): Record<string, string> {
  if (!evidence) return {};
  const out: Record<string, string> = {
    ood_share: evidence.oodShare.toFixed(4),
    near_share: evidence.nearShare.toFixed(4),
    near_flip_rate: evidence.nearFlipRate.toFixed(3),
    prada_tests_below_delta: String(evidence.pradaBelow),
  };
  if (evidence.spread !== undefined) out.spread = evidence.spread.toFixed(3);
  return out;
}
