import type { InferenceEvent } from "@argus/proto";
import {
  applyFencedWith,
  type FencedCommand,
  inSpan,
  type OffsetFence,
  type OutgoingFinding,
  type PublishFindings,
  partitionHashTag,
  type RecordBatch,
  runGuarded,
  type Tracer,
} from "@argus/runtime";
import type { ClientState } from "../domain/client-state.js";
import { type DetectPolicies, detectBatch } from "../domain/detect-batch.js";
import { riskNow } from "../domain/risk.js";
import type { AnomalyStore, ClientId, ModelId } from "./anomaly-store.js";

export interface InferenceHandlerDeps {
  store: AnomalyStore;
  fence: OffsetFence;
  tracer: Tracer;
  publish: PublishFindings;
  policies: DetectPolicies;
  /** Where a confident prediction waits for the labels of the poisoning check. */
  confidentPrediction: { keyOf: (modelId: string, requestId: string) => string; ttlMs: number };
  clock: () => number;
}

/**
 * The anomaly-detector's inference handler, in three beats: load the partition's state (its clients,
 * its share of each model, the models' merged view) → `detectBatch` (pure) → publish the findings,
 * dead-letter the records no detector could handle, and store the plan in one fenced script.
 *
 * Findings are published before the write, with ids derived from the record, so a replay republishes
 * the same ids (ignored by the alerter) instead of losing them. A client erased (EraseClient) after
 * the batch read it is not written back (its erasure mark is a condition of the write).
 */
export function createInferenceHandler(
  deps: InferenceHandlerDeps,
): (batch: RecordBatch<InferenceEvent>) => Promise<void> {
  const { store } = deps;
  return async (batch) => {
    const tag = partitionHashTag(batch.topic, batch.partition);
    await store.registerPartition(tag);
    await applyFencedWith(deps.fence, batch, async (records, expected) => {
      const write = (
        shared: FencedCommand[],
        clients: Parameters<typeof runGuarded>[1]["conditional"] = [],
      ) =>
        runGuarded(store.redis, {
          key: deps.fence.keyFor(batch.topic, batch.partition),
          expected: expected === null ? "" : expected.toString(),
          next: batch.lastOffset,
          commands: shared,
          conditional: clients,
        });
      if (records.length === 0) return write([]);
      const events = records.map((record) => record.value);
      const clients = distinct(
        events.filter((e) => e.clientId !== ""),
        (e) => `${e.tenant}\u0000${e.clientId}`,
      ).map((e): ClientId => ({ tenant: e.tenant, clientId: e.clientId }));
      const models = distinct(events, (e) => `${e.tenant}\u0000${e.modelId}`).map(
        (e): ModelId => ({ tenant: e.tenant, modelId: e.modelId }),
      );

      const loaded = await store.loadBatch(tag, clients, models);
      const now = deps.clock();
      const plan = detectBatch(
        { models: loaded.models, clients: loaded.clients },
        events,
        deps.policies,
        now,
      );

      const outgoing: OutgoingFinding[] = [];
      for (const { index, finding } of plan.findings) {
        const record = records[index];
        if (!record) continue;
        // A span only for events that produced findings: the trace on-call follows from the SDK to the page.
        await inSpan(
          deps.tracer,
          "anomaly-detector.detect",
          record.traceContext,
          {
            "argus.model": finding.modelId,
            "argus.event_id": record.value.eventId,
            "argus.kind": finding.kind,
          },
          async (_span, ctx) => {
            outgoing.push({ finding, traceContext: ctx });
          },
        );
      }
      await deps.publish(outgoing);
      if (plan.failures.length > 0) {
        await batch.deadLetter(
          plan.failures.map((failure) => ({
            record: records[failure.index] as (typeof records)[number],
            reason: `detector "${failure.detector}" failed: ${failure.error}`,
          })),
        );
      }
      await store.storeFitted(plan, models);
      const risk = (state: ClientState) =>
        state.risk.score > 0
          ? riskNow(state.risk, Math.max(now, state.risk.updatedAtMs), deps.policies.client.risk)
          : 0;
      const writes = store.batchWrites(tag, plan, models, clients, loaded.marks, risk);
      const written = await write(writes.shared, writes.clients);
      // Confident predictions are keyed by model (another slot) and idempotent: stored after the
      // fenced write, where a replay would write the same values again.
      if (written && plan.confident.length > 0) {
        const pipeline = store.redis.pipeline();
        for (const c of plan.confident)
          pipeline.set(
            deps.confidentPrediction.keyOf(c.modelId, c.requestId),
            c.label,
            "PX",
            deps.confidentPrediction.ttlMs,
          );
        await pipeline.exec();
      }
      return written;
    });
  };
}

function distinct<T>(items: T[], keyOf: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
  return [...seen.values()];
}
