// Cheap per-client signals judged against the model's population (population/calibration.ts).
//
// Per query, three things are counted for the client:
//   - OOD share: how many of its queries the model's profile scored above the model's per-event
//     Mahalanobis threshold (the caller passes `ood`). A Knockoff-style extractor sampling the
//     feature box, or any synthetic-data extractor, sends far more out-of-distribution queries than
//     clients drawing from the model's data.
//   - Near copies: how many of its queries have a near copy among its own recent queries (closer
//     than `nearRadius`, in units of the data's own spread; exact repeats are retries/polling and are
//     not counted at all). Membership probing (tens of noisy copies of each of dozens of records) and
//     boundary search (many small perturbations around a point) are made of near copies; clients
//     drawing from the data almost never are. The label change rate between near copies tells them
//     apart: a boundary search sits on the boundary (labels flip about half the time: 0.50-0.58
//     measured for HopSkipJump), copies of a record mostly keep its label (0-0.25 measured at noise up
//     to 5 % of each feature's scale). A label-only prober that raises its noise until labels flip
//     crosses `boundaryFlipRate` and is then reported as boundary search: still an alarm on the client.
//   - Spread: the per-coordinate variance of its recent queries (mean squared distance to the
//     recent ring / 2). A client querying one narrow customer segment has a small spread, which
//     excuses a high OOD share when that segment lies in the tail of the model-wide profile.
// Each share is judged with a one-sided binomial test (Chernoff bound, `binomialSurprise`) against
// the population's baseline share, which is the larger of its median and its 95th-percentile client
// times a margin (calibration.ts): a client must be far above almost every client of the model.
//
// Geometry: vectors are normalized (z-scored) by the caller; they are projected on `projections`
// random Gaussian directions with entries N(0, 1/dim) (fixed seed per dimension, so every replica
// agrees), which keeps distances up to a factor ≈ sqrt(projections / dim) for any dimension
// (Johnson-Lindenstrauss) and gives each coordinate a variance ≈ 1 on z-scored data. Coordinates are
// stored as 4-bit codes (step 0.5, range ±4): a ring of the last `ringSize` queries, each 8 bytes of
// codes, a 16-bit hash of its exact values (to tell exact repeats) and an 8-bit hash of its label.
import { normalDraw, seededUniform } from "@argus/stats";
import { binomialSurprise, type PopulationCalibration } from "../population/calibration.js";
import { labelKey } from "./codec.js";

export interface QuerySignalsConfig {
  projections: number;
  ringSize: number;
  /** Code step in projected units (data sd ≈ 1). */
  codeStep: number;
  /** A near copy is closer than nearRadius · sqrt(2 · projections) (≈ nearRadius × a typical pair distance). */
  nearRadius: number;
  /** Distinct queries in the ring before near copies and spread are scored. */
  minRing: number;
  /** Scored queries before a share is judged. */
  minScored: number;
  /** −ln of the binomial tail bound needed to flag (13.8 = 1e-6). */
  surprise: number;
  /** An OOD-heavy client is excused when its spread is below this fraction of the median spread. */
  narrowSpread: number;
  /**
   * A client whose queries spread wider than this many times the median client's (and than every
   * client but a few, see `wideMargin`) is sampling the feature box, not drawing from the data.
   */
  wideSpread: number;
  /** …and wider than the 95th-percentile client times this. */
  wideMargin: number;
  /** Label change rate between near copies at and above which near copies are boundary search. */
  boundaryFlipRate: number;
  /** Consecutive PRADA tests with W < δ before PRADA accuses. */
  pradaPersistence: number;
}

export const DEFAULT_QUERY_SIGNALS_CONFIG: QuerySignalsConfig = {
  projections: 16,
  ringSize: 32,
  codeStep: 0.5,
  nearRadius: 0.2,
  minRing: 8,
  minScored: 20,
  surprise: Math.log(1e6),
  narrowSpread: 0.5,
  wideSpread: 3,
  wideMargin: 1.5,
  boundaryFlipRate: 0.35,
  pradaPersistence: 10,
};

