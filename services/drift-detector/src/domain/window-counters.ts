import type { InferenceEventColumns } from "@argus/proto";
import { DDSketch } from "@argus/stats";
import { sketchAccuracy } from "./baseline-profile.js";
import { BucketCounts } from "./bucket-counts.js";
import { type PcaModel, reconstructionErrorOfAligned } from "./pca.js";
import { windowStartOf } from "./windows.js";

/**
 * A window's state is integer counters only (plus exact extremes), so replicas add into it in any
 * order and the result is identical: numeric values as DDSketch bucket counts (α = 1 %), categories
 * as counts, missing values as counts, sums as fixed-point integers.
 *
 * Field names (names URI-encoded): `n` events; per feature `f:<name>:d:<bucket>` sketch buckets
 * (`p<k>`, `n<k>`, `z`; in the delta as `sketches`, the field names made by the store's script),
 * `f:<name>:c:<category>` categories; `p:…` the prediction (same layout),
 * `s:…` the confidence sketch; `mv:n`, `mv:sum`, `mv:bv` the reconstruction error.
 */
export interface WindowDelta {
  modelId: string;
  tenant: string;
  windowStart: number;
  /** `n`, categories, `mv:*`: field → count to add. */
  counters: Map<string, number>;
  /** Numeric prefix → its sketch bucket counts: fields `<prefix>:d:p<key>`, `…:d:n<key>`, `…:d:z`. */
  sketches: Map<string, SketchDelta>;
  /** Field prefix → [min, max] of the values added (exact, merged with min/max). */
  extremes: Map<string, [number, number]>;
  /** Baseline version whose PCA model produced `mv:*`, when any. */
  pcaBaselineVersion?: number;
}

/** Bucket counts as flat `key, count, key, count, …` lists: no field name is built per bucket. */
export interface SketchDelta {
  positive: number[];
  negative: number[];
  zero: number;
}

