// Policies, a tabular model and its clients for the detectBatch tests (the replay itself is
// src/domain/partitioned-replay.ts).
import { type FeatureValue, InferenceEvent } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";
import {
  DEFAULT_POPULATION_POLICY,
  DEFAULT_RELATIVE_RATE_POLICY,
  type DetectPolicies,
  parseInputSchemas,
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

export { type Caught, PartitionedDetector } from "../src/domain/partitioned-replay.js";
