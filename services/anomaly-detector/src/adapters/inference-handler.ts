import type { Finding, InferenceEvent } from "@argus/proto";
import {
  applyFencedWith,
  type ConditionalWrites,
  type FencedCommand,
  inSpan,
  type OffsetFence,
  type OutgoingFinding,
  type PublishFindings,
  type RecordBatch,
  runGuarded,
  type Tracer,
} from "@argus/runtime";
import {
  type ClientPolicy,
  type ClientState,
  concludeForClient,
  observeClientQueries,
  observeClientRequest,
} from "../domain/client-state.js";
import {
  type ClientDetectorsConfig,
  calibrateDelta,
  clientDetectorsConfig,
  PRADA_PAPER_DELTA,
} from "../domain/clients/index.js";
import { detectInputViolations, type ModelSchemas } from "../domain/index.js";
import {
  type OutlierPolicy,
  OutlierTracker,
  outlierFinding,
  pradaCalibrationFpr,
} from "../domain/outliers.js";
import { observeResources, type ResourceBaseline, type ResourcePolicy } from "../domain/resources.js";
import { riskNow } from "../domain/risk.js";
import { type ClientStore, clientDigest } from "./client-store.js";

export interface InferenceHandlerDeps {
  schemas: ModelSchemas;
  store: ClientStore;
  fence: OffsetFence;
  tracer: Tracer;
  publish: PublishFindings;
  clientPolicy: ClientPolicy;
  resourcePolicy: ResourcePolicy;
  outlierPolicy: OutlierPolicy;
  /** Secret salt of the query fingerprints (an attacker who knew it could craft around them). */
  fingerprintSalt: string;
  /** Confident predictions kept for the poisoning check: their key, and the score that counts as confident. */
  confidentPrediction: {
    keyOf: (modelId: string, requestId: string) => string;
    minScore: number;
    ttlMs: number;
  };
  /** Per-event detectors beyond input validation (text scanners): findings of one event. */
  scanEvent?: (event: InferenceEvent, observedAt: Date) => Finding[];
}

/**
 * Runs every detector over a batch: per-event ones (schema, text), per-model resource baselines
 * (one per partition, so one consumer owns each) and per-client ones (rate, resources, risk). All
 * state is read in one round trip and written in one fenced script with the offset; findings are
 * published before that write, with ids derived from the record, so a replay republishes the same
 * ids (ignored by the alerter) instead of losing them. A client erased (EraseClient) after the batch
 * read it is not written back (the erasure mark is a condition of the guarded write).
 */