/** Per-client counters and ring: plain JSON, ≤ ringSize · 11 bytes (base64) + a few numbers. */
export interface QuerySignalsState {
  /** Queries seen. */
  n: number;
  /** OOD-scored queries and OOD count. */
  o: number;
  ok: number;
  /** Near-copy scored queries, near copies, label changes between near copies. */
  ns: number;
  nk: number;
  nf: number;
  /** Spread: sum of per-query variance estimates, and their count. */
  vs: number;
  vn: number;
  /** Consecutive PRADA tests below δ. */
  pb: number;
  /** Ring of recent queries, oldest first: per slot `projections / 2` code bytes, 2 exact-hash bytes, 1 label byte (base64). */
  r: string;
}

export function newQuerySignalsState(): QuerySignalsState {
  return { n: 0, o: 0, ok: 0, ns: 0, nk: 0, nf: 0, vs: 0, vn: 0, pb: 0, r: "" };
}

export interface QuerySignalsInput {
  vector: ArrayLike<number>;
  label: string | number;
  /** The model profile's verdict on this query (Mahalanobis score above the OOD threshold); undefined before the profile exists. */
  ood?: boolean;
  /** PRADA's W of this query's test, if one ran. */
  pradaW?: number;
}

export interface QuerySignalsVerdict {
  /** OOD share far above the population's (and the client is not a narrow segment). */
  oodExtraction: boolean;
  /** Queries spread far wider than any client drawing from the data: sampling the feature box. */
  wideExtraction: boolean;
  /** PRADA's W below the population-calibrated δ for `pradaPersistence` tests in a row. */
  pradaExtraction: boolean;
  /** Near-copy share far above the population's. */
  nearCopies: boolean;
  /** Near copies whose labels flip often: boundary search (adversarial probing). */
  boundarySearch: boolean;
  /** Near copies that keep their labels: copies of records (membership probing). */
  membershipCopies: boolean;
}

export interface QuerySignalsEvidence {
  oodShare: number;
  oodSurprise: number;
  nearShare: number;
  nearSurprise: number;
  nearFlipRate: number;
  spread?: number;
  pradaBelow: number;
}

export interface QuerySignalsObservation {
  state: QuerySignalsState;
  verdict: QuerySignalsVerdict;
  evidence: QuerySignalsEvidence;
}

const projectionCache = new Map<string, Float64Array>();

/** The last projection asked for: a model's queries ask for the same one again and again. */
let lastProjection: { dim: number; projections: number; matrix: Float64Array } = {
  dim: 0,
  projections: 0,
  matrix: new Float64Array(0),
};

/** The fixed projection for a dimension: `projections` rows of N(0, 1/dim), row-major. */
function projectionMatrix(dim: number, projections: number): Float64Array {
  if (lastProjection.dim === dim && lastProjection.projections === projections) return lastProjection.matrix;
  const key = `${dim}:${projections}`;
  let matrix = projectionCache.get(key);
  if (matrix === undefined) {
    const random = seededUniform(0x5eed0000 + dim * 131 + projections);
    matrix = Float64Array.from({ length: dim * projections }, () =>
      normalDraw(random, 0, 1 / Math.sqrt(dim)),
    );
    if (projectionCache.size > 64) projectionCache.clear();
    projectionCache.set(key, matrix);
  }
  lastProjection = { dim, projections, matrix };
  return matrix;
}

/** The 4-bit codes (0..15, code 8 = 0) of a vector's projection. */
export function projectCodes(vector: ArrayLike<number>, config: QuerySignalsConfig): Uint8Array {
  const dim = vector.length;
  const m = config.projections;
  const matrix = projectionMatrix(dim, m);
  const out = new Uint8Array(m);
  for (let j = 0; j < m; j++) {
    let u = 0;
    const row = j * dim;
    for (let i = 0; i < dim; i++) {
      const x = vector[i] as number;
      if (Number.isFinite(x)) u += (matrix[row + i] as number) * x;
    }
    out[j] = Math.max(0, Math.min(15, Math.round(u / config.codeStep) + 8));
  }
  return out;
}

