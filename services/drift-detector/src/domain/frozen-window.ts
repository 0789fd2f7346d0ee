import { CategoryCounter, DDSketch } from "@argus/stats";
import {
  type BaselineProfile,
  type CategoricalProfile,
  categoryCapacity,
  type FeatureProfile,
  type NumericProfile,
  sketchAccuracy,
} from "./baseline-profile.js";
import { Distribution } from "./distribution.js";
import { type ObservedFeature, observedCount, type WindowState } from "./window-state.js";

/**
 * A baseline made from an evaluated window of live traffic ("this week was normal: compare with
 * it"). It has the window's sketches and counts; it has no exact values (the window never kept
 * any) and no multivariate model (a window keeps no covariance), which the report then omits.
 */
export function profileFromWindow(modelId: string, state: WindowState): BaselineProfile {
  const features: Record<string, FeatureProfile> = {};
  for (const [name, observed] of [...state.features].sort(([a], [b]) => (a < b ? -1 : 1))) {
    features[name] = featureProfile(observed, state.events);
  }
  const prediction =
    observedCount(state.prediction) > 0 ? featureProfile(state.prediction, state.events) : undefined;
  const confidence =
    state.confidence.buckets.size > 0 ? numericProfile(state.confidence, state.events) : undefined;
  return {
    modelId,
    rowCount: state.events,
    features,
    ...(prediction ? { prediction } : {}),
    ...(confidence ? { confidence } : {}),
  };
}

function featureProfile(observed: ObservedFeature, events: number): FeatureProfile {
  return observed.categories.size > 0
    ? categoricalProfile(observed, events)
    : numericProfile(observed, events);
}

function numericProfile(observed: ObservedFeature, events: number): NumericProfile {
  const distribution = Distribution.fromBuckets(observed.buckets);
  const sketch = new DDSketch({ relativeAccuracy: sketchAccuracy });
  let sumSquares = 0;
  const mean = distribution.mean();
  for (let i = 0; i < distribution.values.length; i++) {
    const value = distribution.values[i] as number;
    const count = distribution.counts[i] as number;
    // A bucket's representative value falls in the same bucket, so the sketch is the window's.
    sketch.add(value, count);
    sumSquares += count * (value - mean) ** 2;
  }
  const n = distribution.total;
  return {
    type: "numeric",
    count: n,
    missing: Math.max(events - n, 0),
    sketch: sketch.toJSON(),
    mean: n > 0 ? mean : 0,
    std: n > 0 ? Math.sqrt(sumSquares / n) : 0,
    min: n > 0 ? sketch.min : 0,
    max: n > 0 ? sketch.max : 0,
  };
}

function categoricalProfile(observed: ObservedFeature, events: number): CategoricalProfile {
  const counter = new CategoryCounter(categoryCapacity);
  for (const [category, count] of observed.categories) counter.add(category, count);
  const json = counter.toJSON();
  const count = observedCount(observed);
  return { type: "categorical", count, missing: Math.max(events - count, 0), counter: json };
}
