import { normalDraw, seededUniform } from "@argus/stats";

/** A seeded source of the draws the generators need; the same seed gives the same stream. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(min: number, max: number): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  normal(mean?: number, sd?: number): number;
  /** exp(N(mu, sigma)): a right-skewed positive value whose median is e^mu. */
  logNormal(mu: number, sigma: number): number;
  exponential(rate: number): number;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: T[]): T[];
  /** A random version-4 UUID made from this source (so event ids are reproducible too). */
  uuid(): string;
  /** An independent generator derived from this one, for a sub-generator that must not shift others. */
  fork(): Rng;
}

export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const next = seededUniform(seed);
  const rng: Rng = {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: (mean = 0, sd = 1) => normalDraw(next, mean, sd),
    logNormal: (mu, sigma) => Math.exp(normalDraw(next, mu, sigma)),
    exponential: (rate) => -Math.log(1 - next()) / rate,
    pick: (items) => {
      if (items.length === 0) throw new Error("cannot pick from an empty list");
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j] as (typeof items)[number], items[i] as (typeof items)[number]];
      }
      return items;
    },
    uuid: () => {
      const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
      hex[12] = "4";
      hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
      const s = hex.join("");
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    },
    fork: () => createRng(Math.floor(next() * 2 ** 31)),
  };
  return rng;
}

/** Event times of a Poisson process of `ratePerMs` over [startMs, endMs). */
export function poissonArrivals(rng: Rng, ratePerMs: number, startMs: number, endMs: number): number[] {
  if (!(ratePerMs > 0)) return [];
  const times: number[] = [];
  for (let t = startMs + rng.exponential(ratePerMs); t < endMs; t += rng.exponential(ratePerMs)) {
    times.push(t);
  }
  return times;
}
