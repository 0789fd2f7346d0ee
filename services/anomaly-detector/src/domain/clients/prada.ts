// PRADA model-extraction detection per client, on a stream, in bounded memory.
//
// Juuti, Szyller, Marchal, Asokan, "PRADA: Protecting against DNN Model Stealing Attacks", IEEE
// EuroS&P 2019 (arXiv:1805.02628), Algorithm 1. For every query x of a client, with predicted class c:
//   - if the growing set G_c is empty: G_c <- {x}, D_{G_c} <- {0}, T_c <- 0 (no distance is recorded);
//   - else d_min = min over y in G_c of ||x - y||_2, appended to the client's distance set D; and
//     if d_min > T_c: G_c <- G_c ∪ {x}, D_{G_c} <- D_{G_c} ∪ {d_min},
//                     T_c <- max(T_c, mean(D_{G_c}) - std(D_{G_c}))   (population std, as numpy);
//   - once |D'| > 100, where D' is D without the values farther than 3 sd from its mean, run the
//     Shapiro-Wilk test on D' and raise the alarm when W < δ.
// Note the threshold of the growing rule is "mean minus std of the distances of the growing set"
// (the d_min of the queries that were added, D_{G_c}), not of every distance, and it never decreases.
// The paper's δ = 0.9 was tuned on image models; `calibrateDelta` sets δ per model from the W values
// of benign clients, and 0.9 is only the fallback.
//
// Streaming bounds (the paper keeps everything, which a per-client Redis value cannot):
//   - G_c is a FIFO of at most `perClassCap` vectors, and all classes together hold at most
//     `maxVectors(dim)` = min(totalCap, floor(growingSetBytes / dim)); beyond it the oldest vector of
//     the largest class is dropped. At most `maxClasses` classes are tracked (a new class beyond that
//     evicts the class with the fewest vectors). D_{G_c} is kept as (count, sum, sum of squares) over
//     every member ever added, so T_c is exactly the paper's even after vectors were dropped.
//   - D is a ring of the last `historyCap` distances.
// Storage precision: vectors are int8 codes round(x * vectorScale) (default scale 16: step 1/16 =
// 0.0625 in normalized units, range ±7.94, beyond which values are clamped). Distances are computed
// between quantized vectors (the incoming query is quantized first, so a state restored from Redis
// gives bit-identical results); each coordinate of a difference is off by at most 1/16 from the exact
// one, so |d_quantized - d_exact| ≤ sqrt(dim)/16 (worst case; the typical error is ≈ 0.026, the RMS of
// the rounding noise projected on the difference direction, small next to the nearest-neighbour
// distances of 0.5-3 of real traffic in 8+ dims). Distances are then kept as 12-bit codes
// round(sqrt(d) * 512) (1.5 bytes each): the error is ≤ sqrt(d)/512 + 1/2^20 (0.002 at d = 1, 0.008
// at d = 16; below 0.1 % of d for d ≥ 4) and codes saturate at d = 63.99.
//
// Optional deviation (`skipRepeats`, default true): a query identical to a kept one at int8 precision
// (d_min = 0) adds nothing to D. An exact repeat teaches an attacker nothing, so skipping it costs no
// detection, while retries and polling by honest clients would otherwise pile zeros into D and pull W
// down. Set it to false for the paper's rule verbatim.
import { shapiroWilk } from "@argus/stats";
import { decodeInt8, encodeInt8, labelKey, quantizeInt8 } from "./codec.js";
import { codeDistance, DISTANCE_CODE_SCALE, DistanceHistory, distanceCode } from "./distance-history.js";

/** The paper's threshold on W, used when a model has no calibrated δ. */
export const PRADA_PAPER_DELTA = 0.9;

export { codeDistance, DISTANCE_CODE_SCALE, distanceCode };

/**
 * Feature-space coverage: the number of distinct occupied cells of a coarse grid over the first
 * `dims` features, counted with a linear-counting bitmap (Whang, Vander-Zanden, Taylor 1990): each
 * cell hashes to one of `bits` bits and the estimate is -bits·ln(zero bits / bits), with a standard
 * error of about 5 % up to `bits` cells and 10 % at 2·bits. A full bitmap means "more than ≈
 * bits·ln(bits) cells" (reported as saturated). Fixed size: bits / 8 bytes.
 */
export interface CoverageGridConfig {
  dims: number;
  /** Grid range per dimension; values outside fall in the edge cells. */
  lo: number;
  hi: number;
  /** Cells per dimension. */
  bins: number;
  /** Bitmap size (a multiple of 8). */
  bits: number;
}

