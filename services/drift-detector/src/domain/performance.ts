import { Adwin, type AdwinJSON, PageHinkley, type PageHinkleyJSON } from "@argus/stats";

/**
 * Change detection on a model's error stream, fed as ground-truth labels arrive: ADWIN (δ = 0.002)
 * on the 0/1 error of classifications or the absolute error of regressions, Page-Hinkley (δ = 0.005,
 * λ = 50) beside it. Their state is JSON, stored per model between batches.
 */
export interface PerformanceState {
  adwin: AdwinJSON;
  pageHinkley: PageHinkleyJSON;
  /** Labels seen since the model's first label. */
  labels: number;
}

export interface LabelledOutcome {
  /** 0 or 1 for a classification (1 = wrong), |label − prediction| for a regression. */
  error: number;
  /** Identifies the label record, for deterministic finding ids and evidence. */
  ref: string;
  windowStart: number;
  /** When the label was given (the feedback's event time, ms). */
  labelledAtMs: number;
}

export interface ChangePoint {
  detector: "adwin" | "page_hinkley";
  /** Index of the label (1-based, since the model's first label) at which the change was detected. */
  labelIndex: number;
  ref: string;
  windowStart: number;
  /** When the label that showed the change was given (ms): the finding's time. */
  labelledAtMs: number;
  /** ADWIN's mean error of the window it kept after the cut (the new regime). */
  errorAfter: number;
  errorBefore: number;
}

export function newPerformanceState(): PerformanceState {
  return {
    adwin: new Adwin({ delta: 0.002 }).toJSON(),
    pageHinkley: new PageHinkley({ delta: 0.005, threshold: 50 }).toJSON(),
    labels: 0,
  };
}

/** Feeds outcomes in order; returns the new state and the change points found on the way. */
export function trackPerformance(
  state: PerformanceState,
  outcomes: LabelledOutcome[],
): { state: PerformanceState; changes: ChangePoint[]; referenceErrors: Map<number, number | null> } {
  const adwin = Adwin.fromJSON(state.adwin);
  const pageHinkley = PageHinkley.fromJSON(state.pageHinkley);
  let labels = state.labels;
  const changes: ChangePoint[] = [];
  // A window's reference: the model's error level (ADWIN's estimate) before that window's first
  // label in this batch, null when the model had no label before; the store keeps the first one a
  // window gets, so a window whose labels span batches keeps the level from before all of them.
  const referenceErrors = new Map<number, number | null>();
  for (const outcome of outcomes) {
    if (!referenceErrors.has(outcome.windowStart))
      referenceErrors.set(outcome.windowStart, labels > 0 ? adwin.estimation : null);
    labels++;
    const before = adwin.estimation;
    if (adwin.update(outcome.error)) {
      changes.push({
        detector: "adwin",
        labelIndex: labels,
        ref: outcome.ref,
        windowStart: outcome.windowStart,
        labelledAtMs: outcome.labelledAtMs,
        errorAfter: adwin.estimation,
        errorBefore: before,
      });
    }
    if (pageHinkley.update(outcome.error)) {
      changes.push({
        detector: "page_hinkley",
        labelIndex: labels,
        ref: outcome.ref,
        windowStart: outcome.windowStart,
        labelledAtMs: outcome.labelledAtMs,
        errorAfter: outcome.error,
        errorBefore: before,
      });
    }
  }
  return {
    state: { adwin: adwin.toJSON(), pageHinkley: pageHinkley.toJSON(), labels },
    changes,
    referenceErrors,
  };
}

/** The prediction kept for a request until its label arrives. */
export interface StoredPrediction {
  label?: string;
  value?: number;
  windowStart: number;
}

export function outcomeOf(
  prediction: StoredPrediction,
  truth: { label?: string; value?: number },
): number | undefined {
  if (prediction.label !== undefined && truth.label !== undefined)
    return prediction.label === truth.label ? 0 : 1;
  if (prediction.value !== undefined && truth.value !== undefined)
    return Math.abs(prediction.value - truth.value);
  return undefined;
}
