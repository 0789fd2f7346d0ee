// An in-memory stand-in for the anomaly-detector's consumers: `detectBatch` run per partition, with
// each partition's stored parts, clients and the models' frozen profiles kept the way the store keeps
// them (a partition reads the other partitions' latest parts; the first fitted profile wins). It lets
// domain tests replay a stream at any partition count without Kafka or Redis.
import { type FeatureValue, type Finding, FindingKind, InferenceEvent, Severity } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";
import type { ClientState } from "../src/domain/client-state.js";
import { emptyModelPartition } from "../src/domain/detect-batch.js";
import {
  type BatchState,
  DEFAULT_POPULATION_POLICY,
  DEFAULT_RELATIVE_RATE_POLICY,
  type DetectPolicies,
  detectBatch,
  type ModelPartition,
  type ModelProfile,
  parseInputSchemas,
  type ScoreCalibration,
} from "../src/domain/index.js";

export function testPolicies(overrides: Partial<DetectPolicies> = {}): DetectPolicies {
  return {
    schemas: parseInputSchemas("models: {}\n", "test.yaml"),
    client: {
      rate: DEFAULT_RELATIVE_RATE_POLICY,
      risk: { halfLifeMs: 3_600_000, maxReasons: 8, weights: {}, defaultWeight: 0.2 },
      resourceOutliersToAlarm: 3,
      realertMs: 10 * 60_000,
    },
    profile: {
      warmupEvents: 600,
      calibrationEvents: 600,
      falsePositiveRate: 0.001,
      oodQuantile: 0.99,
      maxCategories: 50,
    },
    resources: { warmup: 200, zThreshold: 6, minRatio: 3, tailQuantile: 0.999 },
    population: DEFAULT_POPULATION_POLICY,
    fingerprintSalt: "test-salt-0123456789abcdef",
    confidentScore: 0.9,
    ...overrides,
  };
}

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

// --- A tabular model and its clients -----------------------------------------------------------

/**
 * A classifier over `dim` correlated numeric features: data from a mixture of three Gaussian
 * clusters (means and scales per feature like real tabular data: different units), labels from a
 * fixed linear model with three classes.
 */
export class TabularModel {
  readonly centers: number[][];
  readonly loading: number[][];
  readonly scale: number[];
  readonly offset: number[];
  readonly weights: number[][];
  readonly box: [number, number][];

  constructor(
    readonly id: string,
    readonly dim: number,
    seed: number,
  ) {
    const random = seededUniform(seed);
    this.centers = Array.from({ length: 3 }, () =>
      Array.from({ length: 4 }, () => normalDraw(random, 0, 1.5)),
    );
    // 4 latent factors drive all features (correlation), plus independent noise.
    this.loading = Array.from({ length: dim }, () =>
      Array.from({ length: 4 }, () => normalDraw(random, 0, 1)),
    );
    this.scale = Array.from({ length: dim }, () => 10 ** (random() * 4 - 1));
    this.offset = Array.from({ length: dim }, () => normalDraw(random, 0, 50));
    this.weights = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => normalDraw(random, 0, 1)));
    this.box = Array.from({ length: dim }, (_, i) => {
      const s = (this.scale[i] as number) * 6;
      return [(this.offset[i] as number) - s, (this.offset[i] as number) + s];
    });
  }

  /** A data point: latent factors from one cluster, then the features. */
  sample(random: () => number): number[] {
    const center = this.centers[Math.floor(random() * 3)] as number[];
    const latent = center.map((c) => c + normalDraw(random, 0, 0.6));
    return this.fromLatent(latent, random);
  }

  fromLatent(latent: number[], random: () => number): number[] {
    return this.loading.map((row, i) => {
      let value = normalDraw(random, 0, 0.3);
      for (let k = 0; k < 4; k++) value += (row[k] as number) * (latent[k] as number);
      return (this.offset[i] as number) + (this.scale[i] as number) * value;
    });
  }

  /** Recovers latent-space scores (least squares would be exact; a projection is enough for labels). */
  predict(x: number[]): string {
    const latent = [0, 0, 0, 0];
    x.forEach((value, i) => {
      const z = (value - (this.offset[i] as number)) / (this.scale[i] as number);
      const row = this.loading[i] as number[];
      for (let k = 0; k < 4; k++) latent[k] = (latent[k] as number) + (row[k] as number) * z;
    });
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    this.weights.forEach((w, c) => {
      let score = 0;
      for (let k = 0; k < 4; k++) score += (w[k] as number) * (latent[k] as number);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    });
    return `class_${best}`;
  }

  event(clientId: string, x: number[], atMs: number, eventId: string, tenant = "acme"): InferenceEvent {
    const features: Record<string, FeatureValue> = {};
    x.forEach((value, i) => {
      features[`f${i}`] = { kind: { $case: "number", value } };
    });
    const label = this.predict(x);
    return InferenceEvent.fromPartial({
      eventId,
      modelId: this.id,
      modelVersion: "1",
      requestId: eventId,
      clientId,
      tenant,
      eventTime: new Date(atMs),
      features,
      output: { kind: { $case: "classification", value: { label, scores: { [label]: 0.8 } } } },
      latencyMs: 20,
    });
  }
}

export interface Arrival {
  client: string;
  atMs: number;
}

/** Poisson arrivals of `clients` benign clients with log-normal rates (median `medianPerMin`) over `spanMs`. */
export function benignArrivals(
  random: () => number,
  clients: string[],
  medianPerMin: number,
  sigma: number,
  startMs: number,
  spanMs: number,
): Arrival[] {
  const out: Arrival[] = [];
  for (const client of clients) {
    const perMs = (medianPerMin * Math.exp(normalDraw(random, 0, sigma))) / 60_000;
    const gap = () => -Math.log(1 - random()) / perMs;
    for (let t = startMs + gap(); t < startMs + spanMs; t += gap()) out.push({ client, atMs: t });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Merges time-ordered streams of events into one, in event-time order. */
export function mergeByTime(...streams: InferenceEvent[][]): InferenceEvent[] {
  return streams.flat().sort((a, b) => (a.eventTime as Date).getTime() - (b.eventTime as Date).getTime());
}

export function isInfo(finding: Finding): boolean {
  return finding.severity === Severity.SEVERITY_INFO;
}

export { FindingKind };
