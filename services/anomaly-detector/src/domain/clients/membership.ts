// Membership-inference probing per client, from the fingerprints of `fingerprint.ts`.
//
// Label-only membership inference (Choquette-Choo, Tramèr, Carlini, Papernot, "Label-Only Membership
// Inference Attacks", ICML 2021) asks the model about many perturbed copies of each candidate record
// (data augmentations, random noise of growing scale, or a decision-boundary distance search) and
// infers membership from how robust the label is. Seen from the model, one client sends few distinct
// records, each many times with small noise: "few clusters, many copies each".
//
// Query-based adversarial search (HopSkipJump, Boundary attack; the Blacklight detector) also sends
// many near-duplicates, but as a walk: every probe is a tiny perturbation of the current iterate and
// the iterate moves, so the near-duplicates form a chain whose centroid drifts, usually with label
// changes as it crosses the decision boundary. The rule that separates the two, per cluster of n
// near-duplicates (in arrival order), with checkpoint m (a power of two times `block`, n/4 < m ≤ n/2):
//
//   drift  = | mean of members 1..m - mean of members m+1..n |
//   spread = RMS distance between consecutive members / sqrt(2)   (≈ the noise scale σ·sqrt(d))
//   stationary  if drift ≤ driftRatio · spread   -> copies of one record (membership probing)
//   drifting    if drift >  driftRatio · spread   -> a walk (boundary search, adversarial probing)
//   replay      if every member is identical       -> retries or polling, neither attack
//
// For i.i.d. noise around a fixed record, drift/spread ≈ sqrt(1/m + 1/(n - m)) · sqrt(χ²_d / d), which
// shrinks as the cluster grows (0.37 · sqrt(χ²_d/d) at n = 32, 0.29 at n = 48); noise along a single
// direction (or a cluster that merged two close records) is the worst case, ≈ 0.37 · |Z| at n = 32
// (above 1.0 with probability 0.7 %, less later). A walk's drift grows with n (≈ n/2 of its steps)
// while its consecutive distances stay small, so it crosses driftRatio = 1.0 once it has moved about
// twice its probes' noise. A slow walk looks like copies of one record until then: clusters are only
// judged from `judgeAfter` (32) members on, and the alarm needs a full window (`minQueries` 48); with
// 8 probes per step of 1/3 of the noise scale, no boundary walk of 100 simulated ones was called
// membership, while every 3-record prober was, after 89-142 queries. Label changes between consecutive members are reported as
// evidence but do not decide the kind: a label-only membership attack on a non-member record flips
// labels too.
//
// Membership alarm: among the last `window` queries (at least `minQueries` stored), the `maxClusters`
// largest stationary clusters with ≥ `minMembers` members each hold ≥ `coverage` of the queries.
// Boundary search is reported when a drifting cluster has ≥ `minMembers` members in the window. Both
// can be true for one client (the fingerprint alarm of `fingerprint.ts` fires for both, as it should:
// both are attacks made of near-duplicates).
//
// State: up to `maxTracked` clusters (only clusters with at least two members are tracked, so a
// benign client with no near-duplicates stores nothing), each with the sums of its members' int8
// codes (in total and at the checkpoints) folded to `foldDims` dimensions (coordinate i adds into
// i mod foldDims: drift in any feature shows up, and the state stays bounded for wide inputs), as
// int32 base64: about 430 bytes per tracked cluster at 16 or more features.
import { decodeInt32, encodeInt32, labelKey, quantizeInt8 } from "./codec.js";
import { type FingerprintObservation, type FingerprintState, storedClusters } from "./fingerprint.js";

export interface MembershipConfig {
  /** Last queries considered (≤ the fingerprint store's historyCap). */
  window: number;
  /** No verdict before this many queries are stored. */
  minQueries: number;
  /** Share of the window the few clusters must hold. */
  coverage: number;
  /** At most this many clusters ("few"). */
  maxClusters: number;
  /** Members each of them needs in the window ("many copies"). */
  minMembers: number;
  /** First checkpoint of the drift estimate (later ones double it). */
  block: number;
  /**
   * Members a cluster needs before it is judged (≥ 2 · block): a walk must have had time to move
   * farther than its probes' noise, which takes a few of its steps.
   */
  judgeAfter: number;
  driftRatio: number;
  maxTracked: number;
  foldDims: number;
  /** int8 scale for the tracked codes (as PRADA's). */
  vectorScale: number;
}

