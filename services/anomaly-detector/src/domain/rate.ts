// A client's request rate judged relative to the model's population of clients (not a fixed limit).
//
// A client is rate-abusive when its recent rate (the last `recentBuckets` buckets, 30 s by default,
// so a burst shows within 30 s of event time) is above ALL of:
//   - the absolute floor (`floorPerMin`: nobody is flagged below it),
//   - `kMedian` × the population's median client rate (the merged population summary),
//   - the population's high-quantile client rate (`PopulationCalibration.rate.highPerMin`),
//   - `kSelf` × the client's own long-run rate: an EWMA of its closed buckets with a long half-life,
//     so a service account that has always been heavy is compared with itself, and a diurnal swing
//     that lifts everyone lifts the median and the client's own rate alike.
// and always when it is above the absolute cap. Magnitude alone is not enough at low rates: a client
// whose usual rate is one request a minute sends 6 in 30 s now and then by chance, so the recent count
// must also be significant (Poisson tail, Chernoff bound, at least `surprise` nats) against the larger
// of the population median and the client's own long-run rate. A new client's long-run rate starts from the
// population median with the weight of `priorMs` of history (without a calibrated population it
// starts from nothing: its own first buckets). Until the population is calibrated only the fixed
// `fallbackLimitPerMin` applies (the former absolute limit).

/** Per-client rate state: recent bucket counts and the long-run EWMA. Plain JSON, ~60 bytes. */
export interface RelativeRateState {
  /** Start (ms) of the newest bucket (0 before the first request). */
  h: number;
  /** Counts of the last `recentBuckets` buckets, newest first. */
  c: number[];
  /** Long-run EWMA as weighted sums over closed buckets: rate sum (requests/min) and weight. */
  s: number;
  w: number;
}

export interface RelativeRatePolicy {
  bucketMs: number;
  /** Buckets of the recent rate (the newest, possibly partial, included). */
  recentBuckets: number;
  /** Half-life of the long-run rate. */
  halfLifeMs: number;
  /** Weight of the population median in a new client's long-run rate, as history length. */
  priorMs: number;
  kMedian: number;
  kSelf: number;
  floorPerMin: number;
  capPerMin: number;
  /** −ln of the Poisson tail probability the recent count must reach (16.1 ≈ 1e-7: hundreds of clients, thousands of windows a day). */
  surprise: number;
  /** The only limit while the population is not calibrated. */
  fallbackLimitPerMin: number;
}

export const DEFAULT_RELATIVE_RATE_POLICY: RelativeRatePolicy = {
  bucketMs: 5_000,
  recentBuckets: 6,
  halfLifeMs: 60 * 60_000,
  priorMs: 10 * 60_000,
  kMedian: 8,
  kSelf: 5,
  floorPerMin: 6,
  capPerMin: 6_000,
  surprise: Math.log(1e7),
  fallbackLimitPerMin: 600,
};

/** `PopulationCalibration.rate`: the model's client rates. */
export interface RateCalibration {
  /** False while too few clients are sampled: then only the fallback limit applies. */
  calibrated: boolean;
  medianPerMin: number;
  highPerMin: number;
}

export interface RelativeRateObservation {
  state: RelativeRateState;
  /** Requests per minute over the recent buckets. */
  recentPerMin: number;
  /** The client's long-run rate (requests per minute) before this bucket. */
  longRunPerMin: number;
  abusive: boolean;
  /** Which rule flagged it. */
  reason?: "cap" | "population" | "fallback";
  /** The threshold the recent rate exceeded (requests per minute). */
  thresholdPerMin: number;
  /** −ln of the chance of the recent count at the client's expected rate. */
  surprise: number;
}

export function emptyRelativeRate(): RelativeRateState {
  return { h: 0, c: [], s: 0, w: 0 };
}

