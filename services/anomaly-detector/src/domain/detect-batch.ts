import { createHash } from "node:crypto";
import type { Finding, InferenceEvent } from "@argus/proto";
import {
  type ClientModelState,
  type ClientPolicy,
  type ClientSignal,
  type ClientState,
  concludeForClient,
  emptyClientModelState,
  emptyClientState,
  observeClientQueries,
  observeClientRequest,
} from "./client-state.js";
import {
  type ClientDetectorsConfig,
  clientDetectorsConfig,
  decodeClientState,
  encodeClientState,
  type LiveClientState,
  newClientState as newDetectorState,
} from "./clients/index.js";
import { type FeatureColumns, featureColumns } from "./event-features.js";
import { detectInputViolations } from "./input-findings.js";
import type { ModelSchemas } from "./input-schema.js";
import {
  alignedValues,
  fitCalibration,
  fitProfile,
  LivePart,
  type ModelProfile,
  mahalanobis,
  mergedCalibrationCount,
  mergedWarmupCount,
  mostUnusualFeatures,
  type NumericFeatures,
  normalize,
  type ProfilePart,
  type ProfilePolicy,
  type ScoreCalibration,
  unseenCategories,
} from "./model-profile.js";
import { outlierFinding } from "./outlier-finding.js";
import {
  type ClientSnapshot,
  calibratePopulation,
  clientSnapshot,
  emptyPopulation,
  mergePopulations,
  type PopulationCalibration,
  type PopulationPolicy,
  type PopulationSummary,
  updatePopulation,
} from "./population/index.js";
import {
  LiveResources,
  type ResourceLimits,
  type ResourcePart,
  type ResourcePolicy,
  resourceLimits,
} from "./resources.js";

/**
 * One partition's share of a model's state: everything model-wide detectors learn, kept where the
 * partition's consumer owns it and merged by readers across partitions.
 */
export interface ModelPartition {
  profile: ProfilePart;
  resources: ResourcePart;
  /** A sample of the model's clients seen on this partition (rates, OOD and near-copy shares, PRADA W). */
  population: PopulationSummary;
}

/** What a batch knows of one model of one tenant. */
export interface ModelView {
  /** This partition's part, as stored when the batch was read (under the batch's offset fence). */
  own: ModelPartition;
  /** The other partitions' parts, as last read (a little stale is fine: they are other traffic). */
  others: ModelPartition[];
  /** The model's frozen profile and score calibration, once fitted (the same for every partition). */
  profile?: ModelProfile;
  calibration?: ScoreCalibration;
}

export interface DetectPolicies {
  schemas: ModelSchemas;
  client: ClientPolicy;
  profile: ProfilePolicy;
  resources: ResourcePolicy;
  population: PopulationPolicy;
  /** Secret salt of the query fingerprints (and of the client digests in population samples). */
  fingerprintSalt: string;
  /** A prediction whose top class score reaches this is kept for the poisoning check. */
  confidentScore: number;
  /** Per-event text detectors (prompt injection, leakage). */
  scanText?: (event: InferenceEvent, observedAt: Date) => Finding[];
}

export interface BatchState {
  /** By `modelKey(tenant, model)`. */
  models: Map<string, ModelView>;
  /** By `clientKey(tenant, client)`. */
  clients: Map<string, ClientState>;
}

export interface ConfidentPrediction {
  modelId: string;
  requestId: string;
  label: string;
}

/** A record no detector could handle: it goes to the dead-letter topic, the batch goes on. */
export interface RecordFailure {
  index: number;
  detector: string;
  error: string;
}

export interface BatchPlan {
  /** This partition's model parts to store (only those the batch changed). */
  partitions: Map<string, ModelPartition>;
  /** Profiles and calibrations fitted by this batch (stored once for the whole model: first wins). */
  profiles: Map<string, ModelProfile>;
  calibrations: Map<string, ScoreCalibration>;
  /** Clients the batch changed. */
  clients: Map<string, ClientState>;
  findings: { index: number; finding: Finding }[];
  confident: ConfidentPrediction[];
  failures: RecordFailure[];
}

export function modelKey(tenant: string, modelId: string): string {
  return `${tenant}\u0000${modelId}`;
}

export function clientKey(tenant: string, clientId: string): string {
  return `${tenant}\u0000${clientId}`;
}

