// A client's request rate judged relative to the model's population of clients (not a fixed limit).
//
// A client is rate-abusive when its recent rate (the last `recentBuckets` buckets, 30 s by default,
// so a burst shows within 30 s of event time) is above ALL of:
//   - the absolute floor (`floorPerMin`: nobody is flagged below it),
//   - `kMedian` × the population's median client rate (the merged population summary),
//   - the population's high-quantile client rate (`PopulationCalibration.rate.highPerMin`),
//   - `kSelf` × what the client's own history says its rate is (below),
// and always when it is above the absolute cap.
//
// Magnitude alone is not enough: a client whose usual rate is one request a minute sends 6 in 30 s
// now and then by chance, and a heavy client seen for one minute has no usual rate yet. So the recent
// count must also be significant (at least `surprise` nats, −ln of its tail probability) under what
// is known of the client's rate: a Gamma belief that starts as the model's population of client rates
// (its median and spread, so a new client may be any of them, heavy ones included) and is updated by
// the client's own history before the window (an EWMA with a long half-life, so a service account that
// has always been heavy is compared with itself and a diurnal swing moves the belief along). The count
// is then negative-binomial: a client with a long history is held to nearly Poisson noise around its
// own rate, a new one to the population's whole range. Until the population is calibrated only the
// fixed `fallbackLimitPerMin` applies (the former absolute limit).
import { gammaPoissonSurprise } from "@argus/stats";

/** Per-client rate state: recent bucket counts and the long-run EWMA. Plain JSON, ~60 bytes. */
export interface RelativeRateState {
  /** Start (ms) of the newest bucket (0 before the first request). */
  h: number;
  /** Counts of the last `recentBuckets` buckets, newest first (fewer for a client younger than that). */
  c: number[];
  /**
   * History before the recent buckets, as an EWMA over buckets: rate sum (requests/min) and weight
   * (buckets). States written before history excluded the recent buckets differ only in that.
   */
  s: number;
  w: number;
}

export interface RelativeRatePolicy {
  bucketMs: number;
  /** Buckets of the recent rate (the newest, possibly partial, included). */
  recentBuckets: number;
  /** Half-life of the long-run rate. */
  halfLifeMs: number;
  kMedian: number;
  kSelf: number;
  floorPerMin: number;
  capPerMin: number;
  /** −ln of the tail probability the recent count must reach (16.1 ≈ 1e-7: hundreds of clients, thousands of windows a day). */
  surprise: number;
  /** The only limit while the population is not calibrated. */
  fallbackLimitPerMin: number;
}

export const DEFAULT_RELATIVE_RATE_POLICY: RelativeRatePolicy = {
  bucketMs: 5_000,
  recentBuckets: 6,
  halfLifeMs: 60 * 60_000,
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
  /** σ of ln(rate) across the model's clients. */
  logSpread: number;
}

export interface RelativeRateObservation {
  state: RelativeRateState;
  /** Requests per minute over the recent buckets. */
  recentPerMin: number;
  /** The client's expected rate (requests per minute) from its history before the recent buckets. */
  longRunPerMin: number;
  abusive: boolean;
  /** Which rule flagged it. */
  reason?: "cap" | "population" | "fallback";
  /** The threshold the recent rate exceeded (requests per minute). */
  thresholdPerMin: number;
  /** −ln of the chance of the recent count given what is known of the client's rate (0 when not judged). */
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
  const next = advance(state, atMs, policy);
  const count = sum(next.c);
  const oldestMs = next.h - (next.c.length - 1) * policy.bucketMs;
  const spanMs = Math.max(policy.bucketMs, atMs - oldestMs);
  const recentPerMin = (count * 60_000) / spanMs;
  const belief = rateBelief(next, calibration, policy);
  const longRunPerMin = belief ? belief.shape / belief.rate : next.w > 0 ? next.s / next.w : 0;
  const verdict = judgeRate(recentPerMin, longRunPerMin, calibration, policy);
  const observed = { state: next, recentPerMin, longRunPerMin };
  if (verdict.reason !== "population") return { ...observed, surprise: 0, ...verdict };
  const surprise = belief ? gammaPoissonSurprise(count, belief.shape, belief.rate, spanMs / 60_000) : 0;
  return surprise >= policy.surprise
    ? { ...observed, surprise, ...verdict }
    : { ...observed, surprise, abusive: false, thresholdPerMin: verdict.thresholdPerMin };
}

/** The state with `atMs`'s bucket as the newest and this request counted in it. */
function advance(state: RelativeRateState, atMs: number, policy: RelativeRatePolicy): RelativeRateState {
  const bucket = Math.floor(atMs / policy.bucketMs) * policy.bucketMs;
  if (state.c.length === 0) return { h: bucket, c: [1], s: 0, w: 0 };
  const decay = 0.5 ** (policy.bucketMs / policy.halfLifeMs);
  const perMin = 60_000 / policy.bucketMs;
  let { s, w } = state;
  const c = [...state.c];
  const steps = Math.max(0, (bucket - state.h) / policy.bucketMs);
  // Buckets leaving the recent window join the history, oldest first, then the empty ones that
  // passed through the window unseen (closed form). A bucket older than the newest (late event)
  // is counted where it belongs, or only in history when it is older than the window.
  for (let i = 0; i < Math.min(steps, policy.recentBuckets); i++) {
    c.unshift(0);
    if (c.length > policy.recentBuckets) {
      s = s * decay + (c.pop() as number) * perMin;
      w = w * decay + 1;
    }
  }
  const passedThrough = steps - policy.recentBuckets;
  if (passedThrough > 0) {
    const d = decay ** passedThrough;
    s *= d;
    w = w * d + (1 - d) / (1 - decay);
  }
  const h = Math.max(state.h, bucket);
  const index = (h - bucket) / policy.bucketMs;
  if (index < c.length) c[index] = (c[index] as number) + 1;
  else if (index < policy.recentBuckets) {
    while (c.length < index) c.push(0);
    c.push(1);
  } else {
    s += perMin * decay ** (index - policy.recentBuckets);
  }
  return { h, c, s, w };
}

/**
 * Gamma(shape, rate per minute) belief in the client's rate: the population's client rates (as a
 * log-normal's mean and variance) updated with the client's history (requests and minutes seen).
 */
function rateBelief(
  state: RelativeRateState,
  calibration: RateCalibration,
  policy: RelativeRatePolicy,
): { shape: number; rate: number } | undefined {
  if (!calibration.calibrated || !(calibration.medianPerMin > 0)) return undefined;
  const spread =
    Number.isFinite(calibration.logSpread) && calibration.logSpread > 0 ? calibration.logSpread : 1;
  const variance = spread ** 2;
  const mean = calibration.medianPerMin * Math.exp(variance / 2);
  const priorShape = 1 / Math.expm1(variance);
  const bucketMin = policy.bucketMs / 60_000;
  return {
    shape: priorShape + state.s * bucketMin,
    rate: priorShape / mean + state.w * bucketMin,
  };
}

function judgeRate(
  recent: number,
  longRun: number,
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
  return recent > threshold
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

function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
