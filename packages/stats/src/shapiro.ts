/**
 * Shapiro-Wilk W test for normality, in float64, from Royston's approximations: the algorithm
 * behind AS R94 (Royston 1995), which scipy.stats.shapiro wraps (Fortran swilk.f).
 *
 * Statistic. With x(1) ≤ … ≤ x(n) the sorted sample,
 *   W = (Σ aᵢ x(i))² / Σ (xᵢ − x̄)²,  Σ aᵢ² = 1, a antisymmetric (a(n+1−i) = −a(i)).
 * Coefficients (Royston 1992): mᵢ = Φ⁻¹((i − 3/8)/(n + 1/4)), u = 1/√n,
 *   a(n)   = m(n)/‖m‖   + 0.221157u − 0.147981u² − 2.071190u³ + 4.434685u⁴ − 2.706056u⁵,
 *   a(n−1) = m(n−1)/‖m‖ + 0.042981u − 0.293762u² − 1.752461u³ + 5.682633u⁴ − 3.582633u⁵ (n > 5),
 *   the others aᵢ = mᵢ/√φ with φ chosen so that Σ aᵢ² = 1
 *   (φ = (m'm − 2m(n)² − 2m(n−1)²)/(1 − 2a(n)² − 2a(n−1)²), or with one term for n = 4, 5).
 *   n = 3: a = (−√½, 0, √½) exactly.
 * p-value (Royston 1995):
 *   n = 3: exact, p = (6/π)(asin √W − asin √¾), evaluated here through the two gaps of the sorted
 *     sample so that it keeps full relative accuracy near W = 1 and W = 3/4;
 *   4 ≤ n ≤ 11: γ = 0.459n − 2.273, w = −ln(γ − ln(1 − W)), μ = 0.5440 − 0.39978n + 0.025054n²
 *     − 0.0006714n³, σ = exp(1.3822 − 0.77857n + 0.062767n² − 0.0020322n³);
 *     if ln(1 − W) ≥ γ, AS R94 returns p = 1e-19 (unreachable from a sample: W ≥ 0.63 at n = 4);
 *   n ≥ 12: w = ln(1 − W), with L = ln n: μ = −1.5861 − 0.31082L − 0.083751L² + 0.0038915L³,
 *     σ = exp(−0.4803 − 0.082676L + 0.0030302L²);
 *   p = 1 − Φ((w − μ)/σ).
 *
 * Precision. Everything is float64: Φ⁻¹ by Wichura's AS 241 (~1e-16 relative), the normal tail by
 * Cody's rational approximations (~1e-16 relative, down to ~1e-300), the sample rescaled by a
 * power of two (exact) and centred before the sums. Against a 50-digit mpmath evaluation of the
 * same formulas (test/fixtures/shapiro.json) W agrees to ~1e-15 and p to ~1e-13 relative.
 * scipy 1.10 differs by up to ~7e-6 in W (n = 5000) and up to a few % in p where 1 − W is small,
 * because swilk.f runs in single precision (REAL sums over n terms, AS 111 quantiles, float32
 * constants such as √½ = 0.70711, and p is returned as a float32, 0 below ~1e-45): see README.
 *
 * Range: 3 ≤ n ≤ 5000 (the range Royston fitted; scipy warns that its p-value "may not be accurate"
 * above 5000). Non-finite values and constant samples (W = 0/0) throw a RangeError, where scipy
 * returns NaN, and W = 1, p = 1 with a warning, respectively.
 *
 * Cost: one sort of a copy (O(n log n); skipped when the input is already sorted) and a few O(n)
 * passes; the copy lives in a module-level buffer reused across calls (≤ 40 KB), and the normal
 * scores (n/2 quantiles) are kept for the last 64 sample sizes (≤ 1.3 MB), so a call at a size seen
 * before allocates nothing proportional to n. About 7 µs at n = 100 and 80 µs at n = 1000 on one
 * core, three quarters of it the sort.
 *
 * References:
 * - S. S. Shapiro, M. B. Wilk (1965), "An analysis of variance test for normality (complete
 *   samples)", Biometrika 52, 591-611.
 * - J. P. Royston (1992), "Approximating the Shapiro-Wilk W-test for non-normality", Statistics
 *   and Computing 2, 117-119.
 * - P. Royston (1995), "Remark AS R94: A remark on algorithm AS 181: The W-test for normality",
 *   Applied Statistics 44(4), 547-551.
 * - M. J. Wichura (1988), "Algorithm AS 241: The percentage points of the normal distribution",
 *   Applied Statistics 37(3), 477-484.
 * - W. J. Cody (1969), "Rational Chebyshev approximations for the error function", Mathematics of
 *   Computation 23, 631-637 (coefficients as in Cody's SPECFUN ANORM, ACM TOMS Algorithm 715).
 */

