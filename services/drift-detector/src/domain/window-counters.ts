import type { InferenceEvent } from "@argus/proto";
import { DDSketch } from "@argus/stats";
import { sketchAccuracy } from "./baseline-profile.js";
import { type PcaModel, reconstructionError } from "./pca.js";
import { windowStartOf } from "./windows.js";

/**
 * A window's state is integer counters only (plus exact extremes), so replicas add into it in any
 * order and the result is identical: numeric values as DDSketch bucket counts (α = 1 %), categories
 * as counts, missing values as counts, sums as fixed-point integers.
 *
 * Field names (names URI-encoded): `n` events; per feature `f:<name>:d:<bucket>` sketch buckets
 * (`p<k>`, `n<k>`, `z`), `f:<name>:c:<category>` categories; `p:…` the prediction (same layout),
 * `s:…` the confidence sketch; `mv:n`, `mv:sum`, `mv:bv` the reconstruction error.
 */
export interface WindowDelta {
  modelId: string;
  tenant: string;
  windowStart: number;
  counters: Map<string, number>;
  /** Field prefix → [min, max] of the values added (exact, merged with min/max). */
  extremes: Map<string, [number, number]>;
  /** Baseline version whose PCA model produced `mv:*`, when any. */
  pcaBaselineVersion?: number;
}

/** Fixed-point scale of the `mv:sum` counter: 1e-6 resolution, integer adds stay exact and associative. */
export const fixedPointScale = 1_000_000;

const mapper = new DDSketch({ relativeAccuracy: sketchAccuracy });

/** Names are URI-encoded so that a ':' in a feature or category name cannot break the field layout. */
export function featureField(name: string): string {
  return `f:${encodeURIComponent(name)}`;
}

export function categoryField(prefix: string, category: string): string {
  return `${prefix}:c:${encodeURIComponent(category)}`;
}

export function bucketOf(value: number): string {
  if (value === 0) return "z";
  return value > 0 ? `p${mapper.key(value)}` : `n${mapper.key(value)}`;
}

export interface PcaContext {
  model: PcaModel;
  baselineVersion: number;
}

/** Adds a batch of events to per-(model, window) deltas. Events without a usable time are skipped by the caller. */
export function accumulateWindows(
  events: InferenceEvent[],
  windowMsOf: (modelId: string) => number,
  pcaOf: (modelId: string) => PcaContext | undefined,
): Map<string, WindowDelta> {
  const deltas = new Map<string, WindowDelta>();
  for (const event of events) {
    const windowStart = windowStartOf((event.eventTime as Date).getTime(), windowMsOf(event.modelId));
    const id = `${event.modelId}\u0000${windowStart}`;
    let delta = deltas.get(id);
    if (!delta) {
      delta = {
        modelId: event.modelId,
        tenant: event.tenant,
        windowStart,
        counters: new Map(),
        extremes: new Map(),
      };
      deltas.set(id, delta);
    }
    addEvent(delta, event, pcaOf(event.modelId));
  }
  return deltas;
}

function addEvent(delta: WindowDelta, event: InferenceEvent, pca: PcaContext | undefined): void {
  increment(delta, "n", 1);
  const numeric: Record<string, number | undefined> = {};
  for (const [name, value] of Object.entries(event.features)) {
    const kind = value.kind;
    // A feature that is absent, unset or not finite is missing: missing = n − values counted.
    if (kind?.$case === "number" && Number.isFinite(kind.value)) {
      addNumber(delta, featureField(name), kind.value);
      numeric[name] = kind.value;
    } else if (kind?.$case === "category") {
      increment(delta, categoryField(featureField(name), kind.value), 1);
    } else if (kind?.$case === "text") {
      // Raw text is never kept: its length in code points is the drift signal.
      addNumber(delta, featureField(`${name}.length`), [...kind.value].length);
    }
  }
  const output = event.output?.kind;
  if (output?.$case === "classification") {
    increment(delta, categoryField("p", output.value.label), 1);
    const scores = Object.values(output.value.scores);
    if (scores.length > 0) addNumber(delta, "s", Math.max(...scores));
  } else if (output?.$case === "regression" && Number.isFinite(output.value)) {
    addNumber(delta, "p", output.value);
  } else if (output?.$case === "generatedText") {
    addNumber(delta, "p", [...output.value].length);
  }
  if (pca) {
    increment(delta, "mv:n", 1);
    increment(delta, "mv:sum", Math.round(reconstructionError(pca.model, numeric) * fixedPointScale));
    delta.pcaBaselineVersion = pca.baselineVersion;
  }
}

function addNumber(delta: WindowDelta, prefix: string, value: number): void {
  increment(delta, `${prefix}:d:${bucketOf(value)}`, 1);
  const extremes = delta.extremes.get(prefix);
  if (!extremes) delta.extremes.set(prefix, [value, value]);
  else {
    if (value < extremes[0]) extremes[0] = value;
    if (value > extremes[1]) extremes[1] = value;
  }
}

function increment(delta: WindowDelta, field: string, by: number): void {
  delta.counters.set(field, (delta.counters.get(field) ?? 0) + by);
}
