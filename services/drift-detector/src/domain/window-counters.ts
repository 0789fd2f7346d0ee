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

/** Per numeric prefix while a batch is accumulated: bucket keys as numbers, strings made once at the end. */
interface NumericAccumulator {
  positive: Map<number, number>;
  negative: Map<number, number>;
  zero: number;
  min: number;
  max: number;
}

interface Accumulating {
  delta: WindowDelta;
  numeric: Map<string, NumericAccumulator>;
}

/** Adds a batch of events to per-(model, window) deltas. Events without a usable time are skipped by the caller. */
export function accumulateWindows(
  events: InferenceEvent[],
  windowMsOf: (modelId: string) => number,
  pcaOf: (modelId: string) => PcaContext | undefined,
): Map<string, WindowDelta> {
  const open = new Map<string, Accumulating>();
  // Field names are built once per batch, not once per value: this loop is the ingest hot path.
  const names = new Map<string, string>();
  const fieldOf = (name: string) => {
    let field = names.get(name);
    if (field === undefined) {
      field = featureField(name);
      names.set(name, field);
    }
    return field;
  };
  for (const event of events) {
    const windowStart = windowStartOf((event.eventTime as Date).getTime(), windowMsOf(event.modelId));
    const id = `${event.modelId}\u0000${windowStart}`;
    let entry = open.get(id);
    if (!entry) {
      entry = {
        delta: {
          modelId: event.modelId,
          tenant: event.tenant,
          windowStart,
          counters: new Map(),
          extremes: new Map(),
        },
        numeric: new Map(),
      };
      open.set(id, entry);
    }
    addEvent(entry, event, pcaOf(event.modelId), fieldOf);
  }
  const deltas = new Map<string, WindowDelta>();
  for (const [id, { delta, numeric }] of open) {
    for (const [prefix, values] of numeric) {
      for (const [key, count] of values.positive) delta.counters.set(`${prefix}:d:p${key}`, count);
      for (const [key, count] of values.negative) delta.counters.set(`${prefix}:d:n${key}`, count);
      if (values.zero > 0) delta.counters.set(`${prefix}:d:z`, values.zero);
      delta.extremes.set(prefix, [values.min, values.max]);
    }
    deltas.set(id, delta);
  }
  return deltas;
}

function addEvent(
  entry: Accumulating,
  event: InferenceEvent,
  pca: PcaContext | undefined,
  fieldOf: (name: string) => string,
): void {
  const delta = entry.delta;
  increment(delta, "n", 1);
  const numeric: Record<string, number | undefined> = {};
  for (const name in event.features) {
    const kind = (event.features[name] as InferenceEvent["features"][string]).kind;
    // A feature that is absent, unset or not finite is missing: missing = n − values counted.
    if (kind?.$case === "number" && Number.isFinite(kind.value)) {
      addNumber(entry, fieldOf(name), kind.value);
      numeric[name] = kind.value;
    } else if (kind?.$case === "category") {
      increment(delta, categoryField(fieldOf(name), kind.value), 1);
    } else if (kind?.$case === "text") {
      // Raw text is never kept: its length in code points is the drift signal.
      addNumber(entry, fieldOf(`${name}.length`), [...kind.value].length);
    }
  }
  const output = event.output?.kind;
  if (output?.$case === "classification") {
    increment(delta, categoryField("p", output.value.label), 1);
    let highest = Number.NEGATIVE_INFINITY;
    for (const label in output.value.scores)
      highest = Math.max(highest, output.value.scores[label] as number);
    if (highest > Number.NEGATIVE_INFINITY) addNumber(entry, "s", highest);
  } else if (output?.$case === "regression" && Number.isFinite(output.value)) {
    addNumber(entry, "p", output.value);
  } else if (output?.$case === "generatedText") {
    addNumber(entry, "p", [...output.value].length);
  }
  if (pca) {
    increment(delta, "mv:n", 1);
    increment(delta, "mv:sum", Math.round(reconstructionError(pca.model, numeric) * fixedPointScale));
    delta.pcaBaselineVersion = pca.baselineVersion;
  }
}

function addNumber(entry: Accumulating, prefix: string, value: number): void {
  let values = entry.numeric.get(prefix);
  if (!values) {
    values = { positive: new Map(), negative: new Map(), zero: 0, min: value, max: value };
    entry.numeric.set(prefix, values);
  }
  if (value > 0) {
    const key = mapper.key(value);
    values.positive.set(key, (values.positive.get(key) ?? 0) + 1);
  } else if (value < 0) {
    const key = mapper.key(value);
    values.negative.set(key, (values.negative.get(key) ?? 0) + 1);
  } else {
    values.zero++;
  }
  if (value < values.min) values.min = value;
  if (value > values.max) values.max = value;
}

function increment(delta: WindowDelta, field: string, by: number): void {
  delta.counters.set(field, (delta.counters.get(field) ?? 0) + by);
}