export interface ShapiroWilkResult {
  /** W in (0, 1]. Small W: evidence against normality. */
  statistic: number;
  /** P(W ≤ observed) under normality, from Royston's approximation (exact for n = 3). */
  pvalue: number;
}

/** Smallest and largest sample sizes accepted (Royston's approximation covers 3 ≤ n ≤ 5000). */
export const SHAPIRO_WILK_MIN_N = 3;
export const SHAPIRO_WILK_MAX_N = 5000;

/** AS R94's p-value when ln(1 − W) ≥ γ(n) for n ≤ 11 (outside the approximation's domain). */
const P_BEYOND_GAMMA = 1e-19;

// Royston (1992): corrections of a(n) and a(n−1), in powers of u = 1/√n (lowest first).
const POLY_AN = [0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056];
const POLY_AN1 = [0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633];
// Royston (1995): normalizing transformation of W.
const SMALL_GAMMA = [-2.273, 0.459];
const SMALL_MU = [0.544, -0.39978, 0.025054, -0.0006714];
const SMALL_LOG_SIGMA = [1.3822, -0.77857, 0.062767, -0.0020322];
const LARGE_MU = [-1.5861, -0.31082, -0.083751, 0.0038915];
const LARGE_LOG_SIGMA = [-0.4803, -0.082676, 0.0030302];

const SIX_OVER_PI = 6 / Math.PI;

/** Σ c[k]·x^k (Horner). */
function poly(c: readonly number[], x: number): number {
  let s = c[c.length - 1] as number;
  for (let k = c.length - 2; k >= 0; k--) s = s * x + (c[k] as number);
  return s;
}

let scratch = new Float64Array(64);

/**
 * Shapiro-Wilk test of normality (small W, small p: evidence against normality), float64
 * evaluation of Royston's algorithm as in AS R94 / scipy.stats.shapiro. The input is not modified
 * and need not be sorted. Throws a RangeError if the length is outside [3, 5000], if a value is not finite, or
 * if all values are equal.
 */