/** Every field the delta adds to, with its count: what the window's hash gains. */
export function* deltaFields(delta: WindowDelta): Generator<[string, number]> {
  yield* delta.counters;
  for (const [prefix, sketch] of delta.sketches) {
    for (let i = 0; i < sketch.positive.length; i += 2)
      yield [`${prefix}:d:p${sketch.positive[i]}`, sketch.positive[i + 1] as number];
    for (let i = 0; i < sketch.negative.length; i += 2)
      yield [`${prefix}:d:n${sketch.negative[i]}`, sketch.negative[i + 1] as number];
    if (sketch.zero > 0) yield [`${prefix}:d:z`, sketch.zero];
  }
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
class NumericAccumulator {
  readonly positive = new BucketCounts();
  readonly negative = new BucketCounts();
  zero = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(value: number): void {
    if (value > 0) this.positive.add(mapper.key(value));
    else if (value < 0) this.negative.add(mapper.key(value));
    else this.zero++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.count++;
  }
}

interface Accumulating {
  delta: WindowDelta;
  numeric: Map<string, NumericAccumulator>;
  /** The names array of the last event added and its accumulators by position: most events share it. */
  layout: readonly string[] | undefined;
  layoutAccumulators: NumericAccumulator[];
  /** Positions of the PCA model's features in `layout` (−1: absent), and the values lined up. */
  pcaModel: PcaModel | undefined;
  pcaPositions: Int32Array;
  pcaAligned: Float64Array;
}

/** Adds a batch of events to per-(model, window) deltas. Events without a usable time are skipped by the caller. */
export function accumulateWindows(
  events: readonly InferenceEventColumns[],
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
  let last: Accumulating | undefined;
  for (const event of events) {
    const windowStart = windowStartOf(event.eventTimeMs, windowMsOf(event.modelId));
    // Consecutive events mostly share their model and window: skip the lookup then.
    let entry = last;
    if (
      entry === undefined ||
      entry.delta.modelId !== event.modelId ||
      entry.delta.windowStart !== windowStart
    ) {
      const id = `${event.modelId}\u0000${windowStart}`;
      entry = open.get(id);
      if (!entry) {
        entry = {
          delta: {
            modelId: event.modelId,
            tenant: event.tenant,
            windowStart,
            counters: new Map(),
            sketches: new Map(),
            extremes: new Map(),
          },
          numeric: new Map(),
          layout: undefined,
          layoutAccumulators: [],
          pcaModel: undefined,
          pcaPositions: new Int32Array(0),
          pcaAligned: new Float64Array(0),
        };
        open.set(id, entry);
      }
      last = entry;
    }
    addEvent(entry, event, pcaOf(event.modelId), fieldOf);
  }
  const deltas = new Map<string, WindowDelta>();
  for (const [id, { delta, numeric }] of open) {
    for (const [prefix, values] of numeric) {
      if (values.count === 0) continue;
      const positive: number[] = [];
      const negative: number[] = [];
      values.positive.eachCount((key, count) => {
        positive.push(key, count);
      });
      values.negative.eachCount((key, count) => {
        negative.push(key, count);
      });
      delta.sketches.set(prefix, { positive, negative, zero: values.zero });
      delta.extremes.set(prefix, [values.min, values.max]);
    }
    deltas.set(id, delta);
  }
  return deltas;
}

function addEvent(
  entry: Accumulating,
  event: InferenceEventColumns,
  pca: PcaContext | undefined,
  fieldOf: (name: string) => string,
): void {
  const delta = entry.delta;
  increment(delta, "n", 1);
  if (event.numberNames !== entry.layout) useLayout(entry, event.numberNames, fieldOf);
  const accumulators = entry.layoutAccumulators;
  const values = event.numberValues;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    // A value that is not finite is missing: missing = n − values counted.
    if (Number.isFinite(value)) (accumulators[i] as NumericAccumulator).add(value);
  }
  for (const [name, { kind }] of event.otherFeatures) {
    if (kind?.$case === "category") {
      increment(delta, categoryField(fieldOf(name), kind.value), 1);
    } else if (kind?.$case === "text") {
      // Raw text is never kept: its length in code points is the drift signal.
      accumulatorOf(entry, fieldOf(`${name}.length`)).add([...kind.value].length);
    }
  }
  const output = event.output?.kind;
  if (output?.$case === "classification") {
    increment(delta, categoryField("p", output.value.label), 1);
    let highest = Number.NEGATIVE_INFINITY;
    for (const label in output.value.scores)
      highest = Math.max(highest, output.value.scores[label] as number);
    if (highest > Number.NEGATIVE_INFINITY) accumulatorOf(entry, "s").add(highest);
  } else if (output?.$case === "regression" && Number.isFinite(output.value)) {
    accumulatorOf(entry, "p").add(output.value);
  } else if (output?.$case === "generatedText") {
    accumulatorOf(entry, "p").add([...output.value].length);
  }
  if (pca) {
    increment(delta, "mv:n", 1);
    if (entry.pcaModel !== pca.model) alignPca(entry, pca.model);
    const aligned = entry.pcaAligned;
    const positions = entry.pcaPositions;
    for (let j = 0; j < positions.length; j++) {
      const at = positions[j] as number;
      aligned[j] = at < 0 ? Number.NaN : (values[at] as number);
    }
    increment(
      delta,
      "mv:sum",
      Math.round(reconstructionErrorOfAligned(pca.model, aligned) * fixedPointScale),
    );
    delta.pcaBaselineVersion = pca.baselineVersion;
  }
}

/** Points the entry's per-position accumulators (and PCA positions) at a new names array. */
function useLayout(entry: Accumulating, layout: readonly string[], fieldOf: (name: string) => string): void {
  entry.layout = layout;
  entry.layoutAccumulators = layout.map((name) => accumulatorOf(entry, fieldOf(name)));
  if (entry.pcaModel !== undefined) alignPca(entry, entry.pcaModel);
}

function alignPca(entry: Accumulating, model: PcaModel): void {
  const positionOf = new Map((entry.layout ?? []).map((name, i) => [name, i]));
  entry.pcaModel = model;
  entry.pcaPositions = Int32Array.from(model.features, (name) => positionOf.get(name) ?? -1);
  entry.pcaAligned = new Float64Array(model.features.length);
}

function accumulatorOf(entry: Accumulating, prefix: string): NumericAccumulator {
  let values = entry.numeric.get(prefix);
  if (!values) {
    values = new NumericAccumulator();
    entry.numeric.set(prefix, values);
  }
  return values;
}

function increment(delta: WindowDelta, field: string, by: number): void {
  delta.counters.set(field, (delta.counters.get(field) ?? 0) + by);
}
