// The per-client detectors 2-4 together: one JSON state per client (stored in Redis with a TTL), one
// call per query. See prada.ts, fingerprint.ts and membership.ts for the methods and their bounds.

import type { PopulationCalibration } from "../population/calibration.js";
import { serializedBytes } from "./codec.js";
import {
  DEFAULT_FINGERPRINT_CONFIG,
  decodeFingerprints,
  encodeFingerprints,
  type FingerprintConfig,
  type FingerprintState,
  fingerprint,
  type LiveFingerprints,
  liveClusters,
  newFingerprintState,
  observeFingerprints,
} from "./fingerprint.js";
import {
  DEFAULT_MEMBERSHIP_CONFIG,
  decodeMembership,
  encodeMembership,
  type LiveMembership,
  type MembershipConfig,
  type MembershipObservation,
  type MembershipState,
  newMembershipState,
  observeMembership,
} from "./membership.js";
import {
  DEFAULT_PRADA_CONFIG,
  decodePrada,
  encodePrada,
  type LivePrada,
  newPradaState,
  observePrada,
  type PradaConfig,
  type PradaState,
} from "./prada.js";
import {
  DEFAULT_QUERY_SIGNALS_CONFIG,
  decodeSignals,
  encodeSignals,
  type LiveSignals,
  newQuerySignalsState,
  observeSignals,
  type QuerySignalsConfig,
  type QuerySignalsEvidence,
  type QuerySignalsState,
  type QuerySignalsVerdict,
} from "./signals.js";

export interface ClientDetectorsConfig {
  prada: PradaConfig;
  fingerprint: FingerprintConfig;
  membership: MembershipConfig;
  /** Population-judged signals (signals.ts); the defaults when absent. */
  signals?: QuerySignalsConfig;
}

/** The defaults of the three detectors with the model's calibrated δ (if any) and the secret salt. */
export function clientDetectorsConfig(
  salt: string,
  overrides: {
    prada?: Partial<PradaConfig>;
    fingerprint?: Partial<FingerprintConfig>;
    membership?: Partial<MembershipConfig>;
    signals?: Partial<QuerySignalsConfig>;
  } = {},
): ClientDetectorsConfig {
  if (salt.length === 0) throw new RangeError("client detectors: the fingerprint salt must not be empty");
  return {
    prada: { ...DEFAULT_PRADA_CONFIG, ...overrides.prada },
    fingerprint: { ...DEFAULT_FINGERPRINT_CONFIG, salt, ...overrides.fingerprint },
    membership: { ...DEFAULT_MEMBERSHIP_CONFIG, ...overrides.membership },
    signals: { ...DEFAULT_QUERY_SIGNALS_CONFIG, ...overrides.signals },
  };
}

/** Everything the detectors keep about one client (per model): plain, bounded JSON. */
export interface ClientState {
  p: PradaState;
  f: FingerprintState;
  m: MembershipState;
  /** Population-judged signals (absent in states written before they existed: started on first use). */
  s?: QuerySignalsState;
}

export function newClientState(): ClientState {
  return { p: newPradaState(), f: newFingerprintState(), m: newMembershipState(), s: newQuerySignalsState() };
}

/**
 * What the caller knows about a query beyond the query itself: the model profile's OOD verdict and
 * the model's population calibration (`calibratePopulation` of the merged summary). With a
 * calibration the verdicts are population-relative (see `ClientObservation.verdict`).
 */
export interface QueryContext {
  /** Mahalanobis score of this query above the profile's OOD threshold; undefined before the profile exists. */
  ood?: boolean;
  calibration?: PopulationCalibration;
}

export interface ClientObservation {
  state: ClientState;
  prada: { w?: number; alarm: boolean; distances: number };
  fingerprint: { nearDuplicates: number; alarm: boolean; flagged: number; cluster: number };
  membership: Omit<MembershipObservation, "state">;
  /** The population-judged signals (only with a calibration in the context). */
  signals?: { verdict: QuerySignalsVerdict; evidence: QuerySignalsEvidence };
  /**
   * The verdicts to report, one per finding kind: extraction = PRADA's alarm; adversarial_probe =
   * the fingerprint alarm unless at least half of the window is identical repeats (retries and
   * polling re-send the same input: near-duplicates, but no search); membership_probe = the
   * membership alarm. Several can be true at once.
   * With a calibration in the context: extraction = PRADA's W below the population δ for a run of
   * tests, or an OOD share far above the population's; adversarial_probe = the fingerprint verdict
   * above, or near copies far above the population's share whose labels flip (boundary search);
   * membership_probe = the membership alarm, or such near copies that keep their labels.
   */
  verdict: { extraction: boolean; adversarialProbe: boolean; membershipProbe: boolean };
}

