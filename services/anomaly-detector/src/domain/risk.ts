import type { FindingKind } from "@argus/proto";

/** One piece of evidence against a client, kept (boundedly) so a gateway can say why it throttles. */
export interface RiskReason {
  kind: FindingKind;
  detector: string;
  modelId: string;
  atMs: number;
  summary: string;
  evidence: Record<string, string>;
}

export interface RiskState {
  /** Score as of `updatedAtMs`; read it through `riskNow`, which applies the decay. */
  score: number;
  updatedAtMs: number;
  reasons: RiskReason[];
}

export interface RiskPolicy {
  /** Time for a score to halve without new evidence. */
  halfLifeMs: number;
  /** Reasons kept per client (newest first). */
  maxReasons: number;
  /** How much one finding of a kind raises the risk: combined as 1 − Π(1 − w). */
  weights: Partial<Record<FindingKind, number>>;
  defaultWeight: number;
}

export function emptyRisk(): RiskState {
  return { score: 0, updatedAtMs: 0, reasons: [] };
}

/** The score at `nowMs`: exponential decay since the last evidence. */
export function riskNow(state: RiskState, nowMs: number, policy: RiskPolicy): number {
  if (state.score === 0) return 0;
  const elapsed = Math.max(nowMs - state.updatedAtMs, 0);
  return state.score * 2 ** (-elapsed / policy.halfLifeMs);
}

/**
 * Adds evidence: independent signals combine like probabilities (two medium signals outweigh one),
 * the score stays in [0, 1], and the newest reason per kind is kept so the state stays small.
 */
export function addRisk(state: RiskState, reason: RiskReason, policy: RiskPolicy): RiskState {
  const current = riskNow(state, reason.atMs, policy);
  const weight = policy.weights[reason.kind] ?? policy.defaultWeight;
  return {
    score: 1 - (1 - current) * (1 - weight),
    updatedAtMs: Math.max(reason.atMs, state.updatedAtMs),
    // One reason per (kind, detector), the newest: a flood of one kind must not push out the others.
    reasons: [
      reason,
      ...state.reasons.filter((kept) => kept.kind !== reason.kind || kept.detector !== reason.detector),
    ].slice(0, policy.maxReasons),
  };
}
