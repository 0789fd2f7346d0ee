// A client's contribution to its model's population summary, from its per-client state.
import type { ClientState } from "../clients/client.js";
import { type RelativeRatePolicy, type RelativeRateState, relativeRateSnapshot } from "../rate.js";
import type { ClientSnapshot } from "./summary.js";

/**
 * The snapshot of one client: call it once per client per batch, after the client's requests and
 * queries of the batch, and pass the snapshots of the batch to `updatePopulation`. `digest` is the
 * caller's salted digest of (tenant, model, client); `detectors` is absent while the model's features
 * are not normalized yet (then only the rate counts).
 */
export function clientSnapshot(input: {
  digest: string;
  atMs: number;
  rate: RelativeRateState;
  detectors?: ClientState;
  ratePolicy?: RelativeRatePolicy;
}): ClientSnapshot {
  const signals = input.detectors?.s;
  const snapshot: ClientSnapshot = {
    digest: input.digest,
    atMs: input.atMs,
    ratePerMin: relativeRateSnapshot(input.rate, input.ratePolicy),
    queries: signals?.n ?? input.detectors?.p.n ?? 0,
    oodScored: signals?.o ?? 0,
    oodCount: signals?.ok ?? 0,
    nearScored: signals?.ns ?? 0,
    nearCount: signals?.nk ?? 0,
  };
  if (signals !== undefined && signals.vn > 0) snapshot.spread = signals.vs / signals.vn;
  if (input.detectors?.p.w !== undefined) snapshot.minW = input.detectors.p.w;
  return snapshot;
}
