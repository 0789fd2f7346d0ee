/**
 * Special functions: log-gamma, the regularized incomplete gamma functions and the chi-square
 * survival function, plus Loader's saddle-point pieces (stirlerr, bd0) used to evaluate
 * binomial-like terms without cancellation.
 *
 * Accuracy: tested against scipy.special.gammainc/gammaincc and scipy.stats.chi2.sf to 1e-9
 * relative (observed error is ~1e-13 or better) for shapes 0.1..100000.
 *
 * References:
 * - C. Loader (2000), "Fast and Accurate Computation of Binomial Probabilities" (stirlerr, bd0).
 * - W. Press et al., Numerical Recipes, 3rd ed., §6.2 (series and continued fraction of the
 *   incomplete gamma function, modified Lentz evaluation).
 */

const LN_SQRT_2PI = 0.9189385332046728;
const LN_2PI = 1.8378770664093456;

/**
 * stirlerr(n/2) for n = 0..30: log(Γ(x+1)) - ((x+0.5)·log(x) - x + log√(2π)), computed with mpmath
 * (50 digits) and rounded to the nearest double.
 */
const STIRLERR_HALVES = [
  0, 0.15342640972002736, 0.08106146679532726, 0.05481412105191765, 0.0413406959554093, 0.03316287351993629,
  0.02767792568499834, 0.023746163656297496, 0.020790672103765093, 0.018488450532673187, 0.016644691189821193,
  0.015134973221917378, 0.013876128823070748, 0.012810465242920227, 0.01189670994589177, 0.011104559758206917,
  0.010411265261972096, 0.009799416126158804, 0.009255462182712733, 0.008768700134139386, 0.00833056343336287,
  0.00793411456431402, 0.007573675487951841, 0.007244554301320383, 0.00694284010720953, 0.006665247032707682,
  0.006408994188004207, 0.006171712263039458, 0.0059513701127588475, 0.0057462165130101155,
  0.005554733551962801,
];

// Lanczos approximation, g = 7, n = 9 (relative error ~1e-15).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log|Γ(x)| for x > 0 (Lanczos; ~1e-15 relative for moderate x). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError("logGamma: x must be > 0");
  if (x < 0.5) {
    // Reflection: Γ(x)Γ(1-x) = π / sin(πx)
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  if (x > 15) {
    // Stirling with the correction term: more accurate than Lanczos for large x.
    return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlerr(x);
  }
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i);
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Loader's Stirling error: log(Γ(x+1)) - ((x+0.5)·log(x) - x + log√(2π)), accurate to a few ulps.
 * Table for half-integers up to 15, asymptotic series above.
 */
export function stirlerr(x: number): number {
  if (x <= 15) {
    const twice = x + x;
    if (twice === Math.floor(twice)) return STIRLERR_HALVES[twice] as number;
    return lgammaSmall(x + 1) - (x + 0.5) * Math.log(x) + x - LN_SQRT_2PI;
  }
  const S0 = 1 / 12;
  const S1 = 1 / 360;
  const S2 = 1 / 1260;
  const S3 = 1 / 1680;
  const S4 = 1 / 1188;
  const xx = x * x;
  if (x > 500) return (S0 - S1 / xx) / x;
  if (x > 80) return (S0 - (S1 - S2 / xx) / xx) / x;
  if (x > 35) return (S0 - (S1 - (S2 - S3 / xx) / xx) / xx) / x;
  return (S0 - (S1 - (S2 - (S3 - S4 / xx) / xx) / xx) / xx) / x;
}

/** Lanczos log-gamma for 0.5 <= x <= 16 (no recursion through stirlerr). */
function lgammaSmall(x: number): number {
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i);
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Loader's deviance term bd0(x, m) = x·log(x/m) + m - x, evaluated without cancellation when
 * x ≈ m.
 */
export function bd0(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    const s = (x - m) * v;
    if (Math.abs(s) < Number.MIN_VALUE) return s;
    let ej = 2 * x * v;
    v *= v;
    let sum = s;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = sum + ej / (2 * j + 1);
      if (next === sum) return next;
      sum = next;
    }
    return sum;
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * Binomial probability C(n, k) p^k q^(n-k) given the means np = n·p and nq = n·q (p + q = 1),
 * by Loader's saddle-point formula (relative error a few ulps, no overflow for any n).
 */
export function binomialTermFromMeans(k: number, n: number, np: number, nq: number): number {
  if (k === 0) {
    if (n === 0) return 1;
    const p = np / n;
    const lc = p < 0.1 ? -bd0(n, nq) - np : n * Math.log(nq / n);
    return Math.exp(lc);
  }
  if (k === n) {
    const q = nq / n;
    const lc = q < 0.1 ? -bd0(n, np) - nq : n * Math.log(np / n);
    return Math.exp(lc);
  }
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, np) - bd0(n - k, nq);
  const lf = LN_2PI + Math.log(k) + Math.log1p(-k / n);
  return Math.exp(lc - 0.5 * lf);
}

/** x^a e^(-x) / Γ(a), computed as sqrt(a/2π)·exp(-stirlerr(a) - bd0(a, x)) (no cancellation). */
function gammaPrefactor(a: number, x: number): number {
  if (x === 0) return 0;
  return Math.sqrt(a / (2 * Math.PI)) * Math.exp(-stirlerr(a) - bd0(a, x));
}

const MAX_ITERATIONS = 10_000_000;
const EPS = 2.220446049250313e-16;
const TINY = 1e-300;

/** Series for P(a, x) (use when x < a + 1). */
function gammaPSeries(a: number, x: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (term < sum * EPS * 0.5) break;
  }
  return (gammaPrefactor(a, x) / a) * sum;
}

/** Continued fraction for Q(a, x) (use when x >= a + 1), modified Lentz. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS * 0.5) break;
  }
  return gammaPrefactor(a, x) * h;
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), a > 0, x >= 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x < a + 1) return gammaPSeries(a, x);
  return 1 - gammaQContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) = 1 - P(a, x), a > 0, x >= 0. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < a + 1) return 1 - gammaPSeries(a, x);
  return gammaQContinuedFraction(a, x);
}

/**
 * Survival function of the chi-square distribution with `dof` degrees of freedom:
 * P(X > x) = Q(dof/2, x/2) (scipy.stats.chi2.sf).
 */
export function chiSquareSf(x: number, dof: number): number {
  if (!(dof > 0)) return Number.NaN;
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return regularizedGammaQ(dof / 2, x / 2);
}
