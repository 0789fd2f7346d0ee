// Query fingerprints and per-client near-duplicate counting against query-based adversarial probing.
//
// Li, Shan, Wenger, Zhang, Zheng, Zhao, "Blacklight: Scalable Defense for Neural Networks against
// Query-Based Black-Box Attacks", USENIX Security 2022; and Chen, Carlini, Wagner, "Stateful Detection
// of Black-Box Adversarial Examples", 2019. Black-box attacks (HopSkipJump, Boundary, NES, ...) need
// many queries that are tiny perturbations of one another; benign clients almost never send two
// nearly identical inputs. Blacklight's probabilistic fingerprint: quantize the input, slide a window
// over the quantized values, hash every window with a secret salt (SHA-256), and keep the top-N hash
// values; two queries whose fingerprints share at least `threshold` hashes are near-duplicates.
//
// Adaptation to tabular feature vectors (d ≈ 10-100, normalized by the caller): the paper's defaults
// (window 20, top 50, quantization step 50 of a 0-255 pixel, threshold 25 of 50) are for images with
// thousands of values, where even a 20-wide window is a tiny fraction of the input. Here a vector of 8
// features has only 6 windows of 3, so: step 0.25 in normalized (z) units (a 50-of-255 step would put
// a whole standard deviation in one bucket and make unrelated benign queries collide), window 3,
// top 16 (every window for d ≤ 18, a MinHash-style sample of the windows above), threshold = half of
// the hashes kept (the paper's 25 of 50). Each window's hash also covers its start position: tabular
// features are not translation-invariant like pixels, so the same values in other columns must not
// match. All of it is configurable. A perturbation smaller than the step leaves most windows
// unchanged; one that moves many features by more than a step is not detected (as in the paper, the
// quantization step is the tolerance).
//
// Per client: a ring of the last `historyCap` fingerprints, each stored as its hashes' low 12 bits
// (1.5 bytes a hash). Two unrelated queries with k hashes each share a spurious 12-bit value with
// probability ≈ k²/4096 (0.9 % for k = 6) and `threshold` spurious ones with probability
// ≈ C(k², threshold)/4096^threshold (1e-7 for k = 6, threshold 3; less for larger k), so truncation
// adds no practical false near-duplicates; a cluster id per stored query (for the membership
// detector: a query joins the largest cluster among its near-duplicates and merges the others into
// it; ids are the query number of the cluster's first query, mod 2^16); and a bitmask of which of
// the last 32 queries had a near-duplicate. Alarm: more than `alarmCount` of the
// last `alarmWindow` queries each had at least one near-duplicate among the stored ones.
import { hash } from "node:crypto";
import { decodeUint12, decodeUint16, encodeUint12, encodeUint16 } from "./codec.js";
import { WindowHashMemo } from "./window-hash-memo.js";
import { WindowHashTable } from "./window-hash-table.js";

export interface FingerprintConfig {
  /** Secret salt (from config): without it an attacker cannot predict which windows collide. */
  salt: string;
  /** Quantization step in normalized units: value -> floor(x / step). */
  quantStep: number;
  /** Consecutive quantized values per hashed window. */
  window: number;
  /** Hashes kept per query (the largest values). */
  topN: number;
  /** Shared hashes needed for a near-duplicate; default ceil(matchFraction · hashes per query). */
  threshold?: number;
  matchFraction: number;
  /** Fingerprints kept per client. */
  historyCap: number;
  /** Alarm when more than `alarmCount` of the last `alarmWindow` (≤ 32) queries had a near-duplicate. */
  alarmWindow: number;
  alarmCount: number;
}

export const DEFAULT_FINGERPRINT_CONFIG: Omit<FingerprintConfig, "salt"> = {
  quantStep: 0.25,
  window: 3,
  topN: 16,
  matchFraction: 0.5,
  historyCap: 48,
  alarmWindow: 32,
  alarmCount: 8,
};

/** Per-client fingerprint store: plain JSON, historyCap · (1.5 · topN + 2) bytes at most, base64'd. */
export interface FingerprintState {
  /** Queries observed. */
  n: number;
  /** Hashes per stored query (0 before the first); a change of it (new config or dimension) resets the store. */
  k: number;
  /** Low 12 bits of each stored query's hashes, ascending per query, queries oldest first (packed base64). */
  h: string;
  /** Cluster id per stored query (uint16 base64): the id of the query that started its cluster. */
  c: string;
  /** Bit i set: the query i places before the latest had a near-duplicate (last 32 queries). */
  b: number;
}

