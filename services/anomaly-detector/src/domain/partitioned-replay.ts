// detectBatch replayed in memory over a whole stream at any partition count: each partition's stored
// parts, clients and the models' frozen profiles kept the way the store keeps them (a partition reads
// the other partitions' latest parts; the first fitted profile wins). For tests and offline
// evaluation of the detectors on recorded or simulated traffic; no Kafka, no Redis. Pure.
import type { Finding, FindingKind, InferenceEvent } from "@argus/proto";
import type { ClientState } from "./client-state.js";
import {
  type BatchState,
  type DetectPolicies,
  detectBatch,
  emptyModelPartition,
  type ModelPartition,
} from "./detect-batch.js";
import type { ModelProfile, ScoreCalibration } from "./model-profile.js";

export interface Caught {
  event: InferenceEvent;
  finding: Finding;
}

/** Per-partition state as the store would hold it, and the findings so far. */
export class PartitionedDetector {
  readonly parts: Map<string, ModelPartition>[];
  readonly clients: Map<string, ClientState>[];
  readonly profiles = new Map<string, ModelProfile>();
  readonly calibrations = new Map<string, ScoreCalibration>();
  readonly findings: Caught[] = [];
  readonly failures: { event: InferenceEvent; detector: string; error: string }[] = [];
  processed = 0;

  constructor(
    readonly partitions: number,
    readonly policies: DetectPolicies,
    readonly batchSize = 50,
  ) {
    this.parts = Array.from({ length: partitions }, () => new Map());
    this.clients = Array.from({ length: partitions }, () => new Map());
  }

  partitionOf(event: InferenceEvent): number {
    // Keyed by client like the SDK (events without a client spread by event id).
    return fnv1a(event.clientId || event.eventId) % this.partitions;
  }

  /**
   * Replays events in order: each partition's events go in batches of `batchSize`, one partition's batch
   * at a time (so every batch sees the other partitions' latest parts, like consumers committing in turn).
   */
  run(events: InferenceEvent[]): void {
    const queues: InferenceEvent[][] = Array.from({ length: this.partitions }, () => []);
    for (const event of events) {
      const p = this.partitionOf(event);
      const queue = queues[p] as InferenceEvent[];
      queue.push(event);
      if (queue.length >= this.batchSize) this.flush(p, queue.splice(0));
    }
    queues.forEach((queue, p) => {
      if (queue.length > 0) this.flush(p, queue.splice(0));
    });
  }

  private flush(p: number, events: InferenceEvent[]): void {
    const own = this.parts[p] as Map<string, ModelPartition>;
    const models: BatchState["models"] = new Map();
    for (const event of events) {
      const key = `${event.tenant}\u0000${event.modelId}`;
      if (models.has(key)) continue;
      const others: ModelPartition[] = [];
      this.parts.forEach((parts, q) => {
        const part = parts.get(key);
        if (q !== p && part) others.push(part);
      });
      const profile = this.profiles.get(key);
      const calibration = this.calibrations.get(key);
      const stored = own.get(key);
      models.set(key, {
        own: stored ?? emptyModelPartition(),
        others,
        ...(profile ? { profile } : {}),
        ...(calibration ? { calibration } : {}),
      });
    }
    const clients = this.clients[p] as Map<string, ClientState>;
    const plan = detectBatch(
      { models, clients },
      events,
      this.policies,
      ((events.at(-1) as InferenceEvent).eventTime as Date).getTime(),
    );
    for (const [key, part] of plan.partitions) own.set(key, part);
    for (const [key, profile] of plan.profiles) if (!this.profiles.has(key)) this.profiles.set(key, profile);
    for (const [key, calibration] of plan.calibrations)
      if (!this.calibrations.has(key)) this.calibrations.set(key, calibration);
    for (const [key, client] of plan.clients) clients.set(key, client);
    for (const { index, finding } of plan.findings)
      this.findings.push({ event: events[index] as InferenceEvent, finding });
    for (const failure of plan.failures)
      this.failures.push({
        event: events[failure.index] as InferenceEvent,
        detector: failure.detector,
        error: failure.error,
      });
    this.processed += events.length;
  }

  /** Client-level findings (they name a client) of the given kinds, by client. */
  clientFindings(kinds?: FindingKind[]): Map<string, Caught[]> {
    const out = new Map<string, Caught[]>();
    for (const caught of this.findings) {
      const client = caught.finding.labels.client;
      if (!client) continue;
      if (kinds && !kinds.includes(caught.finding.kind)) continue;
      out.set(client, [...(out.get(client) ?? []), caught]);
    }
    return out;
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
