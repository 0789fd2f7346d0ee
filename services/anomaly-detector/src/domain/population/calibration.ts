// Calibration of the per-client detectors from the model's MERGED population summary (all partitions),
// so thresholds do not depend on how many partitions or replicas there are.
//
// Everything is a robust statistic of the sampled clients (medians, MAD, quantiles with a margin), so
// one attacker, or a few, present from the very start moves nothing: the median and the 95th
// percentile of 200 clients ignore the top 10 of them, and an attacker whose statistic is extreme is
// among those. "The first clients are benign" is never assumed. Until `minClients` clients with at
// least `minClientQueries` queries are sampled, the conservative absolute `fallback` values apply.
import { normalQuantile } from "@argus/stats";
import { type ClientSnapshot, type PopulationSummary, populationClients } from "./summary.js";

export interface ShareCalibration {
  /** The share a client is tested against (binomial, see `shareExceeds`). */
  baseline: number;
  /** Median share among sampled clients (evidence). */
  median: number;
  /** The `highQuantile` share among sampled clients (evidence). */
  high: number;
}

export interface PopulationCalibration {
  /** True when the population was large enough; false means the fallback values are in use. */
  calibrated: boolean;
  /** Sampled clients (any query count) and those with at least `minClientQueries` queries. */
  clients: number;
  qualifiedClients: number;
  rate: {
    /** Rates need only enough clients, not enough queries per client (a quiet client's rate is known). */
    calibrated: boolean;
    /** Median and high-quantile long-run rate of the sampled clients (requests per minute). */
    medianPerMin: number;
    highPerMin: number;
    /** σ of ln(rate) across clients, from the median and the high quantile (as if log-normal). */
    logSpread: number;
  };
  ood: ShareCalibration;
  near: ShareCalibration;
  /** Median per-coordinate spread of qualified clients (0 when unknown). */
  spreadMedian: number;
  /** 95th-percentile spread of qualified clients (0 when unknown). */
  spreadHigh: number;
  /** PRADA alarm threshold on W, and how it was obtained. */
  pradaDelta: number;
  pradaDeltaSource: "population" | "fallback";
}

export interface SharePolicy {
  /** Population quantile a client must exceed (times `margin`) to be tested at all. */
  highQuantile: number;
  margin: number;
  /** Smallest baseline share (a model with no OOD traffic at all still has noise). */
  floor: number;
  /** Baseline while the population is too small. */
  fallback: number;
}

export interface PopulationPolicy {
  minClients: number;
  minClientQueries: number;
  rateHighQuantile: number;
  ood: SharePolicy;
  near: SharePolicy;
  /**
   * δ = the smaller of median − pradaMadK · 1.4826 · MAD and the `pradaLowQuantile` client minus
   * `pradaMargin`, of the sampled clients' smallest W. Smallest Ws are skewed low (a minimum over a
   * stream), so the MAD rule alone sits too close to the median when they are tightly packed; the low
   * quantile keeps δ below nearly every honest client. Clients more than `pradaExcludeMadK` robust
   * standard deviations below the median are left out of that quantile first: they are attackers
   * (PRADA's own targets, membership and boundary probers fall to W 0.1-0.6) or broken, and with 50
   * sampled clients the 1st percentile is the lowest one, so two of them pulled δ to the 0.5 floor and
   * hid a JbDA extractor. Taking the 5th percentile instead (tried) flagged an honest client whose
   * lowest W sat 0.015 under δ: honest tails are heavier than the MAD suggests.
   */
  pradaMadK: number;
  /** Robust standard deviations below the median beyond which a client is left out of the low quantile. */
  pradaExcludeMadK: number;
  pradaLowQuantile: number;
  pradaMargin: number;
  /** Clients with a W needed to calibrate δ (else `pradaFallbackDelta`). */
  pradaMinClients: number;
  /** Conservative δ before calibration (below nearly every honest client's W on tabular data). */
  pradaFallbackDelta: number;
  /** δ never goes above this (PRADA's paper value) nor below `pradaFloorDelta`. */
  pradaCeilingDelta: number;
  pradaFloorDelta: number;
}

/** Smallest robust σ of clients' lowest W (identical clients would otherwise exclude everyone below the median). */
const PRADA_MIN_SIGMA = 0.005;

export const DEFAULT_POPULATION_POLICY: PopulationPolicy = {
  minClients: 20,
  minClientQueries: 15,
  rateHighQuantile: 0.95,
  ood: { highQuantile: 0.95, margin: 1.25, floor: 0.02, fallback: 0.2 },
  near: { highQuantile: 0.95, margin: 1.25, floor: 0.05, fallback: 0.4 },
  pradaMadK: 4,
  pradaExcludeMadK: 10,
  pradaLowQuantile: 0.01,
  pradaMargin: 0.06,
  pradaMinClients: 20,
  pradaFallbackDelta: 0.75,
  pradaCeilingDelta: 0.9,
  pradaFloorDelta: 0.5,
};

/** Calibration from a merged summary (`mergePopulations` of every partition's summary). Pure. */
export function calibratePopulation(
  summary: PopulationSummary,
  policy: PopulationPolicy = DEFAULT_POPULATION_POLICY,
): PopulationCalibration {
  return calibrateFromClients(populationClients(summary), policy);
}