export interface FingerprintObservation {
  state: FingerprintState;
  /** Earlier stored queries sharing at least `threshold` hashes with this one (Blacklight's match count). */
  nearDuplicates: number;
  alarm: boolean;
  /** Queries among the last `alarmWindow` that had a near-duplicate (this one included). */
  flagged: number;
  /** Cluster of this query: the largest cluster among its near-duplicates (merging them), else a new one (its own id). */
  cluster: number;
}

export function newFingerprintState(): FingerprintState {
  return { n: 0, k: 0, h: "", c: "", b: 0 };
}

const saltPrefixes = new Map<string, Buffer>();

/** The bytes every window's hash starts with: a version tag and the salt. */
function saltPrefix(salt: string): Buffer {
  let prefix = saltPrefixes.get(salt);
  if (prefix === undefined) {
    prefix = Buffer.from(`argus-blacklight-v1\0${salt}\0`, "utf8");
    if (saltPrefixes.size > 16) saltPrefixes.clear();
    saltPrefixes.set(salt, prefix);
  }
  return prefix;
}

/**
 * Window hashes already computed, per salt and position (the first 128 positions): dense tables for
 * windows of three central buckets (128 KB each, ~3.6 MB at 30 features, see window-hash-table.ts)
 * and hashed memos for the others (~0.4 MB each, created on a position's first such window).
 */
interface WindowCaches {
  tables: WindowHashTable[];
  memos: WindowHashMemo[];
}
const windowCaches = new Map<string, WindowCaches>();
const MEMO_POSITIONS = 128;

/** The caches of a salt's window positions (created as they are first used). */
function windowCachesOf(salt: string): WindowCaches {
  let caches = windowCaches.get(salt);
  if (caches === undefined) {
    if (windowCaches.size > 16) windowCaches.clear();
    caches = { tables: [], memos: [] };
    windowCaches.set(salt, caches);
  }
  return caches;
}

/** (up to 3 buckets in −127..127, the width) as one integer below 2^26, or −1 when it does not fit. */
function memoKey(buckets: Int32Array, start: number, width: number): number {
  let packed = 0;
  for (let j = 0; j < width; j++) {
    const bucket = buckets[start + j] as number;
    if (bucket < -127 || bucket > 127) return -1;
    packed = (packed << 8) | (bucket + 128);
  }
  // The width is part of the key: windows of different widths never share a packed value.
  return packed * 4 + width;
}

/** Largest quantized magnitude: keeps int32 serialization exact for absurd inputs. */
const MAX_BUCKET = 1 << 30;

// Scratch space of `fingerprint`, reused across calls (it returns a fresh array): a query's
// buckets and window hashes, and the hashed message of the last salt and width.
let bucketScratch = new Int32Array(64);
let hashScratch = new Uint32Array(64);
let message = { salt: "", width: 0, bytes: Buffer.alloc(0) };

/** prefix + position + window: the bytes every window's SHA-256 covers, the prefix written once. */
function messageFor(salt: string, width: number): Buffer {
  if (message.salt !== salt || message.width !== width) {
    const prefix = saltPrefix(salt);
    const bytes = Buffer.alloc(prefix.length + 4 + width * 4);
    prefix.copy(bytes, 0);
    message = { salt, width, bytes };
  }
  return message.bytes;
}

/**
 * The probabilistic fingerprint of one normalized feature vector: the `topN` largest 32-bit hash
 * values (descending) of its salted, position-tagged windows of `window` quantized values. A vector
 * no longer than the window is one window. NaN quantizes to bucket 0. Deterministic for a given salt.
 */