/** Counts one request of a client at event time `atMs` and judges its recent rate. Pure. */
export function observeRelativeRate(
  state: RelativeRateState,
  atMs: number,
  calibration: RateCalibration,
  policy: RelativeRatePolicy = DEFAULT_RELATIVE_RATE_POLICY,
): RelativeRateObservation {
  const bucket = Math.floor(atMs / policy.bucketMs) * policy.bucketMs;
  const decay = 0.5 ** (policy.bucketMs / policy.halfLifeMs);
  let { h, c, s, w } = state;
  if (c.length === 0) {
    // A new client: the population median as prior history, when there is a population.
    h = bucket;
    c = [0];
    const prior = calibration.calibrated ? policy.priorMs / policy.bucketMs : 0;
    w = prior;
    s = prior * calibration.medianPerMin;
  } else if (bucket > h) {
    // Close the newest bucket and fold it, then the empty ones in between, into the EWMA.
    const perMin = 60_000 / policy.bucketMs;
    s = s * decay + (c[0] as number) * perMin;
    w = w * decay + 1;
    const empty = (bucket - h) / policy.bucketMs - 1;
    if (empty > 0) {
      const d = decay ** empty;
      s *= d;
      w = w * d + (1 - d) / (1 - decay);
    }
    const shift = Math.min((bucket - h) / policy.bucketMs, policy.recentBuckets);
    c = [...new Array<number>(shift).fill(0), ...c].slice(0, policy.recentBuckets);
    h = bucket;
  }
  const index = (h - bucket) / policy.bucketMs;
  if (index < policy.recentBuckets) c = c.map((count, i) => (i === index ? count + 1 : count));
  const next: RelativeRateState = { h, c, s, w };
  const windowStart = h - (policy.recentBuckets - 1) * policy.bucketMs;
  const spanMs = Math.max(policy.bucketMs, atMs - windowStart);
  const recentPerMin = (sum(c) * 60_000) / spanMs;
  const longRunPerMin = w > 0 ? s / w : 0;
  const expectedPerMin = Math.max(calibration.calibrated ? calibration.medianPerMin : 0, longRunPerMin);
  const surprise = poissonSurprise(sum(c), (expectedPerMin * spanMs) / 60_000);
  const verdict = judgeRate(recentPerMin, longRunPerMin, surprise, calibration, policy);
  return { state: next, recentPerMin, longRunPerMin, surprise, ...verdict };
}

function judgeRate(
  recent: number,
  longRun: number,
  surprise: number,
  calibration: RateCalibration,
  policy: RelativeRatePolicy,
): { abusive: boolean; reason?: "cap" | "population" | "fallback"; thresholdPerMin: number } {
  if (recent >= policy.capPerMin) return { abusive: true, reason: "cap", thresholdPerMin: policy.capPerMin };
  if (!calibration.calibrated) {
    const limit = Math.max(policy.floorPerMin, policy.fallbackLimitPerMin);
    return recent > limit
      ? { abusive: true, reason: "fallback", thresholdPerMin: limit }
      : { abusive: false, thresholdPerMin: limit };
  }
  const threshold = Math.max(
    policy.floorPerMin,
    policy.kMedian * calibration.medianPerMin,
    calibration.highPerMin,
    longRun > 0 ? policy.kSelf * longRun : 0,
  );
  return recent > threshold && surprise >= policy.surprise
    ? { abusive: true, reason: "population", thresholdPerMin: threshold }
    : { abusive: false, thresholdPerMin: threshold };
}

/** The client's long-run rate (requests per minute) for its population snapshot. */
export function relativeRateSnapshot(
  state: RelativeRateState,
  policy: RelativeRatePolicy = DEFAULT_RELATIVE_RATE_POLICY,
): number {
  if (state.w > 0) return state.s / state.w;
  // Nothing closed yet (a client new before the population existed): its requests over the recent span.
  return (sum(state.c) * 60_000) / (policy.recentBuckets * policy.bucketMs);
}

/** −ln P(X ≥ count) for X ~ Poisson(expected), by the Chernoff bound (0 when count ≤ expected). */
export function poissonSurprise(count: number, expected: number): number {
  if (count <= expected) return 0;
  if (expected <= 0) return Number.POSITIVE_INFINITY;
  return count * Math.log(count / expected) - count + expected;
}

function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