/** A model view for a model nobody has seen yet. */
export function emptyModelPartition(): ModelPartition {
  return {
    profile: { features: [], n: 0, mean: [], comoment: [], sketches: {}, categories: {} },
    resources: {},
    population: emptyPopulation(),
  };
}

/**
 * The anomaly-detector's batch planner: every detector over a batch of one partition's events, in
 * offset order, against the state the adapter loaded. Pure: the caller publishes the findings,
 * dead-letters the failures, and stores the plan's state in one fenced write.
 *
 * A detector that throws on an event fails that event only (its record is dead-lettered with the
 * detector's name); the event's client state is not changed by it, and the batch goes on.
 */
export function detectBatch(
  state: BatchState,
  events: InferenceEvent[],
  policies: DetectPolicies,
  now: number,
): BatchPlan {
  const work = new Map<string, ModelWork>();
  const clients = new Map<string, ClientState>();
  const detectors = new LiveDetectors();
  const plan: BatchPlan = {
    partitions: new Map(),
    profiles: new Map(),
    calibrations: new Map(),
    clients,
    findings: [],
    confident: [],
    failures: [],
  };
  events.forEach((event, index) => {
    let stage = "decode";
    try {
      const observedAt = event.eventTime as Date;
      const features = featureColumns(event);
      stage = "input-validation";
      const eventFindings = detectInputViolations(policies.schemas, event, observedAt);
      stage = "text-scanners";
      eventFindings.push(...(policies.scanText?.(event, observedAt) ?? []));
      stage = "model-profile";
      const key = modelKey(event.tenant, event.modelId);
      const model = work.get(key) ?? openModel(state.models.get(key), policies);
      work.set(key, model);
      const scored = model.observe(features, policies.profile);
      if (scored.outlier) eventFindings.push(outlierFinding(event, scored.outlier));
      stage = "resources";
      const resources = model.resources.observe(
        model.limits(),
        event.latencyMs,
        event.outputTokens,
        policies.resources,
      );
      stage = "confident-predictions";
      const output = event.output?.kind;
      if (event.requestId && output?.$case === "classification") {
        if (topScore(output.value.scores) >= policies.confidentScore)
          plan.confident.push({
            modelId: event.modelId,
            requestId: event.requestId,
            label: output.value.label,
          });
      }
      let findings = eventFindings;
      if (event.clientId) {
        const ckey = clientKey(event.tenant, event.clientId);
        const client = clients.get(ckey) ?? state.clients.get(ckey) ?? emptyClientState(event.tenant);
        stage = "request-rate";
        const known = client.models[event.modelId];
        // A model the client is no longer followed on starts over, detectors included.
        if (known === undefined) detectors.forget(ckey, event.modelId);
        const before = known ?? emptyClientModelState();
        const requested = observeClientRequest(before, event, resources, model.population, policies.client);
        const modelState: ClientModelState = requested.state;
        const signals: ClientSignal[] = [...requested.signals];
        if (scored.vector && scored.vector.length > 0 && output?.$case === "classification") {
          stage = "query-detectors";
          const queried = observeClientQueries(
            detectors.of(ckey, event.modelId, modelState),
            scored.vector,
            output.value.label,
            detectorsConfig(policies.fingerprintSalt),
            { population: model.population, ...(scored.ood !== undefined ? { ood: scored.ood } : {}) },
          );
          signals.push(...queried.signals);
        }
        stage = "client-risk";
        const concluded = concludeForClient(
          client,
          modelState,
          event,
          signals,
          eventFindings,
          policies.client,
        );
        findings = [...eventFindings, ...concluded.findings];
        clients.set(ckey, concluded.state);
        model.touched.set(event.clientId, ckey);
      }
      for (const finding of findings) plan.findings.push({ index, finding });
    } catch (error) {
      plan.failures.push({ index, detector: stage, error: describe(error) });
    }
  });
  detectors.storeInto(clients);
  for (const [key, model] of work) {
    const [tenant = "", modelId = ""] = key.split("\u0000");
    const snapshots: ClientSnapshot[] = [];
    for (const [clientId, ckey] of model.touched) {
      const modelState = clients.get(ckey)?.models[modelId];
      if (!modelState) continue; // followed on too many models: this one was dropped
      snapshots.push(
        clientSnapshot({
          digest: populationDigest(policies.fingerprintSalt, tenant, modelId, clientId),
          atMs: modelState.lastAtMs || now,
          rate: modelState.rate,
          ...(modelState.detectors ? { detectors: modelState.detectors } : {}),
          ratePolicy: policies.client.rate,
        }),
      );
    }
    plan.partitions.set(key, model.toPartition(snapshots));
    if (model.fittedProfile) plan.profiles.set(key, model.fittedProfile);
    if (model.fittedCalibration) plan.calibrations.set(key, model.fittedCalibration);
  }
  return plan;
}

