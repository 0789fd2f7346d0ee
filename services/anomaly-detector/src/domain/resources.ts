import { DDSketch, type DDSketchJSON } from "@argus/stats";

/**
 * Resource-abuse baseline of one model: the distribution of latency and output tokens of its
 * traffic. A request far above it is a sponge candidate (Shumailov et al. 2021: inputs crafted to
 * maximise energy and latency). Each partition keeps its part as quantile sketches, which merge
 * exactly, so the baseline is the model's whole traffic whatever the partition count; robust
 * quantiles (median, IQR, a high quantile) are what one extreme value cannot move.
 */
export interface ResourcePart {
  latency?: DDSketchJSON;
  tokens?: DDSketchJSON;
}

export interface ResourcePolicy {
  /** Observations (model-wide) before the baseline is trusted. */
  warmup: number;
  /** Robust standard deviations (IQR / 1.349) above the median that make an outlier. */
  zThreshold: number;
  /** And at least this multiple of the median, so tight baselines do not flag trivial excess. */
  minRatio: number;
  /** And above this quantile of the model's traffic (a heavy but normal tail is not abuse). */
  tailQuantile: number;
}

export interface ResourceVerdict {
  latencyOutlier: boolean;
  tokensOutlier: boolean;
  latencyZ: number;
  tokensZ: number;
}

const noVerdict: ResourceVerdict = { latencyOutlier: false, tokensOutlier: false, latencyZ: 0, tokensZ: 0 };

/** Values Argus believes: finite, not negative, and not absurd (a day of latency, a billion tokens). */
const maxLatencyMs = 86_400_000;
const maxTokens = 1e9;

function plausible(value: number, max: number): boolean {
  return Number.isFinite(value) && value >= 0 && value <= max;
}

/** The limits a value is judged against, fixed from the merged sketches for a batch. */
export interface ResourceLimits {
  n: number;
  latency: Limit;
  tokens: Limit;
}

interface Limit {
  median: number;
  spread: number;
  bound: number;
}

function limitOf(sketch: DDSketch | undefined, policy: ResourcePolicy): Limit {
  if (!sketch || sketch.count === 0) return { median: 0, spread: 0, bound: Number.POSITIVE_INFINITY };
  const median = sketch.quantile(0.5);
  const spread = (sketch.quantile(0.75) - sketch.quantile(0.25)) / 1.349;
  // A model that does not report this resource (all zeros) has no baseline to exceed.
  if (median <= 0 && spread <= 0) return { median, spread, bound: Number.POSITIVE_INFINITY };
  const bound = Math.max(
    median + policy.zThreshold * spread,
    policy.minRatio * median,
    sketch.quantile(policy.tailQuantile),
  );
  return { median, spread, bound };
}

/** Merges the partitions' parts into the limits a batch judges with. */
export function resourceLimits(parts: ResourcePart[], policy: ResourcePolicy): ResourceLimits {
  let latency: DDSketch | undefined;
  let tokens: DDSketch | undefined;
  for (const part of parts) {
    if (part.latency) latency = merged(latency, DDSketch.fromJSON(part.latency));
    if (part.tokens) tokens = merged(tokens, DDSketch.fromJSON(part.tokens));
  }
  return {
    n: latency?.count ?? 0,
    latency: limitOf(latency, policy),
    tokens: limitOf(tokens, policy),
  };
}

function zScore(limit: Limit, value: number): number {
  return limit.spread > 0 ? (value - limit.median) / limit.spread : 0;
}

function merged(into: DDSketch | undefined, sketch: DDSketch): DDSketch {
  return into ? into.mergeFrom(sketch) : sketch;
}

/** This partition's part while a batch is planned (sketches as objects, serialized once). */
export class LiveResources {
  private latency: DDSketch | undefined;
  private tokens: DDSketch | undefined;

  constructor(part: ResourcePart) {
    if (part.latency) this.latency = DDSketch.fromJSON(part.latency);
    if (part.tokens) this.tokens = DDSketch.fromJSON(part.tokens);
  }

  /** Judges one request against the limits, then folds it into this partition's part. */
  observe(
    limits: ResourceLimits,
    latencyMs: number,
    outputTokens: number,
    policy: ResourcePolicy,
  ): ResourceVerdict {
    const latencyOk = plausible(latencyMs, maxLatencyMs);
    const tokensOk = plausible(outputTokens, maxTokens);
    if (latencyOk) {
      this.latency ??= new DDSketch();
      this.latency.add(latencyMs);
    }
    if (tokensOk) {
      this.tokens ??= new DDSketch();
      this.tokens.add(outputTokens);
    }
    if (limits.n < policy.warmup) return noVerdict;
    return {
      latencyOutlier: latencyOk && latencyMs > limits.latency.bound,
      tokensOutlier: tokensOk && outputTokens > 0 && outputTokens > limits.tokens.bound,
      latencyZ: latencyOk ? zScore(limits.latency, latencyMs) : 0,
      tokensZ: tokensOk ? zScore(limits.tokens, outputTokens) : 0,
    };
  }

  /** Latencies this part holds (the baseline's warm-up counts them). */
  get count(): number {
    return this.latency?.count ?? 0;
  }

  toJSON(): ResourcePart {
    return {
      ...(this.latency ? { latency: this.latency.toJSON() } : {}),
      ...(this.tokens ? { tokens: this.tokens.toJSON() } : {}),
    };
  }
}
