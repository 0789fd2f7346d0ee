import { Distribution } from "./distribution.js";
import { packedField, unpackWindow } from "./window-compaction.js";
import { fixedPointScale } from "./window-counters.js";

export interface ObservedFeature {
  buckets: Map<string, number>;
  categories: Map<string, number>;
}

/** A closed window's counters, parsed back into per-feature distributions. */
export interface WindowState {
  events: number;
  late: number;
  features: Map<string, ObservedFeature>;
  prediction: ObservedFeature;
  confidence: ObservedFeature;
  reconstruction?: {
    rows: number;
    meanError: number;
    baselineVersion: number | undefined;
    mixedBaselines: boolean;
  };
}

const empty = (): ObservedFeature => ({ buckets: new Map(), categories: new Map() });

/** Reads the hash written by the window store (see window-counters.ts for the layout). */
export function parseWindowState(hash: Record<string, string>): WindowState {
  const state: WindowState = {
    events: Number(hash.n ?? 0),
    late: Number(hash.late ?? 0),
    features: new Map(),
    prediction: empty(),
    confidence: empty(),
  };
  const featureOf = (encodedName: string): ObservedFeature => {
    const name = decodeURIComponent(encodedName);
    const feature = state.features.get(name) ?? empty();
    state.features.set(name, feature);
    return feature;
  };
  for (const [field, raw] of Object.entries(hash)) {
    const parts = field.split(":");
    if (field === packedField) continue;
    const count = Number(raw);
    let target: ObservedFeature | undefined;
    let rest: string[];
    if (parts[0] === "f" && parts.length === 4) {
      target = featureOf(parts[1] as string);
      rest = parts.slice(2);
    } else if ((parts[0] === "p" || parts[0] === "s") && parts.length === 3) {
      target = parts[0] === "p" ? state.prediction : state.confidence;
      rest = parts.slice(1);
    } else {
      continue;
    }
    if (rest[0] === "d")
      target.buckets.set(rest[1] as string, (target.buckets.get(rest[1] as string) ?? 0) + count);
    else if (rest[0] === "c") target.categories.set(decodeURIComponent(rest[1] as string), count);
  }
  // A closed window's sketches packed into one field (window-compaction.ts).
  const packed = hash[packedField];
  if (packed !== undefined) {
    for (const [prefix, buckets] of unpackWindow(packed).sketches) {
      const target =
        prefix === "p" ? state.prediction : prefix === "s" ? state.confidence : featureOf(prefix.slice(2));
      for (const [bucket, count] of buckets)
        target.buckets.set(bucket, (target.buckets.get(bucket) ?? 0) + count);
    }
  }
  const rows = Number(hash["mv:n"] ?? 0);
  if (rows > 0) {
    state.reconstruction = {
      rows,
      meanError: Number(hash["mv:sum"] ?? 0) / fixedPointScale / rows,
      baselineVersion: hash["mv:bv"] === undefined ? undefined : Number(hash["mv:bv"]),
      mixedBaselines: hash["mv:mixed"] !== undefined,
    };
  }
  return state;
}

export function observedDistribution(feature: ObservedFeature): Distribution {
  return Distribution.fromBuckets(feature.buckets);
}

export function observedCount(feature: ObservedFeature): number {
  let total = 0;
  for (const count of feature.buckets.values()) total += count;
  for (const count of feature.categories.values()) total += count;
  return total;
}