/**
 * The query detectors' state of the batch's clients, decoded on a client's first query to a model and
 * encoded into the client's state once, at the end of the batch: a client sends tens of queries per
 * batch, and decoding and encoding its packed state around each of them cost more than the detectors.
 * The query detectors are the last stage that can throw on an event's data, and they throw before
 * changing anything, so a failed event leaves the decoded state as it found it.
 */
class LiveDetectors {
  private readonly live = new Map<string, { clientKey: string; modelId: string; state: LiveClientState }>();

  /** The decoded state of a client's detectors on a model; `model` is the client's state there. */
  of(clientKey: string, modelId: string, model: ClientModelState): LiveClientState {
    const key = `${clientKey}\u0000${modelId}`;
    let entry = this.live.get(key);
    if (entry === undefined) {
      entry = { clientKey, modelId, state: decodeClientState(model.detectors ?? newDetectorState()) };
      this.live.set(key, entry);
    }
    return entry.state;
  }

  forget(clientKey: string, modelId: string): void {
    this.live.delete(`${clientKey}\u0000${modelId}`);
  }

  /** Writes every decoded state back into its client (models the client dropped meanwhile stay dropped). */
  storeInto(clients: Map<string, ClientState>): void {
    for (const { clientKey, modelId, state } of this.live.values()) {
      const client = clients.get(clientKey);
      const model = client?.models[modelId];
      if (client === undefined || model === undefined) continue;
      clients.set(clientKey, {
        ...client,
        models: { ...client.models, [modelId]: { ...model, detectors: encodeClientState(state) } },
      });
    }
  }
}

/**
 * The state after a plan was stored, as the next batch of the same partition would load it (the
 * other partitions' parts unchanged). For replays in memory: tests, benchmarks, the evaluation.
 */
export function applyPlan(state: BatchState, plan: BatchPlan): BatchState {
  const models = new Map(state.models);
  for (const [key, partition] of plan.partitions) {
    const known = models.get(key);
    const profile = known?.profile ?? plan.profiles.get(key);
    const calibration = known?.calibration ?? plan.calibrations.get(key);
    models.set(key, {
      own: partition,
      others: known?.others ?? [],
      ...(profile ? { profile } : {}),
      ...(calibration ? { calibration } : {}),
    });
  }
  return { models, clients: new Map([...state.clients, ...plan.clients]) };
}

interface Scored {
  /** The event's features as z-scores (once the profile is fitted): the per-client detectors' input. */
  vector?: number[];
  score?: number;
  /** Above the model's out-of-distribution threshold (once the score calibration exists). */
  ood?: boolean;
  outlier?: {
    score: number;
    threshold: number;
    multivariate: boolean;
    unseenCategories: string[];
    topFeatures: { feature: string; robustZ: number }[];
  };
}

/** A model while a batch is planned: its live part, merged views, and what the batch fitted. */
interface ModelWork {
  resources: LiveResources;
  /** The model's resource baseline (refit within the batch until it is warm, so batch size does not delay it). */
  limits(): ResourceLimits;
  /** The model's clients as sampled on every partition when the batch was read. */
  population: PopulationCalibration;
  /** Clients of the batch: client id → client key (their snapshots go into this partition's sample). */
  touched: Map<string, string>;
  fittedProfile?: ModelProfile;
  fittedCalibration?: ScoreCalibration;
  observe(features: FeatureColumns, policy: ProfilePolicy): Scored;
  toPartition(snapshots: ClientSnapshot[]): ModelPartition;
}