const exactValue = new Float64Array(1);
const exactBytes = new Uint8Array(exactValue.buffer);
/** Where the byte of each big-endian position lies in memory (the hash has always read them big-endian). */
const bigEndianAt = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) bigEndianAt.reverse();

/** 16-bit FNV-1a of the exact float values (tells exact repeats from near copies). */
function exactHash(vector: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < vector.length; i++) {
    exactValue[0] = vector[i] as number;
    for (let b = 0; b < 8; b++)
      h = Math.imul(h ^ (exactBytes[bigEndianAt[b] as number] as number), 0x01000193);
  }
  return ((h >>> 16) ^ h) & 0xffff;
}

function labelHash(label: string | number): number {
  const key = labelKey(label);
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return ((h >>> 24) ^ h) & 0xff;
}

/**
 * A client's signals decoded: the counters, and the ring as bytes (`ringBytes` in use). What a batch
 * observes in place, query after query, and encodes once when it is done (see `LiveFingerprints`).
 */
export interface LiveSignals extends Omit<QuerySignalsState, "r"> {
  ring: Uint8Array;
  ringBytes: number;
}

export function decodeSignals(state: QuerySignalsState): LiveSignals {
  const { r, ...counters } = state;
  const ring = r === "" ? new Uint8Array(0) : new Uint8Array(Buffer.from(r, "base64"));
  return { ...counters, ring, ringBytes: ring.length };
}

export function encodeSignals(live: LiveSignals): QuerySignalsState {
  return {
    n: live.n,
    o: live.o,
    ok: live.ok,
    ns: live.ns,
    nk: live.nk,
    nf: live.nf,
    vs: live.vs,
    vn: live.vn,
    pb: live.pb,
    r: Buffer.from(live.ring.buffer, live.ring.byteOffset, live.ringBytes).toString("base64"),
  };
}

/** Feeds one query. Pure: the input state is not modified. */
export function observeQuerySignals(
  state: QuerySignalsState,
  input: QuerySignalsInput,
  calibration: PopulationCalibration,
  config: QuerySignalsConfig = DEFAULT_QUERY_SIGNALS_CONFIG,
): QuerySignalsObservation {
  const live = decodeSignals(state);
  const judged = observeSignals(live, input, calibration, config);
  return { state: encodeSignals(live), ...judged };
}