export function createInferenceHandler(
  deps: InferenceHandlerDeps,
): (batch: RecordBatch<InferenceEvent>) => Promise<void> {
  const { store } = deps;
  return async (batch) => {
    // The offset fence, the batch's shared writes, and each client's writes unless the client was
    // erased since the batch read it (its erasure mark changed): one atomic script.
    const write = (expected: bigint | null, shared: FencedCommand[], clients: ConditionalWrites[]) =>
      runGuarded(store.redis, {
        key: deps.fence.keyFor(batch.topic, batch.partition),
        expected: expected === null ? "" : expected.toString(),
        next: batch.lastOffset,
        commands: shared,
        conditional: clients,
      });
    await applyFencedWith(deps.fence, batch, async (records, expected) => {
      if (records.length === 0) return write(expected, [], []);
      const clientIds = [
        ...new Set(records.map((record) => record.value.clientId).filter((id) => id !== "")),
      ];
      const resourceKeys = [
        ...new Set(records.map((record) => store.resourcesKey(record.value.modelId, batch.partition))),
      ];
      const outlierKeys = [
        ...new Set(records.map((record) => store.outliersKey(record.value.modelId, batch.partition))),
      ];
      const [{ clients, marks, resources }, outlierModels] = await Promise.all([
        store.load(clientIds, resourceKeys),
        store.outlierModels(outlierKeys),
      ]);
      const trackers = new Map(
        [...outlierModels].map(([key, model]) => [key, new OutlierTracker(model, deps.outlierPolicy)]),
      );
      const outgoing: OutgoingFinding[] = [];
      const touchedClients = new Map<string, { state: ClientState; modelId: string; tenant: string }>();
      const touchedResources = new Map<string, ResourceBaseline>();
      const commands: FencedCommand[] = [];
      for (const record of records) {
        const event = record.value;
        const observedAt = event.eventTime as Date;
        const tracker = trackers.get(store.outliersKey(event.modelId, batch.partition));
        const outlier = tracker?.observe(event);
        const eventFindings = [
          ...detectInputViolations(deps.schemas, event, observedAt),
          ...(deps.scanEvent?.(event, observedAt) ?? []),
          ...(outlier && (outlier.multivariate || outlier.unseenCategories.length > 0)
            ? [outlierFinding(event, outlier)]
            : []),
        ];
        const resourceKey = store.resourcesKey(event.modelId, batch.partition);
        const observed = observeResources(
          touchedResources.get(resourceKey) ?? (resources.get(resourceKey) as ResourceBaseline),
          event.latencyMs,
          event.outputTokens,
          deps.resourcePolicy,
        );
        touchedResources.set(resourceKey, observed.baseline);
        const output = event.output?.kind;
        if (event.requestId && output?.$case === "classification") {
          const top = Math.max(...Object.values(output.value.scores), Number.NEGATIVE_INFINITY);
          if (top >= deps.confidentPrediction.minScore) {
            const { keyOf, ttlMs } = deps.confidentPrediction;
            commands.push(["SET", keyOf(event.modelId, event.requestId), output.value.label, "PX", ttlMs]);
          }
        }
        let findings = eventFindings;
        if (event.clientId) {
          const before =
            touchedClients.get(event.clientId)?.state ?? (clients.get(event.clientId) as ClientState);
          const requested = observeClientRequest(before, event, observed.verdict, deps.clientPolicy);
          let afterRequest = requested.state;
          const signals = [...requested.signals];
          const vector = tracker?.normalized(event);
          const output = event.output?.kind;
          if (tracker && vector && output?.$case === "classification") {
            const delta = tracker.pradaDelta;
            const queried = observeClientQueries(
              afterRequest,
              vector,
              output.value.label,
              detectorsConfig(deps.fingerprintSalt, delta),
              delta !== undefined,
            );
            afterRequest = queried.state;
            signals.push(...queried.signals);
            if (queried.w !== undefined && delta === undefined) {
              tracker.recordPradaW(clientDigest(event.clientId), queried.w, (values) =>
                calibrateDelta(values, pradaCalibrationFpr),
              );
            }
          }
          const concluded = concludeForClient(afterRequest, event, signals, eventFindings, deps.clientPolicy);
          findings = [...eventFindings, ...concluded.findings];
          touchedClients.set(event.clientId, {
            state: concluded.state,
            modelId: event.modelId,
            tenant: event.tenant,
          });
        }
        if (findings.length === 0) continue;
        // A span only for events that produced findings: the trace on-call follows from the SDK to the page.
        await inSpan(
          deps.tracer,
          "anomaly-detector.detect",
          record.traceContext,
          {
            "argus.model": event.modelId,
            "argus.event_id": event.eventId,
            "argus.findings": findings.length,
          },
          async (_span, ctx) => {
            for (const finding of findings) outgoing.push({ finding, traceContext: ctx });
          },
        );
      }
      await deps.publish(outgoing);
      for (const [key, baseline] of touchedResources)
        commands.push(store.saveResourcesCommand(key, baseline));
      for (const [key, tracker] of trackers) commands.push(["SET", key, JSON.stringify(tracker.toJSON())]);
      const now = Date.now();
      const clientWrites = [...touchedClients].map(([clientId, { state, modelId, tenant }]) =>
        store.clientWrites(
          clientId,
          marks.get(clientId) ?? "",
          state,
          state.risk.score > 0
            ? {
                modelId,
                tenant,
                score: riskNow(state.risk, Math.max(now, state.risk.updatedAtMs), deps.clientPolicy.risk),
              }
            : undefined,
        ),
      );
      return write(expected, commands, clientWrites);
    });
  };
}

const configs = new Map<string, ClientDetectorsConfig>();

/** The detectors' configuration for a model's δ (few distinct values: cached). */
function detectorsConfig(salt: string, delta: number | undefined): ClientDetectorsConfig {
  const key = `${salt}|${delta ?? "paper"}`;
  let config = configs.get(key);
  if (!config) {
    config = clientDetectorsConfig(salt, { prada: { delta: delta ?? PRADA_PAPER_DELTA } });
    if (configs.size > 1_000) configs.clear();
    configs.set(key, config);
  }
  return config;
}
