import {
  type DisagreementHistory,
  longRunCounts,
  type ModelCounts,
  recentWindows,
} from "./disagreement-history.js";
import { binomialSurprise } from "./population/index.js";

/**
 * The two verdicts on one source's disagreement stream. The change test catches a source that
 * turns bad after a clean history (its long-run counts would dilute the change); the level test
 * catches one that is bad from its start (it has no clean history to change from).
 */

export interface ChangeTestPolicy {
  /** The shortest recent window tested (labels of the source). */
  minWindow: number;
  /** Labels of the source before the window needed to know its usual rate. */
  minReference: number;
  /** Labels of the other sources needed in the window and before it. */
  minOthers: number;
  /** −ln of the binomial tail bound (Chernoff) that raises the alarm. */
  changeSurprise: number;
  /** The expected rate is tested at its estimate plus this many standard errors. */
  referenceMargin: number;
  /** And the source's rise must exceed the others' by at least this much. */
  minChangeGap: number;
}

export interface ChangeEvidence {
  /** Event time of the window's first label: the change happened about then. */
  since: number;
  /** The source's labels in the window. */
  labels: number;
  rate: number;
  referenceRate: number;
  othersRate: number;
  othersReferenceRate: number;
  /** The source's usual rate plus the others' rise over the same period: the rate without a change. */
  expectedRate: number;
  surprise: number;
}

/**
 * The recent window (newest 1, 2, … blocks) whose disagreement rate departs most from what the
 * source's own history and the other sources over the same period predict, if any departs enough.
 *
 * Without a change the source's rate in the window would be its rate before it, plus however much
 * the other sources' rate rose meanwhile (a model that got worse for everyone flags no one). The
 * others' fall is not credited: a noisy source that stops labelling lowers the others' mix without
 * anyone changing. That expectation is raised by `referenceMargin` standard errors of its estimate,
 * and the window's count is tested against it with the Chernoff bound, which stays honest for the
 * small rates and short windows where a normal approximation is far too eager.
 */
export function changeEvidence(
  history: DisagreementHistory,
  model: ModelCounts,
  policy: ChangeTestPolicy,
): ChangeEvidence | undefined {
  let best: ChangeEvidence | undefined;
  for (const { since, recent, before } of recentWindows(history, model)) {
    if (recent.n < policy.minWindow || before.n < policy.minReference) continue;
    if (recent.othersN < policy.minOthers || before.othersN < policy.minOthers) continue;
    const rate = recent.k / recent.n;
    const referenceRate = before.k / before.n;
    const othersRate = recent.othersK / recent.othersN;
    const othersReferenceRate = before.othersK / before.othersN;
    const othersRise = Math.max(0, othersRate - othersReferenceRate);
    const expectedRate = Math.min(1, referenceRate + othersRise);
    if (rate - expectedRate < policy.minChangeGap) continue;
    const variance =
      smoothedVariance(before.k, before.n) +
      (othersRise > 0
        ? smoothedVariance(recent.othersK, recent.othersN) + smoothedVariance(before.othersK, before.othersN)
        : 0);
    const bound = Math.min(1, expectedRate + policy.referenceMargin * Math.sqrt(variance));
    const surprise = binomialSurprise(recent.k, recent.n, bound);
    if (surprise >= policy.changeSurprise && (!best || surprise > best.surprise))
      best = {
        since,
        labels: recent.n,
        rate,
        referenceRate,
        othersRate,
        othersReferenceRate,
        expectedRate,
        surprise,
      };
  }
  return best;
}

/** Variance of a rate estimated from k of n, with one pseudo-count each way so that 0 of n is not certain. */
function smoothedVariance(k: number, n: number): number {
  const p = (k + 1) / (n + 2);
  return (p * (1 - p)) / (n + 2);
}

export interface LevelTestPolicy {
  /** Minimum labels of the suspect source (and of the others) before it can be judged. */
  minLabels: number;
  /** z of the two-proportion test (source vs all other sources) that raises the alarm. */
  zThreshold: number;
  /** And the source's disagreement rate must exceed the others' by at least this much. */
  minRateGap: number;
}

export interface LevelEvidence {
  since: number;
  labels: number;
  rate: number;
  othersRate: number;
  z: number;
}

/** The source against all other sources over the same (long-run) period: a two-proportion z test. */
export function levelEvidence(
  history: DisagreementHistory,
  model: ModelCounts,
  policy: LevelTestPolicy,
): LevelEvidence | undefined {
  const counts = longRunCounts(history, model);
  if (counts.n < policy.minLabels || counts.othersN < policy.minLabels) return undefined;
  const rate = counts.k / counts.n;
  const othersRate = counts.othersK / counts.othersN;
  const pooled = (counts.k + counts.othersK) / (counts.n + counts.othersN);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / counts.n + 1 / counts.othersN));
  const z = se > 0 ? (rate - othersRate) / se : 0;
  if (z <= policy.zThreshold || rate - othersRate < policy.minRateGap) return undefined;
  return { since: history.firstAt, labels: counts.n, rate, othersRate, z };
}