export function fingerprint(
  vector: ArrayLike<number>,
  config: Pick<FingerprintConfig, "salt" | "quantStep" | "window" | "topN">,
): number[] {
  const dim = vector.length;
  if (bucketScratch.length < dim) bucketScratch = new Int32Array(2 * dim);
  const buckets = bucketScratch;
  for (let i = 0; i < dim; i++) {
    const x = (vector[i] as number) / config.quantStep;
    buckets[i] = Number.isNaN(x) ? 0 : Math.max(-MAX_BUCKET, Math.min(MAX_BUCKET, Math.floor(x)));
  }
  const width = Math.max(1, Math.min(config.window, dim));
  const windows = Math.max(0, dim - width + 1);
  if (hashScratch.length < windows) hashScratch = new Uint32Array(2 * windows);
  const hashes = hashScratch.subarray(0, windows);
  // One-shot SHA-256 of prefix + window per window: the same bytes as absorbing the salt once and
  // copying that state (the former way, so stored fingerprints stay valid), a third cheaper without
  // a Hash object per window.
  const bytes = messageFor(config.salt, width);
  const at = bytes.length - 4 - width * 4;
  const caches = windowCachesOf(config.salt);
  for (let start = 0; start < windows; start++) {
    let index = -1;
    let key = -1;
    let table: WindowHashTable | undefined;
    let memo: WindowHashMemo | undefined;
    if (start < MEMO_POSITIONS) {
      if (width === 3)
        index = WindowHashTable.indexOf(
          buckets[start] as number,
          buckets[start + 1] as number,
          buckets[start + 2] as number,
        );
      if (index >= 0) {
        table = caches.tables[start];
        if (table === undefined) {
          table = new WindowHashTable();
          caches.tables[start] = table;
        }
      } else {
        key = width <= 3 ? memoKey(buckets, start, width) : -1;
        if (key >= 0) {
          memo = caches.memos[start];
          if (memo === undefined) {
            memo = new WindowHashMemo();
            caches.memos[start] = memo;
          }
        }
      }
    }
    const known = table !== undefined ? table.get(index) : memo !== undefined ? memo.get(key) : -1;
    if (known >= 0) {
      hashes[start] = known;
      continue;
    }
    bytes.writeUInt32LE(start, at);
    for (let j = 0; j < width; j++) bytes.writeInt32LE(buckets[start + j] as number, at + 4 + j * 4);
    const value = hash("sha256", bytes, "buffer").readUInt32BE(0);
    if (table !== undefined) table.set(index, value);
    else memo?.set(key, value);
    hashes[start] = value;
  }
  return largestDescending(hashes, Math.min(config.topN, windows));
}

/** The kept values while `largestDescending` selects them (a typed array: no growth, no boxing). */
let topScratch = new Float64Array(16);

/**
 * The `count` largest values, descending, by insertion into the kept list: for a few dozen windows
 * several times cheaper than sorting a typed array.
 */
function largestDescending(values: Uint32Array, count: number): number[] {
  if (count <= 0) return [];
  if (topScratch.length < count) topScratch = new Float64Array(count);
  const top = topScratch;
  let kept = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (kept === count && value <= (top[count - 1] as number)) continue;
    let j = kept < count ? kept++ : count - 1;
    while (j > 0 && (top[j - 1] as number) < value) {
      top[j] = top[j - 1] as number;
      j--;
    }
    top[j] = value;
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(top[i] as number);
  return out;
}

/** Shared hashes needed to call two fingerprints of `k` hashes near-duplicates. */
export function matchThreshold(
  k: number,
  config: Pick<FingerprintConfig, "threshold" | "matchFraction">,
): number {
  return Math.max(1, config.threshold ?? Math.ceil(config.matchFraction * k));
}

/**
 * A client's fingerprint store decoded: what a batch observes in place, query after query, and
 * encodes once when it is done (decoding and re-encoding ~1.5 KB of packed hashes per query cost
 * more than matching them).
 */
export interface LiveFingerprints {
  n: number;
  k: number;
  /** Low 12 bits of the stored queries' hashes, ascending per query, oldest first: `slots · k` in use. */
  hashes: Uint16Array;
  /** Cluster id per stored query: `slots` in use. */
  clusters: Uint16Array;
  slots: number;
  b: number;
}

export function decodeFingerprints(state: FingerprintState): LiveFingerprints {
  const clusters = decodeUint16(state.c);
  return {
    n: state.n,
    k: state.k,
    hashes: decodeUint12(state.h),
    clusters,
    slots: clusters.length,
    b: state.b,
  };
}

export function encodeFingerprints(live: LiveFingerprints): FingerprintState {
  return {
    n: live.n,
    k: live.k,
    h: encodeUint12(live.hashes.subarray(0, live.slots * live.k)),
    c: encodeUint16(live.clusters.subarray(0, live.slots)),
    b: live.b,
  };
}

/** Cluster ids of the stored queries, oldest first (a view: valid until the next observation). */
export function liveClusters(live: LiveFingerprints): Uint16Array {
  return live.clusters.subarray(0, live.slots);
}

/**
 * Feeds one query's fingerprint (from `fingerprint`) into the client's store. Counts the stored
 * queries that share at least `threshold` hashes with it, assigns it a cluster, appends it (dropping
 * the oldest beyond `historyCap`) and evaluates the repeated-near-duplicates alarm. Pure.
 */
export function fingerprintObserve(
  state: FingerprintState,
  hashes: readonly number[],
  config: FingerprintConfig,
): FingerprintObservation {
  const live = decodeFingerprints(state);
  const observation = observeFingerprints(live, hashes, config);
  return { state: encodeFingerprints(live), ...observation };
}

