import {
  type DisagreementHistory,
  emptyHistory,
  type HistoryShape,
  type ModelCounts,
  recordAsPartner,
  recordDisagreement,
} from "./disagreement-history.js";
import {
  type ChangeEvidence,
  type ChangeTestPolicy,
  changeEvidence,
  type LevelEvidence,
  type LevelTestPolicy,
  levelEvidence,
} from "./source-judgement.js";

/**
 * Feedback poisoning: a label source (annotation vendor, user-report pipeline, data import) whose
 * labels disagree with the model's confident predictions, or with the other sources labelling the
 * same requests, more often than it used to while the others did not (a change), or far more often
 * than the rest from its start (a level). Honest sources disagree sometimes (the model is not
 * perfect, annotators err); a flipping source disagrees systematically.
 *
 * A label is compared with the request's first label from another source, in the later source's
 * stream; the model's count holds each comparison once, and a source's "others" are the comparisons
 * it took no part in (neither as the later nor as the first labeller), so that a flipper's change
 * does not leak into the baseline it is judged against.
 */
export type PoisoningBasis = "confident_predictions" | "other_sources";

export interface PoisoningPolicy extends LevelTestPolicy, ChangeTestPolicy, HistoryShape {
  /** A source without labels (or comparisons) for this long is forgotten. */
  sourceTtlMs: number;
  /** Sources remembered per model; the least recently seen one is forgotten for a new one. */
  maxSources: number;
}

/** The fixed parts of the policy (the configurable ones come from the service configuration). */
export const POISONING_POLICY_DEFAULTS = {
  blockLabels: 16,
  recentBlocks: 12,
  maxReference: 5_000,
  minWindow: 16,
  minOthers: 30,
  referenceMargin: 2,
  maxSources: 500,
} as const;

export interface SourceHistory {
  /** Wall-clock time (ms) the source last labelled or was compared with. */
  lastSeen: number;
  confident: DisagreementHistory;
  cross: DisagreementHistory;
  /** Bases it was flagged on (once each while it is remembered). */
  alarmed: PoisoningBasis[];
}

export interface FeedbackState {
  /** Every comparison of the model on each basis (a comparison of two sources once). */
  confident: ModelCounts;
  cross: ModelCounts;
  sources: Record<string, SourceHistory>;
}

export function emptyFeedbackState(): FeedbackState {
  return { confident: { n: 0, k: 0 }, cross: { n: 0, k: 0 }, sources: {} };
}

/** A label with what was stored about its request before the batch. */
export interface LabelToJudge {
  source: string;
  label: string;
  requestId: string;
  /** Event time (ms). */
  at: number;
  /** The model's confident prediction for the request, if it made one. */
  confidentLabel: string | undefined;
  /** The first label the request got (from any source), if it had one. */
  firstLabel: FirstLabel | undefined;
}

export interface FirstLabel {
  source: string;
  label: string;
}

export type PoisoningAlarm = {
  source: string;
  basis: PoisoningBasis;
  /** Event time (ms) of the label whose comparison raised it. */
  at: number;
  /** Labels of the source on the basis so far (with the source, names the alarm). */
  sourceLabels: number;
} & ({ test: "change"; evidence: ChangeEvidence } | { test: "level"; evidence: LevelEvidence });

export interface FeedbackPlan {
  state: FeedbackState;
  /** Sources whose state changed (to store). */
  touched: string[];
  /** Sources forgotten (silent beyond the TTL, or pushed out by newer ones). */
  forgotten: string[];
  /** Requests labelled for the first time in this batch (to store if nobody stored one meanwhile). */
  firstLabels: (FirstLabel & { requestId: string })[];
  alarms: PoisoningAlarm[];
}

/**
 * One batch of a model's labels, in order: each is compared with the model's confident prediction
 * and with the request's first label from another source, the comparisons go into the sources'
 * streams, and every stream that moved is judged (change test first, then level test) unless it
 * already raised its alarm. `now` is the wall clock (source expiry); label times come from the labels.
 */
export function planFeedback(
  before: FeedbackState,
  labels: LabelToJudge[],
  policy: PoisoningPolicy,
  now: number,
): FeedbackPlan {
  // Copy on write: only the sources this batch touches are cloned (a model may remember hundreds).
  const state: FeedbackState = {
    confident: { ...before.confident },
    cross: { ...before.cross },
    sources: { ...before.sources },
  };
  const forgotten = new Set<string>();
  for (const [source, history] of Object.entries(state.sources))
    if (now - history.lastSeen > policy.sourceTtlMs) {
      delete state.sources[source];
      forgotten.add(source);
    }
  const touched = new Set<string>();
  const alarms: PoisoningAlarm[] = [];
  const firstLabels = new Map<string, FirstLabel>();

  const historyOf = (source: string, at: number): SourceHistory => {
    let history = state.sources[source];
    if (history && !touched.has(source)) {
      history = structuredClone(history);
      state.sources[source] = history;
    }
    if (!history) {
      if (Object.keys(state.sources).length >= policy.maxSources) forgetLeastRecent(state, forgotten);
      history = { lastSeen: now, confident: emptyHistory(at), cross: emptyHistory(at), alarmed: [] };
      state.sources[source] = history;
      forgotten.delete(source);
    }
    history.lastSeen = now;
    touched.add(source);
    return history;
  };
  const judge = (source: string, history: SourceHistory, basis: PoisoningBasis, at: number) => {
    if (history.alarmed.includes(basis)) return;
    const stream = basis === "confident_predictions" ? history.confident : history.cross;
    const model = basis === "confident_predictions" ? state.confident : state.cross;
    const change = changeEvidence(stream, model, policy);
    const level = change ? undefined : levelEvidence(stream, model, policy);
    const common = { source, basis, at, sourceLabels: stream.labels };
    if (change) alarms.push({ ...common, test: "change", evidence: change });
    else if (level) alarms.push({ ...common, test: "level", evidence: level });
    else return;
    history.alarmed.push(basis);
  };

  for (const item of labels) {
    const history = historyOf(item.source, item.at);
    if (item.confidentLabel !== undefined) {
      const disagreed = item.confidentLabel !== item.label;
      recordDisagreement(history.confident, disagreed, item.at, state.confident, policy);
      count(state.confident, disagreed);
      judge(item.source, history, "confident_predictions", item.at);
    }
    const first = firstLabels.get(item.requestId) ?? item.firstLabel;
    if (!first) {
      firstLabels.set(item.requestId, { source: item.source, label: item.label });
    } else if (first.source !== item.source) {
      const disagreed = first.label !== item.label;
      const partner = historyOf(first.source, item.at);
      recordDisagreement(history.cross, disagreed, item.at, state.cross, policy);
      recordAsPartner(partner.cross, disagreed, item.at, state.cross, policy);
      count(state.cross, disagreed);
      judge(item.source, history, "other_sources", item.at);
    }
  }
  return {
    state,
    touched: [...touched].filter((source) => state.sources[source]),
    forgotten: [...forgotten],
    firstLabels: [...firstLabels].map(([requestId, first]) => ({ requestId, ...first })),
    alarms,
  };
}

function count(model: ModelCounts, disagreed: boolean): void {
  model.n++;
  if (disagreed) model.k++;
}

function forgetLeastRecent(state: FeedbackState, forgotten: Set<string>): void {
  let oldest: string | undefined;
  for (const [source, history] of Object.entries(state.sources))
    if (oldest === undefined || history.lastSeen < (state.sources[oldest] as SourceHistory).lastSeen)
      oldest = source;
  if (oldest === undefined) return;
  delete state.sources[oldest];
  forgotten.add(oldest);
}