function openModel(view: ModelView | undefined, policies: DetectPolicies): ModelWork {
  const own = view?.own ?? emptyModelPartition();
  const others = view?.others ?? [];
  const part = new LivePart(own.profile);
  let profile = view?.profile;
  let calibration = view?.calibration;
  let profileFittedHere: ModelProfile | undefined;
  let calibrationFittedHere: ScoreCalibration | undefined;
  const otherProfiles = others.map((other) => other.profile);
  // Counts of the other partitions do not change during the batch: add ours as it grows.
  const othersWarm = mergedWarmupCount(otherProfiles);
  const othersCalibrating = mergedCalibrationCount(otherProfiles);
  const resources = new LiveResources(own.resources);
  const otherResources = others.map((other) => other.resources);
  let limits = resourceLimits([own.resources, ...otherResources], policies.resources);
  const othersCount = limits.n - resources.count;
  const population = calibratePopulation(
    mergePopulations([
      own.population ?? emptyPopulation(),
      ...others.map((other) => other.population ?? emptyPopulation()),
    ]),
    policies.population,
  );
  return {
    resources,
    limits() {
      if (limits.n < policies.resources.warmup && othersCount + resources.count >= policies.resources.warmup)
        limits = resourceLimits([resources.toJSON(), ...otherResources], policies.resources);
      return limits;
    },
    population,
    touched: new Map(),
    get fittedProfile() {
      return profileFittedHere;
    },
    get fittedCalibration() {
      return calibrationFittedHere;
    },
    observe(features, policy) {
      if (!profile) {
        part.warm(numericFeatures(features), categoricalFeatures(features), policy);
        if (othersWarm + part.n >= policy.warmupEvents) {
          profile = fitProfile([part.toJSON(), ...otherProfiles], policy);
          profileFittedHere = profile;
        }
        return {};
      }
      const values = alignedValues(profile, features.numberNames, features.numberValues);
      const score = mahalanobis(profile, values);
      const vector = normalize(profile, values);
      if (!calibration) {
        part.addScore(score);
        if (othersCalibrating + part.calibrationCount >= policy.calibrationEvents) {
          calibration = fitCalibration([part.toJSON(), ...otherProfiles], policy);
          calibrationFittedHere = calibration;
        }
        return { vector, score };
      }
      const unseen = unseenCategories(profile, categoricalFeatures(features));
      const multivariate = score > calibration.outlierThreshold;
      const ood = score > calibration.oodThreshold;
      if (!multivariate && unseen.length === 0) return { vector, score, ood };
      return {
        vector,
        score,
        ood,
        outlier: {
          score,
          threshold: calibration.outlierThreshold,
          multivariate,
          unseenCategories: unseen,
          topFeatures: mostUnusualFeatures(profile, values),
        },
      };
    },
    toPartition(snapshots) {
      const stored = part.toJSON();
      return {
        // Once the model's profile exists, the warm-up moments are dead weight.
        profile: profile ? LivePart.afterFreeze(stored) : stored,
        resources: resources.toJSON(),
        population: updatePopulation(own.population ?? emptyPopulation(), snapshots),
      };
    },
  };
}

/** The event's finite number features (what the profile warms up on). */
function numericFeatures({ numberNames, numberValues }: FeatureColumns): NumericFeatures {
  const numeric: NumericFeatures = new Map();
  for (let i = 0; i < numberNames.length; i++) {
    const value = numberValues[i] as number;
    if (Number.isFinite(value)) numeric.set(numberNames[i] as string, value);
  }
  return numeric;
}

function categoricalFeatures({ otherFeatures }: FeatureColumns): Map<string, string> {
  const categorical = new Map<string, string>();
  for (const [name, value] of otherFeatures)
    if (value?.kind?.$case === "category") categorical.set(name, value.kind.value);
  return categorical;
}

/** The largest class score (a loop: spreading 100k scores into Math.max overflows the stack). */
function topScore(scores: Record<string, number>): number {
  let top = Number.NEGATIVE_INFINITY;
  for (const label in scores) {
    const value = scores[label] as number;
    if (value > top) top = value;
  }
  return top;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}

/** A client's id in population samples: salted, so nobody can pick a digest to get sampled. */
function populationDigest(salt: string, tenant: string, modelId: string, clientId: string): string {
  return createHash("sha256")
    .update(`${salt}\u0000${tenant}\u0000${modelId}\u0000${clientId}`)
    .digest("hex")
    .slice(0, 16);
}

let cachedConfig: { salt: string; config: ClientDetectorsConfig } | undefined;

/** The query detectors' configuration (one salt per process: cached). */
function detectorsConfig(salt: string): ClientDetectorsConfig {
  if (cachedConfig?.salt !== salt) cachedConfig = { salt, config: clientDetectorsConfig(salt) };
  return cachedConfig.config;
}