/** `fingerprintObserve` on a decoded store, which it updates. */
export function observeFingerprints(
  live: LiveFingerprints,
  hashes: readonly number[],
  config: FingerprintConfig,
): Omit<FingerprintObservation, "state"> {
  const k = hashes.length;
  const low = lowBitsAscending(hashes);
  const sameShape = live.k === k;
  if (!sameShape) {
    live.k = k;
    live.slots = 0;
    live.b = 0;
  }
  const stored = live.hashes;
  const clusters = live.clusters;
  const slots = live.slots;
  const threshold = matchThreshold(k, config);

  let nearDuplicates = 0;
  let matched: Set<number> | undefined;
  for (const value of low) queryCounts[value] = (queryCounts[value] as number) + 1;
  for (let slot = 0; slot < slots; slot++) {
    if (sharedWithQuery(stored, slot * k, k) >= threshold) {
      nearDuplicates += 1;
      matched ??= new Set();
      matched.add(clusters[slot] as number);
    }
  }
  for (const value of low) queryCounts[value] = 0;
  // The query joins the largest matched cluster (ties: the one matched last); when it bridges
  // several clusters they merge into that one (fragments of one record, split where its noisy
  // copies straddle quantization edges, become one cluster again).
  let cluster = live.n & 0xffff;
  if (matched !== undefined) {
    const sizes = new Map<number, number>();
    for (let slot = 0; slot < slots; slot++) {
      const id = clusters[slot] as number;
      if (matched.has(id)) sizes.set(id, (sizes.get(id) ?? 0) + 1);
    }
    let largest = -1;
    for (let slot = slots - 1; slot >= 0; slot--) {
      const id = clusters[slot] as number;
      if (matched.has(id) && (largest < 0 || (sizes.get(id) ?? 0) > (sizes.get(largest) ?? 0))) largest = id;
    }
    cluster = largest;
    if (matched.size > 1)
      for (let slot = 0; slot < slots; slot++)
        if (matched.has(clusters[slot] as number)) clusters[slot] = cluster;
  }

  const window = Math.max(1, Math.min(32, config.alarmWindow));
  const mask = window === 32 ? 0xffffffff : (1 << window) - 1;
  const bits = ((live.b << 1) | (nearDuplicates > 0 ? 1 : 0)) & mask;
  const flagged = popcount(bits >>> 0);

  const keep = Math.max(0, Math.min(slots, config.historyCap - 1));
  const dropped = slots - keep;
  if (dropped > 0) {
    stored.copyWithin(0, dropped * k, slots * k);
    clusters.copyWithin(0, dropped, slots);
  }
  if (stored.length < (keep + 1) * k) {
    live.hashes = new Uint16Array(Math.max(config.historyCap, keep + 1) * k);
    live.hashes.set(stored.subarray(0, keep * k));
  }
  if (clusters.length < keep + 1) {
    live.clusters = new Uint16Array(Math.max(config.historyCap, keep + 1));
    live.clusters.set(clusters.subarray(0, keep));
  }
  live.hashes.set(low, keep * k);
  live.clusters[keep] = cluster;
  live.slots = keep + 1;
  live.n += 1;
  live.b = bits >>> 0;

  return { nearDuplicates, alarm: flagged > config.alarmCount, flagged, cluster };
}

/** Cluster ids of the stored queries, oldest first (for the membership detector). */
export function storedClusters(state: FingerprintState): Uint16Array {
  return decodeUint16(state.c);
}

/** A query's hashes' low 12 bits, ascending (insertion sort: a few dozen values at most). */
function lowBitsAscending(hashes: readonly number[]): Uint16Array {
  const low = new Uint16Array(hashes.length);
  for (let i = 0; i < hashes.length; i++) {
    const value = (hashes[i] as number) & 0xfff;
    let j = i;
    for (; j > 0 && (low[j - 1] as number) > value; j--) low[j] = low[j - 1] as number;
    low[j] = value;
  }
  return low;
}

/**
 * How often each 12-bit value occurs among the query's hashes while a query is matched (zero
 * otherwise): a stored query is compared with one lookup per hash instead of a merge of two lists.
 */
const queryCounts = new Uint16Array(4096);

/**
 * Size of the multiset intersection of the query (in `queryCounts`) with the sorted run
 * b[offset, offset + length): each value counts as often as it occurs in both.
 */
function sharedWithQuery(b: Uint16Array, offset: number, length: number): number {
  const end = offset + length;
  let shared = 0;
  let previous = -1;
  let run = 0;
  for (let j = offset; j < end; j++) {
    const value = b[j] as number;
    run = value === previous ? run + 1 : 1;
    previous = value;
    if (run <= (queryCounts[value] as number)) shared += 1;
  }
  return shared;
}

function popcount(x: number): number {
  let v = x >>> 0;
  let count = 0;
  while (v !== 0) {
    v &= v - 1;
    count += 1;
  }
  return count;
}