export function shapiroWilk(values: ArrayLike<number>): ShapiroWilkResult {
  const n = values.length;
  checkN(n, "shapiroWilk");
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  const x = scratch.subarray(0, n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw new RangeError(`shapiroWilk: values[${i}] is ${v}; values must be finite`);
    x[i] = v;
  }
  if (!ascending(x)) x.sort();
  const lo = x[0] as number;
  const hi = x[n - 1] as number;
  if (lo === hi) {
    throw new RangeError(
      "shapiroWilk: all values are equal (zero range), W is undefined; scipy.stats.shapiro returns W = 1, p = 1 with a warning",
    );
  }

  // Rescale by a power of two so that the range is about [1, 2): exact (bar values so far below the
  // range that they become subnormal), and no overflow or underflow in the sums for any finite
  // input; results are bit-identical under scaling by powers of two.
  const halfRange = hi * 0.5 - lo * 0.5; // no overflow even for ±MAX_VALUE
  const e = Math.floor(Math.log2(halfRange)) + 1;
  if (e !== 0) {
    const e1 = Math.trunc(-e / 2);
    const s1 = 2 ** e1;
    const s2 = 2 ** (-e - e1); // |exponents| ≤ 538: both factors are normal numbers
    for (let i = 0; i < n; i++) x[i] = (x[i] as number) * s1 * s2;
  }

  if (n === 3) return shapiroWilk3(x);

  // The three sums below are Neumaier-compensated (a few flops per term): plain summation over
  // thousands of similar terms costs ~1e-14 in W, compensated ones ~1e-16.
  // Σ (xᵢ − x̄)², centred with a corrected two-pass mean.
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i] as number;
  const mean = sum / n;
  let ssx = 0;
  let ssxErr = 0;
  let drift = 0;
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - mean;
    const t = d * d;
    const s = ssx + t;
    ssxErr += ssx >= t ? ssx - s + t : t - s + ssx;
    ssx = s;
    drift += d;
  }
  ssx = ssx + ssxErr - (drift * drift) / n;

  // One pass over the n/2 pairs: the part of Σ aᵢ x(i) carried by the uncorrected coefficients.
  // a(i) = mᵢ/√φ for the lower half (mᵢ the i-th smallest normal score, negative) and −mᵢ/√φ for
  // its mirror, so the pair contributes −mᵢ·(x(n+1−i) − x(i))/√φ ≥ 0.
  const corrected = n > 5 ? 2 : 1;
  const half = n >> 1;
  const scores = normalScores(n);
  const quantiles = scores.m;
  const mm = scores.mm;
  let tail = 0;
  let tailErr = 0;
  for (let i = corrected; i < half; i++) {
    const t = -(quantiles[i] as number) * ((x[n - 1 - i] as number) - (x[i] as number));
    const u = tail + t;
    tailErr += tail >= t ? tail - u + t : t - u + tail;
    tail = u;
  }
  const m1 = half > 0 ? (quantiles[0] as number) : 0;
  const m2 = corrected === 2 && half > 1 ? (quantiles[1] as number) : 0;
  tail += tailErr;
  const rootMm = Math.sqrt(mm);
  const u = 1 / Math.sqrt(n);
  const an = poly(POLY_AN, u) - m1 / rootMm;
  let sax: number;
  if (corrected === 2) {
    const an1 = poly(POLY_AN1, u) - m2 / rootMm;
    const phi = (mm - 2 * m1 * m1 - 2 * m2 * m2) / (1 - 2 * an * an - 2 * an1 * an1);
    sax = an * ((x[n - 1] as number) - (x[0] as number)) + an1 * ((x[n - 2] as number) - (x[1] as number));
    sax += tail / Math.sqrt(phi);
  } else {
    const phi = (mm - 2 * m1 * m1) / (1 - 2 * an * an);
    sax = an * ((x[n - 1] as number) - (x[0] as number)) + tail / Math.sqrt(phi);
  }
  // Σ aᵢ² = 1 by construction of φ, so W is the squared correlation sax² / ssx.
  const w = Math.min((sax * sax) / ssx, 1);
  return { statistic: w, pvalue: pValueFromOneMinusW(1 - w, n) };
}

/** Normal scores mᵢ of the lower half and m'm (over all n) per sample size: they depend on n only. */
const scoresBySize = new Map<number, { m: Float64Array; mm: number }>();

/**
 * The n/2 lower normal scores mᵢ = Φ⁻¹((i − 3/8)/(n + 1/4)) and m'm (Neumaier-compensated), kept
 * for the last 64 sample sizes: a caller testing samples of a few sizes over and over (PRADA, 101 to
 * 256 distances) computes each score once, not n/2 quantiles a call.
 */
function normalScores(n: number): { m: Float64Array; mm: number } {
  const known = scoresBySize.get(n);
  if (known !== undefined) return known;
  const half = n >> 1;
  const an25 = n + 0.25;
  const m = new Float64Array(half);
  let mm = 0;
  let mmErr = 0;
  for (let i = 0; i < half; i++) {
    const score = normalQuantile((i + 0.625) / an25);
    m[i] = score;
    const sq = score * score;
    const s = mm + sq;
    mmErr += mm >= sq ? mm - s + sq : sq - s + mm;
    mm = s;
  }
  const scores = { m, mm: 2 * (mm + mmErr) }; // m'm over all n (the middle score of an odd n is 0)
  if (scoresBySize.size >= 64) scoresBySize.clear();
  scoresBySize.set(n, scores);
  return scores;
}

/**
 * Whether `x` is already in the order `sort()` would give it (−0 before +0): callers that keep their
 * sample sorted (PRADA's distance history) skip the sort, most of the test's cost at a few hundred
 * values.
 */