/**
 * Defaults: the window is the whole fingerprint store (48); "few clusters, many copies" = ≤ 4
 * clusters of ≥ 5 copies holding ≥ 80 % of it (a label-only attack needs tens of queries per record;
 * benign clients have no such clusters at all in the simulations); see the module comment for the
 * drift rule's block 6, judgeAfter 32, driftRatio 1.0. maxTracked 6 covers the 4 clusters plus
 * fragments.
 */
export const DEFAULT_MEMBERSHIP_CONFIG: MembershipConfig = {
  window: 48,
  minQueries: 48,
  coverage: 0.8,
  maxClusters: 4,
  minMembers: 5,
  block: 6,
  judgeAfter: 32,
  driftRatio: 1.0,
  maxTracked: 6,
  foldDims: 16,
  vectorScale: 16,
};

export type ClusterKind = "undetermined" | "stationary" | "drifting" | "replay";

export interface TrackedCluster {
  /** Fingerprint cluster id. */
  id: number;
  /** Members seen since tracking began (from its second member on). */
  n: number;
  /** Current checkpoint m (block · 2^j, with n < 4m). */
  a: number;
  /** Sum of the folded codes of members 1..m (int32 base64; "" before member m). */
  e: string;
  /** Sum of members 1..2m ("" before member 2m). */
  p: string;
  /** Sum of all members. */
  r: string;
  /** Folded code of the last member. */
  x: string;
  /** Sum of squared distances between consecutive members (folded code units). */
  v: number;
  /** Label changes between consecutive members. */
  f: number;
  /** Last member's label key. */
  y: string;
  /** Fingerprint query number of the last member (least recently used goes first). */
  t: number;
}

export interface MembershipState {
  t: TrackedCluster[];
}

export interface ClusterSummary {
  id: number;
  /** Members in the considered window. */
  inWindow: number;
  kind: ClusterKind;
  /** drift / spread (see the module comment); undefined until judged. */
  driftRatio?: number;
  /** Share of consecutive members whose label differs. */
  labelChangeRate: number;
}

export interface MembershipObservation {
  state: MembershipState;
  /** Membership probing: few stationary clusters with many copies each hold most of the window. */
  alarm: boolean;
  /** A drifting chain of near-duplicates (adversarial boundary search) is in the window. */
  boundarySearch: boolean;
  /** Share of the window held by the `maxClusters` largest clusters with ≥ minMembers (any kind). */
  clusteredShare: number;
  /** Share held by the largest qualifying stationary clusters (what the alarm compares to coverage). */
  stationaryShare: number;
  /** Share of the window in replay clusters (identical repeats) with ≥ minMembers members. */
  replayShare: number;
  /** The qualifying clusters (≥ minMembers in the window), largest first. */
  clusters: ClusterSummary[];
}

export function newMembershipState(): MembershipState {
  return { t: [] };
}

/** A tracked cluster with its sums decoded (undefined: not reached yet). */
interface LiveCluster {
  id: number;
  n: number;
  a: number;
  e: Int32Array | undefined;
  p: Int32Array | undefined;
  r: Int32Array;
  x: Int32Array;
  v: number;
  f: number;
  y: string;
  t: number;
}

/** A client's membership state decoded for a batch (see `LiveFingerprints`): observed in place. */
export interface LiveMembership {
  t: LiveCluster[];
}

export function decodeMembership(state: MembershipState): LiveMembership {
  return {
    t: state.t.map((c) => ({
      id: c.id,
      n: c.n,
      a: c.a,
      e: c.e === "" ? undefined : decodeInt32(c.e),
      p: c.p === "" ? undefined : decodeInt32(c.p),
      r: decodeInt32(c.r),
      x: decodeInt32(c.x),
      v: c.v,
      f: c.f,
      y: c.y,
      t: c.t,
    })),
  };
}