export interface PradaConfig {
  /** Alarm when W < delta. Per model, from `calibrateDelta`; PRADA_PAPER_DELTA when not calibrated. */
  delta: number;
  /** The test runs once more than this many distances (after outlier removal) are available. */
  minDistances: number;
  /** Ring of the last distances fed to the test. */
  historyCap: number;
  /** Exact repeats (d_min = 0 at int8 precision) add nothing to D (see the module comment). */
  skipRepeats: boolean;
  /** Distances farther than this many sd from the mean are dropped before the test. */
  outlierSd: number;
  perClassCap: number;
  totalCap: number;
  /** Byte budget of all growing sets together (int8 vectors): caps the vector count for large dims. */
  growingSetBytes: number;
  maxClasses: number;
  /** int8 quantization scale of stored vectors (code = round(x * scale)). */
  vectorScale: number;
  /** Distinct labels counted for the label entropy; more go into one "other" bucket. */
  maxLabels: number;
  coverage: CoverageGridConfig;
}

/**
 * Defaults. historyCap 256 > the paper's 100-distance minimum, so the test sees up to 2.5 times the
 * minimum (W of fewer points is noisier, which costs benign clients); perClassCap 32 / totalCap 48
 * keep a whole client's growing sets at 48 vectors (384 B for 8 features, ≤ growingSetBytes 4096 B
 * for any width); vectorScale 16 suits z-scores (for min-max features in [0, 1], use 100). The
 * coverage grid spans the first 4 dimensions of z-scores, 6 cells of width 1 between -3 and 3
 * (1296 cells), counted in 256 bits.
 */
export const DEFAULT_PRADA_CONFIG: PradaConfig = {
  delta: PRADA_PAPER_DELTA,
  minDistances: 100,
  historyCap: 256,
  skipRepeats: true,
  outlierSd: 3,
  perClassCap: 32,
  totalCap: 48,
  growingSetBytes: 4096,
  maxClasses: 16,
  vectorScale: 16,
  maxLabels: 16,
  coverage: { dims: 4, lo: -3, hi: 3, bins: 6, bits: 256 },
};

/** One growing set G_c and the summary of D_{G_c}. */
export interface PradaClassState {
  /** int8 codes of the kept members, concatenated, oldest first (base64). */
  g: string;
  /**
   * D_{G_c} over every member ever added: count, Σ code², Σ code⁴ of the distance codes (the sum and
   * sum of squares of the distances times 512² and 512⁴; exact below 2^53).
   */
  k: number;
  s: number;
  q: number;
  /** floor(512 · sqrt(T_c)): compared with distance codes. */
  t: number;
}

/** Per-client PRADA state: plain JSON, bounded (see `DEFAULT_PRADA_CONFIG` and the module comment). */
export interface PradaState {
  /** Feature dimension (0 before the first query). */
  dim: number;
  /** Queries observed: the query volume companion. */
  n: number;
  /** Growing sets by class key. */
  c: Record<string, PradaClassState>;
  /** Distance history D: 12-bit distance codes, oldest first (packed, base64). */
  d: string;
  /** Smallest W computed so far (rounded to 1e-6), for calibration and evidence. */
  w?: number;
  /** Label counts (labels received = predicted classes), at most `maxLabels` keys. */
  l: Record<string, number>;
  /** Count of labels beyond the first `maxLabels` distinct ones. */
  lo: number;
  /** Coverage bitmap (base64; "" while empty). */
  cv: string;
}

export interface PradaObservation {
  state: PradaState;
  /** The Shapiro-Wilk W of this query's evaluation, when one ran. */
  w?: number;
  alarm: boolean;
  /** Distances in the history (what the test sees before outlier removal). */
  distances: number;
}

export function newPradaState(): PradaState {
  return { dim: 0, n: 0, c: {}, d: "", l: {}, lo: 0, cv: "" };
}

/** Number of vectors all growing sets together may hold for this dimension. */
export function maxGrowingVectors(dim: number, config: PradaConfig): number {
  return Math.max(1, Math.min(config.totalCap, Math.floor(config.growingSetBytes / Math.max(1, dim))));
}

/** A growing set decoded: its members' int8 codes (never changed in place: a change makes a new array). */
interface LivePradaClass {
  g: Int8Array;
  k: number;
  s: number;
  q: number;
  t: number;
}

