// The per-client detectors 2-4 together: one JSON state per client (stored in Redis with a TTL), one
// call per query. See prada.ts, fingerprint.ts and membership.ts for the methods and their bounds.
import { serializedBytes } from "./codec.js";
import {
  DEFAULT_FINGERPRINT_CONFIG,
  type FingerprintConfig,
  type FingerprintState,
  fingerprint,
  fingerprintObserve,
  newFingerprintState,
} from "./fingerprint.js";
import {
  DEFAULT_MEMBERSHIP_CONFIG,
  type MembershipConfig,
  type MembershipObservation,
  type MembershipState,
  membershipObserve,
  newMembershipState,
} from "./membership.js";
import {
  DEFAULT_PRADA_CONFIG,
  newPradaState,
  type PradaConfig,
  type PradaState,
  pradaObserve,
} from "./prada.js";

export interface ClientDetectorsConfig {
  prada: PradaConfig;
  fingerprint: FingerprintConfig;
  membership: MembershipConfig;
}

/** The defaults of the three detectors with the model's calibrated δ (if any) and the secret salt. */
export function clientDetectorsConfig(
  salt: string,
  overrides: {
    prada?: Partial<PradaConfig>;
    fingerprint?: Partial<FingerprintConfig>;
    membership?: Partial<MembershipConfig>;
  } = {},
): ClientDetectorsConfig {
  if (salt.length === 0) throw new RangeError("client detectors: the fingerprint salt must not be empty");
  return {
    prada: { ...DEFAULT_PRADA_CONFIG, ...overrides.prada },
    fingerprint: { ...DEFAULT_FINGERPRINT_CONFIG, salt, ...overrides.fingerprint },
    membership: { ...DEFAULT_MEMBERSHIP_CONFIG, ...overrides.membership },
  };
}

/** Everything the detectors keep about one client (per model): plain, bounded JSON. */
export interface ClientState {
  p: PradaState;
  f: FingerprintState;
  m: MembershipState;
}

export function newClientState(): ClientState {
  return { p: newPradaState(), f: newFingerprintState(), m: newMembershipState() };
}

export interface ClientObservation {
  state: ClientState;
  prada: { w?: number; alarm: boolean; distances: number };
  fingerprint: { nearDuplicates: number; alarm: boolean; flagged: number; cluster: number };
  membership: Omit<MembershipObservation, "state">;
  /**
   * The verdicts to report, one per finding kind: extraction = PRADA's alarm; adversarial_probe =
   * the fingerprint alarm unless at least half of the window is identical repeats (retries and
   * polling re-send the same input: near-duplicates, but no search); membership_probe = the
   * membership alarm. Several can be true at once.
   */
  verdict: { extraction: boolean; adversarialProbe: boolean; membershipProbe: boolean };
}

/** Share of the window in identical repeats at or above which near-duplicates are not called probing. */
export const REPLAY_SHARE_EXCUSED = 0.5;

/** One query of a client: normalized features and the label the model returned. Pure. */
export function observeClientQuery(
  state: ClientState,
  vector: ArrayLike<number>,
  label: string | number,
  config: ClientDetectorsConfig,
): ClientObservation {
  const prada = pradaObserve(state.p, vector, label, config.prada);
  const fp = fingerprintObserve(state.f, fingerprint(vector, config.fingerprint), config.fingerprint);
  const membership = membershipObserve(
    state.m,
    { fingerprint: fp.state, observation: fp, vector, label },
    config.membership,
  );
  const { state: pradaState, ...pradaResult } = prada;
  const { state: fpState, ...fpResult } = fp;
  const { state: membershipState, ...membershipResult } = membership;
  return {
    state: { p: pradaState, f: fpState, m: membershipState },
    prada: pradaResult,
    fingerprint: fpResult,
    membership: membershipResult,
    verdict: {
      extraction: prada.alarm,
      adversarialProbe: fp.alarm && membership.replayShare < REPLAY_SHARE_EXCUSED,
      membershipProbe: membership.alarm,
    },
  };
}

/** Bytes of the client's state as stored (UTF-8 JSON). */
export function clientStateBytes(state: ClientState): number {
  return serializedBytes(state);
}