/** `observeQuerySignals` on decoded state, which it updates. */
export function observeSignals(
  live: LiveSignals,
  input: QuerySignalsInput,
  calibration: PopulationCalibration,
  config: QuerySignalsConfig = DEFAULT_QUERY_SIGNALS_CONFIG,
): Omit<QuerySignalsObservation, "state"> {
  const m = config.projections;
  const slotBytes = m / 2 + 3;
  const codes = projectCodes(input.vector, config);
  const exact = exactHash(input.vector);
  const label = labelHash(input.label);
  const ring = live.ring;
  const slots = Math.floor(live.ringBytes / slotBytes);

  live.n += 1;
  if (input.ood !== undefined) {
    live.o += 1;
    if (input.ood) live.ok += 1;
  }

  // Nearest distinct query in the ring (squared distance in code steps), mean squared distance.
  let repeat = false;
  let distinct = 0;
  let nearest = Number.POSITIVE_INFINITY;
  let nearestLabel = -1;
  let sumSquares = 0;
  for (let slot = 0; slot < slots; slot++) {
    const o = slot * slotBytes;
    const hash = (ring[o + m / 2] as number) | ((ring[o + m / 2 + 1] as number) << 8);
    let d2 = 0;
    for (let j = 0; j < m / 2; j++) {
      const byte = ring[o + j] as number;
      const a = (byte & 0x0f) - (codes[2 * j] as number);
      const b = (byte >> 4) - (codes[2 * j + 1] as number);
      d2 += a * a + b * b;
    }
    if (hash === exact && d2 === 0) {
      repeat = true;
      continue;
    }
    distinct += 1;
    sumSquares += d2;
    if (d2 < nearest) {
      nearest = d2;
      nearestLabel = ring[o + m / 2 + 2] as number;
    }
  }
  if (!repeat && distinct >= config.minRing) {
    const step2 = config.codeStep * config.codeStep;
    const radius2 = config.nearRadius * config.nearRadius * 2 * m;
    live.ns += 1;
    if (nearest * step2 <= radius2) {
      live.nk += 1;
      if (nearestLabel !== label) live.nf += 1;
    }
    live.vs += (sumSquares * step2) / distinct / (2 * m);
    live.vn += 1;
  }

  // Append to the ring (an exact repeat too: a polling client's ring holds its polled query).
  const keep = Math.min(slots, config.ringSize - 1);
  const dropped = slots - keep;
  if (dropped > 0) ring.copyWithin(0, dropped * slotBytes, slots * slotBytes);
  if (ring.length < (keep + 1) * slotBytes) {
    live.ring = new Uint8Array(Math.max(config.ringSize, keep + 1) * slotBytes);
    live.ring.set(ring.subarray(0, keep * slotBytes));
  }
  const out = live.ring;
  const o = keep * slotBytes;
  for (let j = 0; j < m / 2; j++) out[o + j] = (codes[2 * j] as number) | ((codes[2 * j + 1] as number) << 4);
  out[o + m / 2] = exact & 0xff;
  out[o + m / 2 + 1] = exact >> 8;
  out[o + m / 2 + 2] = label;
  live.ringBytes = (keep + 1) * slotBytes;

  if (input.pradaW !== undefined) live.pb = input.pradaW < calibration.pradaDelta ? live.pb + 1 : 0;
  return judgeSignals(live, calibration, config);
}

/** The verdicts and evidence of a client's current counters. Pure. */
export function judgeSignals(
  state: Omit<QuerySignalsState, "r">,
  calibration: PopulationCalibration,
  config: QuerySignalsConfig = DEFAULT_QUERY_SIGNALS_CONFIG,
): { verdict: QuerySignalsVerdict; evidence: QuerySignalsEvidence } {
  const spread = state.vn > 0 ? state.vs / state.vn : undefined;
  const oodSurprise =
    state.o >= config.minScored ? binomialSurprise(state.ok, state.o, calibration.ood.baseline) : 0;
  const nearSurprise =
    state.ns >= config.minScored ? binomialSurprise(state.nk, state.ns, calibration.near.baseline) : 0;
  const narrow =
    spread !== undefined &&
    calibration.spreadMedian > 0 &&
    spread < config.narrowSpread * calibration.spreadMedian;
  // Shares are judged only against a calibrated population: before it, what counts as "many near
  // copies" or "often out of distribution" depends too much on the model's data to guess.
  const nearCopies = calibration.calibrated && nearSurprise > config.surprise;
  const nearFlipRate = state.nk > 0 ? state.nf / state.nk : 0;
  const wide =
    calibration.calibrated &&
    spread !== undefined &&
    state.vn >= config.minScored &&
    calibration.spreadMedian > 0 &&
    spread >
      Math.max(config.wideSpread * calibration.spreadMedian, config.wideMargin * calibration.spreadHigh);
  const evidence: QuerySignalsEvidence = {
    oodShare: state.o > 0 ? state.ok / state.o : 0,
    oodSurprise,
    nearShare: state.ns > 0 ? state.nk / state.ns : 0,
    nearSurprise,
    nearFlipRate,
    pradaBelow: state.pb,
  };
  if (spread !== undefined) evidence.spread = spread;
  return {
    verdict: {
      oodExtraction: calibration.calibrated && oodSurprise > config.surprise && !narrow,
      wideExtraction: wide,
      pradaExtraction: state.pb >= config.pradaPersistence,
      nearCopies,
      boundarySearch: nearCopies && nearFlipRate >= config.boundaryFlipRate,
      membershipCopies: nearCopies && nearFlipRate < config.boundaryFlipRate,
    },
    evidence,
  };
}