export function encodeMembership(live: LiveMembership): MembershipState {
  return {
    t: live.t.map((c) => ({
      id: c.id,
      n: c.n,
      a: c.a,
      e: c.e === undefined ? "" : encodeInt32(c.e),
      p: c.p === undefined ? "" : encodeInt32(c.p),
      r: encodeInt32(c.r),
      x: encodeInt32(c.x),
      v: c.v,
      f: c.f,
      y: c.y,
      t: c.t,
    })),
  };
}

/**
 * Feeds one query: `fingerprint` is the client's fingerprint state after `fingerprintObserve` of this
 * query and `observation` that call's result; `vector` and `label` are the query's normalized features
 * and the predicted label. Pure.
 */
export function membershipObserve(
  state: MembershipState,
  input: {
    fingerprint: FingerprintState;
    observation: Pick<FingerprintObservation, "cluster" | "nearDuplicates">;
    vector: ArrayLike<number>;
    label: string | number;
  },
  config: MembershipConfig = DEFAULT_MEMBERSHIP_CONFIG,
): MembershipObservation {
  const live = decodeMembership(state);
  const observation = observeMembership(
    live,
    {
      clusters: storedClusters(input.fingerprint),
      seq: input.fingerprint.n - 1,
      observation: input.observation,
      vector: input.vector,
      label: input.label,
    },
    config,
  );
  return { state: encodeMembership(live), ...observation };
}

/** Members per cluster id in the window while one query is judged (zero otherwise). */
const windowCounts = new Uint16Array(1 << 16);

/**
 * `membershipObserve` on decoded state, which it updates: `clusters` are the fingerprint store's
 * cluster ids after this query (oldest first), `seq` the query's number in that store.
 */
export function observeMembership(
  live: LiveMembership,
  input: {
    clusters: Uint16Array;
    seq: number;
    observation: Pick<FingerprintObservation, "cluster" | "nearDuplicates">;
    vector: ArrayLike<number>;
    label: string | number;
  },
  config: MembershipConfig = DEFAULT_MEMBERSHIP_CONFIG,
): Omit<MembershipObservation, "state"> {
  const { observation, seq } = input;
  const slots = input.clusters;
  // Drop tracked clusters with no member left in the fingerprint store.
  let tracked = live.t.every((c) => slots.includes(c.id))
    ? live.t
    : live.t.filter((c) => slots.includes(c.id));

  const existing = tracked.find((c) => c.id === observation.cluster);
  if (existing !== undefined || observation.nearDuplicates > 0) {
    const folded = fold(quantizeInt8(input.vector, config.vectorScale), config.foldDims);
    const key = labelKey(input.label);
    const updated = existing
      ? addMember(existing, folded, key, seq)
      : startCluster(observation.cluster, folded, key, seq, config.block);
    tracked = tracked.filter((c) => c.id !== updated.id);
    if (tracked.length >= config.maxTracked) {
      tracked.sort((a, b) => a.t - b.t || a.id - b.id);
      tracked = tracked.slice(tracked.length - config.maxTracked + 1);
    }
    tracked.push(updated);
    tracked.sort((a, b) => a.id - b.id);
  }
  live.t = tracked;

  const windowSlots = slots.subarray(Math.max(0, slots.length - config.window));
  const size = windowSlots.length;
  const qualifying: ClusterSummary[] = [];
  for (const id of windowSlots) windowCounts[id] = (windowCounts[id] as number) + 1;
  for (const id of windowSlots) {
    const inWindow = windowCounts[id] as number;
    if (inWindow === 0) continue; // counted at its first slot already
    windowCounts[id] = 0;
    if (inWindow < config.minMembers) continue;
    const cluster = tracked.find((c) => c.id === id);
    qualifying.push(summarize(id, inWindow, cluster, config));
  }
  // A total order: the order clusters were counted in does not matter.
  qualifying.sort((a, b) => b.inWindow - a.inWindow || a.id - b.id);

  const clusteredShare = shareOf(qualifying, undefined, config.maxClusters, size);
  const stationaryShare = shareOf(qualifying, "stationary", config.maxClusters, size);
  const replayShare = shareOf(qualifying, "replay", Number.POSITIVE_INFINITY, size);
  const judged = size >= config.minQueries;
  return {
    alarm: judged && stationaryShare >= config.coverage,
    boundarySearch: qualifying.some((c) => c.kind === "drifting"),
    clusteredShare,
    stationaryShare,
    replayShare,
    clusters: qualifying,
  };
}