/** Share of the window in identical repeats at or above which near-duplicates are not called probing. */
export const REPLAY_SHARE_EXCUSED = 0.5;

/**
 * A client's detector state decoded (per model): what a batch observes in place, query after query,
 * and encodes once when it is done; the packed state is for storage only.
 */
export interface LiveClientState {
  p: LivePrada;
  f: LiveFingerprints;
  m: LiveMembership;
  s: LiveSignals;
}

export function decodeClientState(state: ClientState): LiveClientState {
  return {
    p: decodePrada(state.p),
    f: decodeFingerprints(state.f),
    m: decodeMembership(state.m),
    s: decodeSignals(state.s ?? newQuerySignalsState()),
  };
}

export function encodeClientState(live: LiveClientState): ClientState {
  return {
    p: encodePrada(live.p),
    f: encodeFingerprints(live.f),
    m: encodeMembership(live.m),
    s: encodeSignals(live.s),
  };
}

/** One query of a client: normalized features and the label the model returned. Pure. */
export function observeClientQuery(
  state: ClientState,
  vector: ArrayLike<number>,
  label: string | number,
  config: ClientDetectorsConfig,
  context: QueryContext = {},
): ClientObservation {
  const live = decodeClientState(state);
  const observation = observeLiveClient(live, vector, label, config, context);
  return { state: encodeClientState(live), ...observation };
}

/**
 * `observeClientQuery` on decoded state, which it updates. A query PRADA refuses (another
 * dimension than the client's earlier ones) throws before anything is changed.
 */
export function observeLiveClient(
  live: LiveClientState,
  vector: ArrayLike<number>,
  label: string | number,
  config: ClientDetectorsConfig,
  context: QueryContext = {},
): Omit<ClientObservation, "state"> {
  const prada = observePrada(live.p, vector, label, config.prada);
  const fp = observeFingerprints(live.f, fingerprint(vector, config.fingerprint), config.fingerprint);
  const membership = observeMembership(
    live.m,
    { clusters: liveClusters(live.f), seq: live.f.n - 1, observation: fp, vector, label },
    config.membership,
  );
  const fingerprintProbe = fp.alarm && membership.replayShare < REPLAY_SHARE_EXCUSED;
  const signalsInput = {
    vector,
    label,
    ...(context.ood !== undefined ? { ood: context.ood } : {}),
    ...(prada.w !== undefined ? { pradaW: prada.w } : {}),
  };
  const calibration = context.calibration;
  if (calibration === undefined) {
    // Without a population the signals still count (so they are ready once it exists), but judge nothing.
    observeSignals(live.s, signalsInput, NO_CALIBRATION, config.signals ?? DEFAULT_QUERY_SIGNALS_CONFIG);
    return {
      prada,
      fingerprint: fp,
      membership,
      verdict: {
        extraction: prada.alarm,
        adversarialProbe: fingerprintProbe,
        membershipProbe: membership.alarm,
      },
    };
  }
  const signals = observeSignals(
    live.s,
    signalsInput,
    calibration,
    config.signals ?? DEFAULT_QUERY_SIGNALS_CONFIG,
  );
  const v = signals.verdict;
  // Hash windows of discrete or sparse features collide between unrelated queries, so a busy benign
  // client can gather Blacklight near-duplicates by chance; with a population to compare with, they
  // count only when the client's queries are also near copies by distance more often than its peers'.
  const confirmedFingerprintProbe =
    fingerprintProbe && signals.evidence.nearShare > calibration.near.baseline;
  return {
    prada,
    fingerprint: fp,
    membership,
    signals: { verdict: v, evidence: signals.evidence },
    verdict: {
      extraction: v.pradaExtraction || v.oodExtraction || v.wideExtraction,
      adversarialProbe: confirmedFingerprintProbe || v.boundarySearch,
      membershipProbe: membership.alarm || v.membershipCopies,
    },
  };
}

/** A calibration that judges nothing (no population): only used to count. */
const NO_CALIBRATION: PopulationCalibration = {
  calibrated: false,
  clients: 0,
  qualifiedClients: 0,
  rate: { calibrated: false, medianPerMin: 0, highPerMin: 0, logSpread: 0 },
  ood: { baseline: 1, median: 0, high: 0 },
  near: { baseline: 1, median: 0, high: 0 },
  spreadMedian: 0,
  spreadHigh: 0,
  pradaDelta: 0,
  pradaDeltaSource: "fallback",
};

/** Bytes of the client's state as stored (UTF-8 JSON). */
export function clientStateBytes(state: ClientState): number {
  return serializedBytes(state);
}