export function calibrateFromClients(
  clients: readonly ClientSnapshot[],
  policy: PopulationPolicy = DEFAULT_POPULATION_POLICY,
): PopulationCalibration {
  const qualified = clients.filter((c) => c.queries >= policy.minClientQueries);
  const calibrated = clients.length >= policy.minClients && qualified.length >= policy.minClients;
  const rateCalibrated = clients.length >= policy.minClients;
  const rates = clients.map((c) => c.ratePerMin);
  const oodShares = qualified.filter((c) => c.oodScored > 0).map((c) => c.oodCount / c.oodScored);
  const nearShares = qualified.filter((c) => c.nearScored > 0).map((c) => c.nearCount / c.nearScored);
  const spreads = qualified.flatMap((c) => (c.spread === undefined ? [] : [c.spread]));
  const minWs = qualified.flatMap((c) => (c.minW === undefined ? [] : [c.minW]));

  const share = (values: number[], p: SharePolicy): ShareCalibration => {
    if (!calibrated || values.length < policy.minClients) return { baseline: p.fallback, median: 0, high: 0 };
    const median = quantile(values, 0.5);
    const high = quantile(values, p.highQuantile);
    return { baseline: Math.min(0.95, Math.max(p.floor, median, high * p.margin)), median, high };
  };

  let pradaDelta = policy.pradaFallbackDelta;
  let pradaDeltaSource: PopulationCalibration["pradaDeltaSource"] = "fallback";
  if (calibrated && minWs.length >= policy.pradaMinClients) {
    const median = quantile(minWs, 0.5);
    const mad = quantile(
      minWs.map((w) => Math.abs(w - median)),
      0.5,
    );
    const sigma = Math.max(1.4826 * mad, PRADA_MIN_SIGMA);
    // Gross outliers (W far below every honest client: PRADA's own targets, probers) are left out of
    // the low quantile, so that a few of them in a small sample cannot pull δ down to the floor.
    const plausible = minWs.filter((w) => w >= median - policy.pradaExcludeMadK * sigma);
    const low = quantile(
      plausible.length >= policy.pradaMinClients ? plausible : minWs,
      policy.pradaLowQuantile,
    );
    pradaDelta = Math.min(
      policy.pradaCeilingDelta,
      Math.max(policy.pradaFloorDelta, Math.min(median - policy.pradaMadK * sigma, low - policy.pradaMargin)),
    );
    pradaDeltaSource = "population";
  }
  return {
    calibrated,
    clients: clients.length,
    qualifiedClients: qualified.length,
    rate: {
      calibrated: rateCalibrated,
      medianPerMin: rateCalibrated ? quantile(rates, 0.5) : 0,
      highPerMin: rateCalibrated ? quantile(rates, policy.rateHighQuantile) : 0,
      logSpread: rateCalibrated ? logSpreadOf(rates, policy.rateHighQuantile) : 0,
    },
    ood: share(oodShares, policy.ood),
    near: share(nearShares, policy.near),
    spreadMedian: calibrated && spreads.length > 0 ? quantile(spreads, 0.5) : 0,
    spreadHigh: calibrated && spreads.length > 0 ? quantile(spreads, 0.95) : 0,
    pradaDelta,
    pradaDeltaSource,
  };
}

/** Slowest rate that counts in the spread (requests per minute): a client seen once has a rate near 0. */
const RATE_SPREAD_FLOOR_PER_MIN = 0.01;

/**
 * σ of ln(rate) from two quantiles, robust to a few extreme clients (an attacker among them), clamped
 * to what client populations show: from near-identical clients to five decades of rates.
 */
function logSpreadOf(rates: readonly number[], highQuantile: number): number {
  const floored = rates.map((r) => Math.max(RATE_SPREAD_FLOOR_PER_MIN, r));
  const spread =
    Math.log(quantile(floored, highQuantile) / quantile(floored, 0.5)) / normalQuantile(highQuantile);
  return Math.min(3, Math.max(0.25, Number.isFinite(spread) ? spread : 0.25));
}

/** The calibration to use before any population exists (all fallbacks). */
export function fallbackCalibration(
  policy: PopulationPolicy = DEFAULT_POPULATION_POLICY,
): PopulationCalibration {
  return calibrateFromClients([], policy);
}

/** Linear-interpolated quantile (numpy's default) of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (position - lo);
}

/**
 * One-sided binomial evidence that `count` of `trials` exceed a baseline share `p`: the Chernoff
 * bound P(X ≥ count) ≤ exp(−trials · KL(count/trials ‖ p)), returned as −ln of that bound (larger =
 * stronger evidence; 0 when the observed share is not above p). Conservative (the bound is above the
 * exact tail), O(1), and needs no special functions.
 */
export function binomialSurprise(count: number, trials: number, p: number): number {
  if (trials <= 0) return 0;
  const share = count / trials;
  if (share <= p) return 0;
  if (p <= 0) return Number.POSITIVE_INFINITY;
  if (p >= 1) return 0;
  const a = share === 0 ? 0 : share * Math.log(share / p);
  const b = share === 1 ? 0 : (1 - share) * Math.log((1 - share) / (1 - p));
  return trials * (a + b);
}