/**
 * Members in the window of the first `most` qualifying clusters (of one kind, if given), over the
 * window's size; 0 for an empty window.
 */
function shareOf(
  qualifying: readonly ClusterSummary[],
  kind: ClusterSummary["kind"] | undefined,
  most: number,
  size: number,
): number {
  if (size === 0) return 0;
  let sum = 0;
  let counted = 0;
  for (const cluster of qualifying) {
    if (counted >= most) break;
    if (kind !== undefined && cluster.kind !== kind) continue;
    sum += cluster.inWindow;
    counted += 1;
  }
  return sum / size;
}

function summarize(
  id: number,
  inWindow: number,
  cluster: LiveCluster | undefined,
  config: MembershipConfig,
): ClusterSummary {
  if (cluster === undefined) return { id, inWindow, kind: "undetermined", labelChangeRate: 0 };
  const pairs = cluster.n - 1;
  const labelChangeRate = pairs > 0 ? cluster.f / pairs : 0;
  if (cluster.v === 0 && pairs > 0) return { id, inWindow, kind: "replay", labelChangeRate };
  if (cluster.n < Math.max(config.judgeAfter, 2 * cluster.a))
    return { id, inWindow, kind: "undetermined", labelChangeRate };
  const m = cluster.a;
  const head = cluster.e ?? new Int32Array(0);
  const total = cluster.r;
  let drift2 = 0;
  for (let i = 0; i < head.length; i++) {
    const first = (head[i] as number) / m;
    const rest = ((total[i] as number) - (head[i] as number)) / (cluster.n - m);
    drift2 += (first - rest) ** 2;
  }
  const spread = Math.sqrt(cluster.v / pairs / 2);
  const ratio = Math.sqrt(drift2) / spread;
  return {
    id,
    inWindow,
    kind: ratio > config.driftRatio ? "drifting" : "stationary",
    driftRatio: ratio,
    labelChangeRate,
  };
}

function fold(code: Int8Array, dims: number): Int32Array {
  const out = new Int32Array(Math.min(dims, code.length));
  for (let i = 0; i < code.length; i++)
    out[i % out.length] = (out[i % out.length] as number) + (code[i] as number);
  return out;
}

function startCluster(
  id: number,
  folded: Int32Array,
  label: string,
  seq: number,
  block: number,
): LiveCluster {
  return {
    id,
    n: 1,
    a: block,
    e: block === 1 ? folded : undefined,
    p: undefined,
    r: folded,
    x: folded,
    v: 0,
    f: 0,
    y: label,
    t: seq,
  };
}

// Sums are never changed in place (a checkpoint shares its array with the running sum): every
// member makes new ones.
function addMember(cluster: LiveCluster, folded: Int32Array, label: string, seq: number): LiveCluster {
  const last = cluster.x;
  let step2 = 0;
  for (let i = 0; i < folded.length; i++) step2 += ((folded[i] as number) - (last[i] as number)) ** 2;
  const n = cluster.n + 1;
  const r = add(cluster.r, folded);
  const next: LiveCluster = {
    ...cluster,
    n,
    r,
    x: folded,
    v: cluster.v + step2,
    f: cluster.f + (label === cluster.y ? 0 : 1),
    y: label,
    t: seq,
  };
  // Checkpoints: e = S(a), p = S(2a), and n < 4a; at n = 4a the checkpoint doubles.
  if (n === cluster.a) next.e = r;
  else if (n === 2 * cluster.a) next.p = r;
  else if (n === 4 * cluster.a) {
    next.a = 2 * cluster.a;
    next.e = cluster.p;
    next.p = r;
  }
  return next;
}

function add(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) + (b[i] as number);
  return out;
}
