// Seeded simulated clients of a tabular classifier, for the per-client detector tests.
// Features are already "normalized" (≈ z-scores of the model's baseline), 8 dimensions.
import { normalDraw, seededUniform } from "@argus/stats";
import {
  type ClientDetectorsConfig,
  type ClientObservation,
  type ClientState,
  clientDetectorsConfig,
  clientStateBytes,
  newClientState,
  observeClientQuery,
} from "../../src/domain/clients/index.js";

export const DIM = 8;
export const CLASSES = 3;

export interface Query {
  vector: number[];
  label: number;
}

/** A fixed linear model: class = argmax(W x + b), W and b drawn once from seed 7. */
export class LinearModel {
  readonly weights: number[][];
  readonly bias: number[];
  constructor(seed = 7) {
    const random = seededUniform(seed);
    this.weights = Array.from({ length: CLASSES }, () =>
      Array.from({ length: DIM }, () => normalDraw(random)),
    );
    this.bias = Array.from({ length: CLASSES }, () => normalDraw(random, 0, 0.3));
  }
  predict(x: readonly number[]): number {
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < CLASSES; c++) {
      const w = this.weights[c] as number[];
      let score = this.bias[c] as number;
      for (let i = 0; i < DIM; i++) score += (w[i] as number) * (x[i] as number);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }
}

export const model = new LinearModel();

/** The benign input distribution: a mixture of 4 Gaussians (means in ±1.5, sd 0.4-0.9 per dim). */
export const mixture = (() => {
  const random = seededUniform(11);
  return Array.from({ length: 4 }, () => ({
    mean: Array.from({ length: DIM }, () => (random() * 2 - 1) * 1.5),
    sd: Array.from({ length: DIM }, () => 0.4 + random() * 0.5),
  }));
})();

function query(x: number[]): Query {
  return { vector: x, label: model.predict(x) };
}

/** A benign client: i.i.d. draws from the mixture with its own component weights; 20-300 queries. */
export function benignClient(seed: number, count?: number): Query[] {
  const random = seededUniform(seed);
  const n = count ?? 20 + Math.floor(random() * 281);
  const weights = mixture.map(() => random() ** 2);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: Query[] = [];
  for (let q = 0; q < n; q++) {
    let u = random() * total;
    let k = 0;
    while (k < mixture.length - 1 && u >= (weights[k] as number)) {
      u -= weights[k] as number;
      k++;
    }
    const component = mixture[k] as (typeof mixture)[number];
    out.push(query(component.mean.map((m, i) => normalDraw(random, m, component.sd[i] as number))));
  }
  return out;
}

const uniformPoint = (random: () => number, half = 3) =>
  Array.from({ length: DIM }, () => (random() * 2 - 1) * half);

/**
 * Extraction by line search (Tramèr et al. 2016, the label-only "line-search" retraining strategy):
 * random pairs of points with different predicted classes, each followed by a binary search of the
 * segment between them for the decision boundary (`steps` halvings).
 */
export function lineSearchExtractor(seed: number, count = 400, steps = 8): Query[] {
  const random = seededUniform(seed);
  const out: Query[] = [];
  while (out.length < count) {
    let a = uniformPoint(random);
    let b = uniformPoint(random);
    const qa = query(a);
    const qb = query(b);
    out.push(qa, qb);
    if (qa.label === qb.label) continue;
    for (let s = 0; s < steps && out.length < count; s++) {
      const mid = a.map((v, i) => (v + (b[i] as number)) / 2);
      const qm = query(mid);
      out.push(qm);
      if (qm.label === qa.label) a = mid;
      else b = mid;
    }
  }
  return out.slice(0, count);
}

/** Extraction by uniformly random queries over the input box (Tramèr et al.'s random strategy). */
export function uniformExtractor(seed: number, count = 400): Query[] {
  const random = seededUniform(seed);
  return Array.from({ length: count }, () => query(uniformPoint(random)));
}

/**
 * Extraction by Jacobian-based augmentation (Papernot et al. 2017, the attack PRADA was built
 * against): a few seed points, then rounds of x + λ·sign(direction to the nearest other class).
 */
export function jbdaExtractor(seed: number, count = 400, lambda = 0.1): Query[] {
  const random = seededUniform(seed);
  let pool = Array.from({ length: 10 }, () => benignClient(seed + 1, 1)[0]?.vector ?? uniformPoint(random));
  pool = pool.map(() => {
    const c = mixture[Math.floor(random() * mixture.length)] as (typeof mixture)[number];
    return c.mean.map((m, i) => normalDraw(random, m, c.sd[i] as number));
  });
  const out: Query[] = pool.map(query);
  while (out.length < count) {
    const next: number[][] = [];
    for (const x of pool) {
      const label = model.predict(x);
      const other = (label + 1 + Math.floor(random() * (CLASSES - 1))) % CLASSES;
      const wl = model.weights[label] as number[];
      const wo = model.weights[other] as number[];
      next.push(x.map((v, i) => v + lambda * Math.sign((wo[i] as number) - (wl[i] as number))));
    }
    for (const x of next) if (out.length < count) out.push(query(x));
    pool = [...pool, ...next];
  }
  return out;
}