/**
 * A client's PRADA state decoded: what a batch observes in place, query after query, and encodes
 * once when it is done (see `LiveFingerprints`).
 */
export interface LivePrada {
  dim: number;
  n: number;
  c: Record<string, LivePradaClass>;
  d: DistanceHistory;
  w?: number;
  l: Record<string, number>;
  lo: number;
  /** Coverage bitmap; undefined while empty. */
  cv: Uint8Array | undefined;
}

export function decodePrada(state: PradaState): LivePrada {
  const classes: Record<string, LivePradaClass> = {};
  for (const key in state.c) {
    const cls = state.c[key] as PradaClassState;
    classes[key] = { g: decodeInt8(cls.g), k: cls.k, s: cls.s, q: cls.q, t: cls.t };
  }
  const live: LivePrada = {
    dim: state.dim,
    n: state.n,
    c: classes,
    d: DistanceHistory.decode(state.d),
    l: { ...state.l },
    lo: state.lo,
    cv: state.cv === "" ? undefined : new Uint8Array(Buffer.from(state.cv, "base64")),
  };
  if (state.w !== undefined) live.w = state.w;
  return live;
}

export function encodePrada(live: LivePrada): PradaState {
  const classes: Record<string, PradaClassState> = {};
  for (const key in live.c) {
    const cls = live.c[key] as LivePradaClass;
    classes[key] = { g: encodeInt8(cls.g), k: cls.k, s: cls.s, q: cls.q, t: cls.t };
  }
  const state: PradaState = {
    dim: live.dim,
    n: live.n,
    c: classes,
    d: live.d.encode(),
    l: { ...live.l },
    lo: live.lo,
    cv: live.cv === undefined ? "" : Buffer.from(live.cv).toString("base64"),
  };
  if (live.w !== undefined) state.w = live.w;
  return state;
}

/**
 * Feeds one query of a client. `vector` is the normalized feature vector (fixed dimension per model),
 * `predictedClass` the label the model returned. Pure: the input state is not modified.
 * Throws RangeError when the dimension differs from the client's earlier queries (the caller resets
 * the state when a model changes shape).
 */
export function pradaObserve(
  state: PradaState,
  vector: ArrayLike<number>,
  predictedClass: string | number,
  config: PradaConfig = DEFAULT_PRADA_CONFIG,
): PradaObservation {
  checkDimension(state.dim, vector.length);
  const live = decodePrada(state);
  const observation = observePrada(live, vector, predictedClass, config);
  return { state: encodePrada(live), ...observation };
}

function checkDimension(known: number, dim: number): void {
  if (dim === 0) throw new RangeError("PRADA: empty feature vector");
  if (known !== 0 && known !== dim) {
    throw new RangeError(`PRADA: vector dimension ${dim} differs from this client's ${known}`);
  }
}

