// The population summary of one model on one partition: what calibration needs to know about the
// model's clients, as plain bounded JSON that any replica can read and merge across partitions.
//
// It is a bottom-k sample of clients (Cohen & Kaplan, "Summarizing data using bottom-k sketches",
// PODC 2007): per epoch of event time, the `sampleSize` clients with the smallest digests, each with
// its latest snapshot. Why a client sample rather than sketches of values: the statistics calibration
// needs are statistics *of clients* (the median client's rate, the 95th-percentile client's OOD share,
// the spread of benign clients' PRADA W). A sketch fed by snapshots counts snapshots, so a busy client
// snapshotted every batch would outweigh a quiet one; a sample keyed by digest holds each client once
// (its latest snapshot replaces the older one), all statistics come from the same clients, and a
// digest is a uniform hash, so the k smallest digests are a uniform random sample of the clients that
// an attacker cannot steer (the digest is salted by the caller).
//
// Merge is exact: per epoch, the union of the parts' entries (for a digest present twice, the later
// snapshot wins: larger atMs, then larger query count, then the larger encoded entry, a total order),
// then the k smallest digests; only the `epochsKept` newest epochs survive. The bottom-k of a union is
// the bottom-k of the union of bottom-ks, and "latest wins" and "newest epochs" are maxima under total
// orders, so merging is associative and commutative, and 12 partitions merged hold exactly what one
// partition fed the same snapshots would.

/** One client's contribution: what its detectors know about it at `atMs`. */
export interface ClientSnapshot {
  /** Salted digest of (tenant, model, client): hex, compared as strings. Never the client id itself. */
  digest: string;
  /** Event time of the snapshot (ms). */
  atMs: number;
  /** The client's long-run request rate (requests per minute), from `relativeRateSnapshot`. */
  ratePerMin: number;
  /** Queries the query detectors saw. */
  queries: number;
  /** Queries scored against the model's OOD threshold, and how many exceeded it. */
  oodScored: number;
  oodCount: number;
  /** Queries with enough history to look for a near copy, and how many had one. */
  nearScored: number;
  nearCount: number;
  /** Per-coordinate variance of the client's recent queries (spread; see clients/signals.ts). */
  spread?: number;
  /** Smallest PRADA W over the client's stream, once a test ran. */
  minW?: number;
}

/**
 * A snapshot as stored: [atMs, ratePerMin, queries, oodScored, oodCount, nearScored, nearCount,
 * spread (-1 = none), minW (-1 = none)]. Arrays keep the JSON small (≈ 60 bytes a client).
 */
export type PopulationEntry = [number, number, number, number, number, number, number, number, number];

export interface PopulationSummary {
  v: 1;
  /** Epoch number (floor(atMs / epochMs)) -> client digest -> latest snapshot in that epoch. */
  epochs: Record<string, Record<string, PopulationEntry>>;
}

export interface PopulationSummaryPolicy {
  /** Length of an epoch of event time: clients not seen for about two epochs leave the sample. */
  epochMs: number;
  /** Newest epochs kept (the current one and the ones before it). */
  epochsKept: number;
  /** Clients kept per epoch (the smallest digests). */
  sampleSize: number;
}

/** 15-minute epochs, two kept (so between 15 and 30 minutes of clients), 256 clients each (≈ 30 KB). */
export const DEFAULT_POPULATION_SUMMARY_POLICY: PopulationSummaryPolicy = {
  epochMs: 15 * 60_000,
  epochsKept: 2,
  sampleSize: 256,
};

export function emptyPopulation(): PopulationSummary {
  return { v: 1, epochs: {} };
}

export function encodeSnapshot(s: ClientSnapshot): PopulationEntry {
  return [
    s.atMs,
    round6(s.ratePerMin),
    s.queries,
    s.oodScored,
    s.oodCount,
    s.nearScored,
    s.nearCount,
    s.spread === undefined ? -1 : round6(s.spread),
    s.minW === undefined ? -1 : round6(s.minW),
  ];
}

export function decodeEntry(digest: string, e: PopulationEntry): ClientSnapshot {
  const out: ClientSnapshot = {
    digest,
    atMs: e[0],
    ratePerMin: e[1],
    queries: e[2],
    oodScored: e[3],
    oodCount: e[4],
    nearScored: e[5],
    nearCount: e[6],
  };
  if (e[7] >= 0) out.spread = e[7];
  if (e[8] >= 0) out.minW = e[8];
  return out;
}