function ascending(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1] as number;
    const b = x[i] as number;
    if (a > b || (a === 0 && b === 0 && 1 / a > 1 / b)) return false;
  }
  return true;
}

/**
 * n = 3 in closed form from the gaps g₁ = x(2) − x(1), g₂ = x(3) − x(2):
 * W = 3(g₁ + g₂)² / (4(g₁² + g₁g₂ + g₂²)), and since tan(asin √W) = √3 (g₁ + g₂)/|g₁ − g₂|,
 * asin √W − π/3 = atan(√3 min(g₁, g₂) / (2 max(g₁, g₂) + min(g₁, g₂))): the exact p-value
 * (6/π)(asin √W − π/3) without cancellation at W = 3/4 (p = 0) or W = 1 (p = 1).
 */
function shapiroWilk3(x: Float64Array): ShapiroWilkResult {
  const g1 = (x[1] as number) - (x[0] as number);
  const g2 = (x[2] as number) - (x[1] as number);
  if (g1 === g2) return { statistic: 1, pvalue: 1 }; // atan(1/√3)·6/π would round to 1 − 2^-53
  const small = Math.min(g1, g2);
  const large = Math.max(g1, g2);
  const statistic = Math.min((3 * (g1 + g2) * (g1 + g2)) / (4 * (g1 * g1 + g1 * g2 + g2 * g2)), 1);
  const pvalue = Math.min(SIX_OVER_PI * Math.atan((Math.sqrt(3) * small) / (2 * large + small)), 1);
  return { statistic, pvalue };
}

/**
 * The p-value of an observed W for sample size n (3 ≤ n ≤ 5000), by the same approximation as
 * `shapiroWilk` (exact for n = 3). Useful to turn a W threshold into a significance level and
 * back. W outside [0, 1] throws.
 */
export function shapiroWilkPValue(statistic: number, n: number): number {
  checkN(n, "shapiroWilkPValue");
  if (!(statistic >= 0 && statistic <= 1)) {
    throw new RangeError(`shapiroWilkPValue: statistic must be in [0, 1] (got ${statistic})`);
  }
  if (n === 3) {
    // (6/π)(asin √W − π/3) = 1 − (6/π) asin √(1 − W): accurate near W = 1; 1 − W is exact here.
    if (statistic <= 0.75) return 0;
    return Math.max(0, 1 - SIX_OVER_PI * Math.asin(Math.sqrt(1 - statistic)));
  }
  return pValueFromOneMinusW(1 - statistic, n);
}

function checkN(n: number, what: string): void {
  if (!(Number.isInteger(n) && n >= SHAPIRO_WILK_MIN_N && n <= SHAPIRO_WILK_MAX_N)) {
    throw new RangeError(
      `${what}: sample size must be an integer from ${SHAPIRO_WILK_MIN_N} to ${SHAPIRO_WILK_MAX_N} (got ${n})`,
    );
  }
}

/** Royston (1995) normalizing transformation of W for n ≥ 4, from w1 = 1 − W. */
function pValueFromOneMinusW(w1: number, n: number): number {
  if (w1 <= 0) return 1;
  let y = Math.log(w1);
  let mu: number;
  let sigma: number;
  if (n <= 11) {
    const gamma = poly(SMALL_GAMMA, n);
    if (y >= gamma) return P_BEYOND_GAMMA;
    y = -Math.log(gamma - y);
    mu = poly(SMALL_MU, n);
    sigma = Math.exp(poly(SMALL_LOG_SIGMA, n));
  } else {
    const ln = Math.log(n);
    mu = poly(LARGE_MU, ln);
    sigma = Math.exp(poly(LARGE_LOG_SIGMA, ln));
  }
  return normalUpperTail((y - mu) / sigma);
}

// ---------------------------------------------------------------- normal distribution

/**
 * Standard normal quantile Φ⁻¹(p), 0 < p < 1: Wichura's AS 241 (PPND16), ~1e-16 relative.
 * The literals are Wichura's 20-digit constants written as the float64 values they parse to
 * (shortest round-trip form, as Biome's noPrecisionLoss requires): the same doubles.
 * @internal exported for tests
 */