/**
 * Boundary search from one start point (HopSkipJump / Boundary-attack style): around the current
 * iterate, `probes` tiny Gaussian perturbations (sd `noise`) estimate the direction to the decision
 * boundary, then the iterate takes a small step toward it and along it.
 */
export function boundaryWalker(seed: number, count = 300, noise = 0.02, step = 0.05, probes = 8): Query[] {
  const random = seededUniform(seed);
  const start = benignClient(seed, 1)[0] as Query;
  let x = [...start.vector];
  const target = (start.label + 1) % CLASSES;
  const out: Query[] = [];
  while (out.length < count) {
    for (let p = 0; p < probes && out.length < count; p++)
      out.push(query(x.map((v) => v + normalDraw(random, 0, noise))));
    const wt = model.weights[target] as number[];
    const ws = model.weights[start.label] as number[];
    const direction = x.map((_, i) => (wt[i] as number) - (ws[i] as number));
    const norm = Math.hypot(...direction);
    const crossed = model.predict(x) === target;
    // Toward the boundary until it is crossed, then along it (a random tangent step).
    x = x.map(
      (v, i) => v + (crossed ? normalDraw(random, 0, step) : (step * (direction[i] as number)) / norm),
    );
    if (out.length < count) out.push(query(x));
  }
  return out;
}

/** Label-only membership probing: noisy copies (sd `noise`) of `records` fixed records, shuffled. */
export function membershipProber(seed: number, count = 240, records = 3, noise = 0.03): Query[] {
  const random = seededUniform(seed);
  const targets = benignClient(seed, records).map((q) => q.vector);
  return Array.from({ length: count }, () => {
    const record = targets[Math.floor(random() * records)] as number[];
    return query(record.map((v) => v + normalDraw(random, 0, noise)));
  });
}

/** A client that re-sends identical queries (retries, polling): near-duplicates, but no attack. */
export function replayClient(seed: number, count = 120): Query[] {
  const one = benignClient(seed, 1)[0] as Query;
  return Array.from({ length: count }, () => ({ vector: [...one.vector], label: one.label }));
}

/** The detectors' defaults with a test salt (and, when given, a calibrated δ). */
export function testConfig(delta?: number): ClientDetectorsConfig {
  return clientDetectorsConfig("test-salt-from-config", delta === undefined ? {} : { prada: { delta } });
}

export interface ClientRun {
  queries: number;
  state: ClientState;
  observations: Omit<ClientObservation, "state">[];
  /** Smallest PRADA W of the stream (Infinity when no test ran). */
  minW: number;
  extraction: number;
  adversarialProbe: number;
  membershipProbe: number;
  boundarySearch: number;
  /** Largest serialized state along the stream, and at the end. */
  maxBytes: number;
  bytes: number;
}

/** Feeds a client's queries one by one, optionally starting from a given state. */
export function runClient(
  queries: readonly Query[],
  config: ClientDetectorsConfig,
  start: ClientState = newClientState(),
): ClientRun {
  let state = start;
  const observations: Omit<ClientObservation, "state">[] = [];
  const run = { minW: Number.POSITIVE_INFINITY, extraction: 0, adversarialProbe: 0, membershipProbe: 0 };
  let boundarySearch = 0;
  let maxBytes = 0;
  for (const q of queries) {
    const { state: next, ...rest } = observeClientQuery(state, q.vector, q.label, config);
    state = next;
    observations.push(rest);
    if (rest.prada.w !== undefined) run.minW = Math.min(run.minW, rest.prada.w);
    if (rest.verdict.extraction) run.extraction++;
    if (rest.verdict.adversarialProbe) run.adversarialProbe++;
    if (rest.verdict.membershipProbe) run.membershipProbe++;
    if (rest.membership.boundarySearch) boundarySearch++;
    maxBytes = Math.max(maxBytes, clientStateBytes(state));
  }
  return {
    queries: queries.length,
    state,
    observations,
    ...run,
    boundarySearch,
    maxBytes,
    bytes: clientStateBytes(state),
  };
}

/** Benign populations: calibration (seeds 1000+) and held-out (seeds 5000+), 200 clients each. */
export const CALIBRATION_SEEDS = Array.from({ length: 200 }, (_, i) => 1000 + i);
export const HELD_OUT_SEEDS = Array.from({ length: 200 }, (_, i) => 5000 + i);
