// Seeded attackers of a TabularModel, one per attack family, for the detectBatch tests. Each returns
// its queries (raw feature vectors) in order; the caller stamps times and client ids.
import { normalDraw } from "@argus/stats";
import type { TabularModel } from "./detect-sim.js";

/** Knockoff-style extraction: queries drawn uniformly from the feature box. */
export function uniformQueries(model: TabularModel, random: () => number, count: number): number[][] {
  return Array.from({ length: count }, () => model.box.map(([lo, hi]) => lo + random() * (hi - lo)));
}

/**
 * JbDA (Papernot et al. 2017) synthetic augmentation: from a handful of seed records, each round adds
 * x + λ·sign(∂score/∂x) for every point so far, the step scaled to each feature's unit.
 */
export function jbdaQueries(
  model: TabularModel,
  random: () => number,
  count: number,
  lambda = 0.3,
): number[][] {
  let set = Array.from({ length: 8 }, () => model.sample(random));
  const out = [...set];
  while (out.length < count) {
    const next = set.map((x) => {
      const label = Number(model.predict(x).slice("class_".length));
      const w = model.weights[label] as number[];
      return x.map((value, i) => {
        const row = model.loading[i] as number[];
        let gradient = 0;
        for (let k = 0; k < 4; k++) gradient += (row[k] as number) * (w[k] as number);
        return value + lambda * (model.scale[i] as number) * Math.sign(gradient);
      });
    });
    out.push(...next);
    set = [...set, ...next];
  }
  return out.slice(0, count);
}

/**
 * HopSkipJump-like boundary probing: find a boundary point between two records of different labels
 * by bisection, then probe around it with small random perturbations and step along the boundary.
 */
export function boundaryQueries(model: TabularModel, random: () => number, count: number): number[][] {
  const out: number[][] = [];
  while (out.length < count) {
    const a = model.sample(random);
    let b = model.sample(random);
    for (let tries = 0; tries < 20 && model.predict(b) === model.predict(a); tries++)
      b = model.sample(random);
    let lo = a;
    let hi = b;
    for (let step = 0; step < 10 && out.length < count; step++) {
      const mid = lo.map((value, i) => (value + (hi[i] as number)) / 2);
      out.push(mid);
      if (model.predict(mid) === model.predict(a)) lo = mid;
      else hi = mid;
    }
    for (let probe = 0; probe < 30 && out.length < count; probe++)
      out.push(lo.map((value, i) => value + normalDraw(random, 0, 0.05 * (model.scale[i] as number))));
  }
  return out.slice(0, count);
}

/** Membership probing: a few records, each sent as many noisy copies. */
export function membershipQueries(
  model: TabularModel,
  random: () => number,
  count: number,
  records = 20,
  noise = 0.03,
): number[][] {
  const targets = Array.from({ length: records }, () => model.sample(random));
  const copies = Math.ceil(count / records);
  const out: number[][] = [];
  for (const target of targets)
    for (let c = 0; c < copies; c++)
      out.push(target.map((value, i) => value + normalDraw(random, 0, noise * (model.scale[i] as number))));
  return out.slice(0, count);
}