export function normalQuantile(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301227 * r + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) *
          r +
          13731.69376550946) *
          r +
          1971.5909503065513) *
          r +
          133.14166789178438) *
          r +
          3.3871328727963665)) /
      (((((((5226.495278852854 * r + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) *
        r +
        5394.196021424751) *
        r +
        687.1870074920579) *
        r +
        42.31333070160091) *
        r +
        1)
    );
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((0.0007745450142783414 * r + 0.022723844989269184) * r + 0.2417807251774506) * r +
        1.2704582524523684) *
        r +
        3.6478483247632045) *
        r +
        5.769497221460691) *
        r +
        4.630337846156546) *
        r +
        1.4234371107496835) /
      (((((((1.0507500716444169e-9 * r + 0.0005475938084995345) * r + 0.015198666563616457) * r +
        0.14810397642748008) *
        r +
        0.6897673349851) *
        r +
        1.6763848301838038) *
        r +
        2.053191626637759) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((2.0103343992922881e-7 * r + 2.7115555687434876e-5) * r + 0.0012426609473880784) * r +
        0.026532189526576124) *
        r +
        0.29656057182850487) *
        r +
        1.7848265399172913) *
        r +
        5.463784911164114) *
        r +
        6.657904643501103) /
      (((((((2.0442631033899397e-15 * r + 1.421511758316446e-7) * r + 1.8463183175100548e-5) * r +
        0.0007868691311456133) *
        r +
        0.014875361290850615) *
        r +
        0.1369298809227358) *
        r +
        0.599832206555888) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}

// Cody (1969) / SPECFUN ANORM coefficients (shortest float64 form of the published 20 digits).
const CODY_A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356];
const CODY_A4 = 0.06568233791820745;
const CODY_B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673];
const CODY_C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726,
  6848.190450536283, 11602.65143764735, 9842.714838383978,
];
const CODY_C8 = 1.0765576773720192e-8;
const CODY_D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097,
  34900.95272114598, 38912.00328609327, 19685.429676859992,
];
const CODY_P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 2.9112874951168793e-5,
];
const CODY_P5 = 0.023073441764940174;
const CODY_Q = [
  1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 7.297515550839662e-5,
];
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_32 = 5.656854249492381;

/** exp(−y²/2) without the error of rounding y² (y split at a multiple of 1/16, as in ANORM). */
function expMinusHalfSquare(y: number): number {
  const head = Math.trunc(y * 16) / 16;
  const del = (y - head) * (y + head);
  return Math.exp(-head * head * 0.5) * Math.exp(-del * 0.5);
}

/**
 * Upper tail of the standard normal, 1 − Φ(z), with full relative accuracy in the tail
 * (underflows to 0 beyond z ≈ 38.5). Cody's rational Chebyshev approximations.
 * @internal exported for tests
 */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const y = Math.abs(z);
  if (y <= 0.66291) {
    const xsq = y > 1.1102230246251565e-16 ? z * z : 0;
    let num = CODY_A4 * xsq;
    let den = xsq;
    for (let i = 0; i < 3; i++) {
      num = (num + (CODY_A[i] as number)) * xsq;
      den = (den + (CODY_B[i] as number)) * xsq;
    }
    return 0.5 - (z * (num + (CODY_A[3] as number))) / (den + (CODY_B[3] as number));
  }
  let tail: number;
  if (y <= SQRT_32) {
    let num = CODY_C8 * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + (CODY_C[i] as number)) * y;
      den = (den + (CODY_D[i] as number)) * y;
    }
    tail = (expMinusHalfSquare(y) * (num + (CODY_C[7] as number))) / (den + (CODY_D[7] as number));
  } else if (y < 40) {
    const xsq = 1 / (y * y);
    let num = CODY_P5 * xsq;
    let den = xsq;
    for (let i = 0; i < 4; i++) {
      num = (num + (CODY_P[i] as number)) * xsq;
      den = (den + (CODY_Q[i] as number)) * xsq;
    }
    const r = (xsq * (num + (CODY_P[4] as number))) / (den + (CODY_Q[4] as number));
    tail = (expMinusHalfSquare(y) * (INV_SQRT_2PI - r)) / y;
  } else {
    tail = 0;
  }
  return z > 0 ? tail : 1 - tail;
}