/** `pradaObserve` on decoded state, which it updates (or leaves alone when it throws). */
export function observePrada(
  live: LivePrada,
  vector: ArrayLike<number>,
  predictedClass: string | number,
  config: PradaConfig = DEFAULT_PRADA_CONFIG,
): Omit<PradaObservation, "state"> {
  const dim = vector.length;
  checkDimension(live.dim, dim);
  const code = quantizeInt8(vector, config.vectorScale);
  const key = labelKey(predictedClass);
  live.dim = dim;
  live.n += 1;
  live.cv = addCoverageCell(live.cv, code, config);
  if (live.l[key] !== undefined || Object.keys(live.l).length < config.maxLabels) {
    live.l[key] = (live.l[key] ?? 0) + 1;
  } else {
    live.lo += 1;
  }

  const cls = live.c[key];
  if (cls === undefined) {
    // First query of this class (or its set was evicted): G_c = {x}, D_{G_c} = {0}, T_c = 0.
    if (Object.keys(live.c).length >= config.maxClasses) evictSmallestClass(live.c, dim);
    live.c[key] = { g: code, k: 1, s: 0, q: 0, t: 0 };
    enforceTotalCap(live.c, dim, maxGrowingVectors(dim, config));
    return { alarm: false, distances: live.d.length };
  }

  const members = cls.g;
  let best = Number.POSITIVE_INFINITY;
  for (let offset = 0; offset < members.length; offset += dim) {
    // A member whose partial sum already reaches the best cannot be nearer: its remaining
    // coordinates are skipped (integer sums, so the minimum is the same to the bit).
    let sum = 0;
    for (let i = 0; i < dim && sum < best; ) {
      const end = Math.min(dim, i + 8);
      for (; i < end; i++) {
        const diff = (members[offset + i] as number) - (code[i] as number);
        sum += diff * diff;
      }
    }
    if (sum < best) best = sum;
  }
  const dCode = distanceCode(Math.sqrt(best) / config.vectorScale);
  if (dCode === 0 && config.skipRepeats) return { alarm: false, distances: live.d.length };
  live.d.push(dCode, config.historyCap);

  // d_min > T_c: grow G_c and D_{G_c}, T_c <- max(T_c, mean(D_{G_c}) - std(D_{G_c})). Kept exactly in
  // integers: a distance is (code / 512)^2, so D_{G_c}'s sums are Σ code^2 and Σ code^4 (scaled by
  // 512^2 and 512^4), and T_c is kept as floor(512 · sqrt(T_c)): for an integer code,
  // (code / 512)^2 > T_c exactly when code > floor(512 · sqrt(T_c)).
  if (dCode > cls.t) {
    const k = cls.k + 1;
    const c2 = dCode * dCode;
    const s = cls.s + c2;
    const q = cls.q + c2 * c2;
    const mean = s / k;
    const sd = Math.sqrt(Math.max(0, q / k - mean * mean));
    const threshold = Math.floor(Math.sqrt(Math.max(0, mean - sd)));
    const grown = new Int8Array(members.length + dim);
    grown.set(members);
    grown.set(code, members.length);
    const perClass = Math.min(config.perClassCap, maxGrowingVectors(dim, config));
    const trimmed = grown.length > perClass * dim ? grown.subarray(grown.length - perClass * dim) : grown;
    live.c[key] = { g: trimmed, k, s, q, t: Math.max(cls.t, threshold) };
    enforceTotalCap(live.c, dim, maxGrowingVectors(dim, config));
  }

  const w = live.d.test(config);
  if (w === undefined) return { alarm: false, distances: live.d.length };
  const rounded = Math.round(w * 1e6) / 1e6;
  if (live.w === undefined || rounded < live.w) live.w = rounded;
  return { w, alarm: w < config.delta, distances: live.d.length };
}

/**
 * The paper's test on a distance history (12-bit codes): drop values with |x - mean| ≥ outlierSd·sd
 * (population sd, as numpy's reject_outliers in the authors' code), and when more than
 * `minDistances` remain and they are not all equal, return Shapiro-Wilk's W.
 */
export function testDistances(codes: ArrayLike<number>, config: PradaConfig): number | undefined {
  if (codes.length <= config.minDistances) return undefined;
  const values = Float64Array.from(codes as ArrayLike<number>, codeDistance);
  return testValues(values, config);
}

/** `testDistances` on plain distances. */
export function testValues(values: ArrayLike<number>, config: PradaConfig): number | undefined {
  if (values.length <= config.minDistances) return undefined;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  const mean = sum / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += ((values[i] as number) - mean) ** 2;
  const sd = Math.sqrt(ss / values.length);
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (sd === 0 || Math.abs(x - mean) < config.outlierSd * sd) kept.push(x);
  }
  if (kept.length <= config.minDistances) return undefined;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of kept) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (hi === lo) return undefined; // W is undefined for a constant sample
  return shapiroWilk(kept).statistic;
}

/**
 * δ for one model from benign traffic: the `targetFalsePositiveRate` quantile of benign W values,
 * chosen so that at most floor(rate · n) of them lie strictly below it (alarm is W < δ). Pass one
 * value per benign client, its smallest W over the stream (`state.w`), so that the rate is per client,
 * not per evaluation. Non-finite values are ignored; with none left, the paper's 0.9 is returned.
 */
export function calibrateDelta(benignWValues: readonly number[], targetFalsePositiveRate: number): number {
  if (!(targetFalsePositiveRate >= 0 && targetFalsePositiveRate < 1)) {
    throw new RangeError("calibrateDelta: targetFalsePositiveRate must be in [0, 1)");
  }
  const sorted = benignWValues.filter((w) => Number.isFinite(w)).sort((a, b) => a - b);
  if (sorted.length === 0) return PRADA_PAPER_DELTA;
  const k = Math.min(sorted.length - 1, Math.floor(targetFalsePositiveRate * sorted.length));
  return sorted[k] as number;
}

