/**
 * Requests per client in a sliding window of event time, kept as a ring of bucket counts (a few
 * numbers per client instead of one entry per request).
 */
export interface RateState {
  /** Start (ms) of the newest bucket. */
  headMs: number;
  /** counts[0] is the newest bucket. */
  counts: number[];
}

export interface RatePolicy {
  bucketMs: number;
  buckets: number;
  /** More requests than this within buckets × bucketMs is abuse. */
  maxRequests: number;
}

export function emptyRate(): RateState {
  return { headMs: 0, counts: [] };
}

/** Counts one request at `atMs`; returns the new state and the requests now in the window. */
export function observeRequest(
  state: RateState,
  atMs: number,
  policy: RatePolicy,
): { state: RateState; inWindow: number } {
  const bucket = Math.floor(atMs / policy.bucketMs) * policy.bucketMs;
  let { headMs, counts } = state;
  if (counts.length === 0 || bucket > headMs) {
    const shift =
      counts.length === 0 ? policy.buckets : Math.min((bucket - headMs) / policy.bucketMs, policy.buckets);
    counts = [...Array(shift).fill(0), ...counts].slice(0, policy.buckets);
    headMs = bucket;
  }
  const index = (headMs - bucket) / policy.bucketMs;
  // A request older than the window (late in event time) is not counted against the client.
  if (index >= policy.buckets) return { state: { headMs, counts }, inWindow: sum(counts) };
  counts = counts.map((count, i) => (i === index ? count + 1 : count));
  return { state: { headMs, counts }, inWindow: sum(counts) };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
