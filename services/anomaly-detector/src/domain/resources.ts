/**
 * Resource-abuse baseline of one model (per partition, so one consumer owns it): exponentially
 * weighted mean and variance of latency and output tokens. A request far above it is a sponge
 * candidate (Shumailov et al. 2021: inputs crafted to maximise energy and latency).
 */
export interface ResourceBaseline {
  n: number;
  latency: Moments;
  tokens: Moments;
}

interface Moments {
  mean: number;
  variance: number;
}

export interface ResourcePolicy {
  /** Weight of one new observation in the EWMA. */
  alpha: number;
  /** Observations before the baseline is trusted. */
  warmup: number;
  /** Standard deviations above the mean that make an outlier. */
  zThreshold: number;
  /** And at least this multiple of the mean, so tight baselines do not flag trivial excess. */
  minRatio: number;
}

export function emptyResources(): ResourceBaseline {
  return { n: 0, latency: { mean: 0, variance: 0 }, tokens: { mean: 0, variance: 0 } };
}

export interface ResourceVerdict {
  latencyOutlier: boolean;
  tokensOutlier: boolean;
  latencyZ: number;
  tokensZ: number;
}

/**
 * Judges one request against the baseline as it was before it, then folds the request in. An
 * outlier is folded in too, but the EWMA keeps one request's weight small.
 */
export function observeResources(
  baseline: ResourceBaseline,
  latencyMs: number,
  outputTokens: number,
  policy: ResourcePolicy,
): { baseline: ResourceBaseline; verdict: ResourceVerdict } {
  const judge = (moments: Moments, value: number) => {
    const sd = Math.sqrt(moments.variance);
    const z = sd > 0 ? (value - moments.mean) / sd : 0;
    return {
      z,
      outlier: baseline.n >= policy.warmup && z > policy.zThreshold && value > policy.minRatio * moments.mean,
    };
  };
  const latency = judge(baseline.latency, latencyMs);
  const tokens = judge(baseline.tokens, outputTokens);
  const n = baseline.n + 1;
  // Until warm, a plain running mean/variance; after, the EWMA.
  const weight = n <= policy.warmup ? 1 / n : policy.alpha;
  return {
    baseline: {
      n,
      latency: update(baseline.latency, latencyMs, weight),
      tokens: update(baseline.tokens, outputTokens, weight),
    },
    verdict: {
      latencyOutlier: latency.outlier,
      tokensOutlier: tokens.outlier,
      latencyZ: latency.z,
      tokensZ: tokens.z,
    },
  };
}

function update(moments: Moments, value: number, weight: number): Moments {
  const delta = value - moments.mean;
  const mean = moments.mean + weight * delta;
  return { mean, variance: (1 - weight) * (moments.variance + weight * delta * delta) };
}
