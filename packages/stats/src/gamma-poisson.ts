/**
 * The gamma–Poisson (negative binomial) predictive tail: how surprising is a count of events in an
 * interval when the rate is not known exactly but has a Gamma(shape, rate) belief, e.g. a client's
 * request rate after some history, starting from the population's spread of rates.
 *
 * With N | λ ~ Poisson(λ·t) and λ ~ Gamma(α, β), N ~ NegBin(r = α, p = β / (β + t)):
 *   P(N = k) = Γ(k + α) / (Γ(α) k!) · p^α · (1 − p)^k.
 * The upper tail is summed from k = n upward (terms shrink by about (1 − p) each), so probabilities
 * far below 1e-16 keep their relative accuracy, unlike 1 − CDF.
 */
import { logGamma } from "./special.js";

/** −ln P(N ≥ count) for N ~ NegBin(shape, β/(β+exposure)); 0 when count ≤ 0. */
export function gammaPoissonSurprise(count: number, shape: number, rate: number, exposure: number): number {
  if (!(count > 0)) return 0;
  if (!(shape > 0) || !(rate > 0) || !(exposure >= 0))
    throw new RangeError(
      `gamma-Poisson needs shape > 0, rate > 0, exposure ≥ 0 (got ${shape}, ${rate}, ${exposure})`,
    );
  if (exposure === 0) return Number.POSITIVE_INFINITY;
  const n = Math.ceil(count);
  const logP = Math.log(rate / (rate + exposure));
  const logQ = Math.log(exposure / (rate + exposure));
  const logFirst = logGamma(n + shape) - logGamma(shape) - logGamma(n + 1) + shape * logP + n * logQ;
  // Σ_{j≥0} Π_{i<j} (n+i+α)(1−p)/(n+i+1): geometric-like, ratio → (1 − p) from above or below.
  const q = Math.exp(logQ);
  let sum = 1;
  let term = 1;
  for (let k = n; k < n + 100_000; k++) {
    term *= ((k + shape) / (k + 1)) * q;
    sum += term;
    if (term < sum * 1e-15) break;
  }
  return Math.max(0, -(logFirst + Math.log(sum)));
}