/**
 * Adds (or refreshes) clients' snapshots. Call it once per batch with one snapshot per client that
 * had queries in the batch (`clientSnapshot(...)`). Pure: the input is not modified. Equivalent to
 * merging a summary of just these snapshots, at O(sampleSize) per epoch touched.
 */
export function updatePopulation(
  summary: PopulationSummary,
  snapshots: readonly ClientSnapshot[],
  policy: PopulationSummaryPolicy = DEFAULT_POPULATION_SUMMARY_POLICY,
): PopulationSummary {
  const epochs: Record<string, Record<string, PopulationEntry>> = { ...summary.epochs };
  const copied = new Set<string>();
  for (const snapshot of snapshots) {
    const epoch = String(Math.floor(snapshot.atMs / policy.epochMs));
    if (!copied.has(epoch)) {
      epochs[epoch] = { ...(epochs[epoch] ?? {}) };
      copied.add(epoch);
    }
    const entries = epochs[epoch] as Record<string, PopulationEntry>;
    const entry = encodeSnapshot(snapshot);
    const existing = entries[snapshot.digest];
    if (existing !== undefined) {
      if (laterEntry(entry, existing)) entries[snapshot.digest] = entry;
      continue;
    }
    entries[snapshot.digest] = entry;
    const digests = Object.keys(entries);
    if (digests.length > policy.sampleSize) {
      let largest = digests[0] as string;
      for (const d of digests) if (d > largest) largest = d;
      delete entries[largest];
    }
  }
  const newest = Object.keys(epochs)
    .map(Number)
    .sort((a, b) => b - a)
    .slice(0, policy.epochsKept);
  const out: Record<string, Record<string, PopulationEntry>> = {};
  for (const id of newest.sort((a, b) => a - b))
    out[String(id)] = epochs[String(id)] as Record<string, PopulationEntry>;
  return { v: 1, epochs: out };
}

/** Exact, associative and commutative merge of partition summaries (see the module comment). */
export function mergePopulations(
  parts: readonly PopulationSummary[],
  policy: PopulationSummaryPolicy = DEFAULT_POPULATION_SUMMARY_POLICY,
): PopulationSummary {
  const epochIds = new Set<number>();
  for (const part of parts) for (const id of Object.keys(part.epochs)) epochIds.add(Number(id));
  const kept = [...epochIds].sort((a, b) => b - a).slice(0, policy.epochsKept);
  const epochs: Record<string, Record<string, PopulationEntry>> = {};
  for (const id of kept.sort((a, b) => a - b)) {
    const merged = new Map<string, PopulationEntry>();
    for (const part of parts) {
      const entries = part.epochs[String(id)];
      if (entries === undefined) continue;
      for (const [digest, entry] of Object.entries(entries)) {
        const existing = merged.get(digest);
        if (existing === undefined || laterEntry(entry, existing)) merged.set(digest, entry);
      }
    }
    const digests = [...merged.keys()].sort().slice(0, policy.sampleSize);
    const out: Record<string, PopulationEntry> = {};
    for (const digest of digests) out[digest] = merged.get(digest) as PopulationEntry;
    epochs[String(id)] = out;
  }
  return { v: 1, epochs };
}

/** The sampled clients over the kept epochs, each once (its latest snapshot). */
export function populationClients(summary: PopulationSummary): ClientSnapshot[] {
  const latest = new Map<string, PopulationEntry>();
  for (const id of Object.keys(summary.epochs).sort((a, b) => Number(a) - Number(b))) {
    for (const [digest, entry] of Object.entries(summary.epochs[id] ?? {})) {
      const existing = latest.get(digest);
      if (existing === undefined || laterEntry(entry, existing)) latest.set(digest, entry);
    }
  }
  return [...latest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([d, e]) => decodeEntry(d, e));
}

/** Total order "a is a later snapshot than b": time, then queries, then the encoded entry. */
function laterEntry(a: PopulationEntry, b: PopulationEntry): boolean {
  if (a[0] !== b[0]) return a[0] > b[0];
  if (a[2] !== b[2]) return a[2] > b[2];
  return JSON.stringify(a) > JSON.stringify(b);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