export interface PradaCompanions {
  /** Queries observed. */
  queries: number;
  /** Estimated distinct occupied cells of the coverage grid (linear counting; see CoverageGridConfig). */
  coverageCells: number;
  coverageSaturated: boolean;
  /** Shannon entropy (bits) of the labels received; labels beyond `maxLabels` count as one. */
  labelEntropyBits: number;
  distinctLabels: number;
  /** Vectors held in all growing sets. */
  growingSet: number;
  /** Smallest W seen, if any test ran. */
  minW?: number;
}

/** The cheap per-client companions of PRADA: volume, feature-space coverage, label entropy. */
export function pradaCompanions(
  state: PradaState,
  config: PradaConfig = DEFAULT_PRADA_CONFIG,
): PradaCompanions {
  const counts = Object.values(state.l);
  if (state.lo > 0) counts.push(state.lo);
  const total = counts.reduce((a, b) => a + b, 0);
  let entropy = 0;
  for (const count of counts) {
    if (count > 0) entropy -= (count / total) * Math.log2(count / total);
  }
  let growing = 0;
  for (const cls of Object.values(state.c)) growing += Buffer.byteLength(cls.g, "base64");
  const coverage = coverageEstimate(state.cv, config.coverage.bits);
  const out: PradaCompanions = {
    queries: state.n,
    coverageCells: coverage.cells,
    coverageSaturated: coverage.saturated,
    labelEntropyBits: entropy,
    distinctLabels: Object.keys(state.l).length + (state.lo > 0 ? 1 : 0),
    growingSet: state.dim > 0 ? growing / state.dim : 0,
  };
  if (state.w !== undefined) out.minW = state.w;
  return out;
}

function coverageEstimate(bitmap: string, bits: number): { cells: number; saturated: boolean } {
  const bytes = Buffer.from(bitmap, "base64");
  let ones = 0;
  for (const byte of bytes) {
    let v = byte;
    while (v !== 0) {
      v &= v - 1;
      ones += 1;
    }
  }
  const zeros = bits - ones;
  if (zeros === 0) return { cells: Math.round(bits * Math.log(bits)), saturated: true };
  return { cells: Math.max(0, Math.round(-bits * Math.log(zeros / bits))), saturated: false };
}

function addCoverageCell(bitmap: Uint8Array | undefined, code: Int8Array, config: PradaConfig): Uint8Array {
  const { dims, lo, hi, bins, bits } = config.coverage;
  const used = Math.min(dims, code.length);
  let cell = 0;
  for (let i = used - 1; i >= 0; i--) {
    const x = (code[i] as number) / config.vectorScale;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)));
    cell = (Math.imul(cell, 31) + bin + 1) | 0;
  }
  // Fibonacci hashing of the cell id onto the bitmap (fixed, no salt: coverage is not a secret).
  const bit = (Math.imul(cell, 0x9e3779b1) >>> 0) % bits;
  const bytes = bitmap ?? new Uint8Array(bits >> 3);
  bytes[bit >> 3] = (bytes[bit >> 3] as number) | (1 << (bit & 7));
  return bytes;
}

function memberCount(cls: LivePradaClass, dim: number): number {
  return cls.g.length / dim;
}

/** Drops the class with the fewest vectors (ties: the smallest key), making room for a new class. */
function evictSmallestClass(classes: Record<string, LivePradaClass>, dim: number): void {
  let victim: string | undefined;
  let fewest = Number.POSITIVE_INFINITY;
  for (const key of Object.keys(classes).sort()) {
    const count = memberCount(classes[key] as LivePradaClass, dim);
    if (count < fewest) {
      fewest = count;
      victim = key;
    }
  }
  if (victim !== undefined) delete classes[victim];
}

/** While over `limit` vectors in total, drops the oldest vector of the largest class (ties: smallest key). */
function enforceTotalCap(classes: Record<string, LivePradaClass>, dim: number, limit: number): void {
  let total = 0;
  for (const key in classes) total += memberCount(classes[key] as LivePradaClass, dim);
  while (total > limit) {
    let largest: string | undefined;
    let most = -1;
    for (const key in classes) {
      const count = memberCount(classes[key] as LivePradaClass, dim);
      if (count > most || (count === most && key < (largest as string))) {
        largest = key;
        most = count;
      }
    }
    if (largest === undefined) return;
    const cls = classes[largest] as LivePradaClass;
    if (cls.g.length <= dim) delete classes[largest];
    else classes[largest] = { ...cls, g: cls.g.subarray(dim) };
    total -= 1;
  }
}
