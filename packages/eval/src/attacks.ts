import type { Rng } from "./random.js";
import { classGradient, probabilities, type SoftmaxModel, trainSoftmax } from "./softmax.js";
import { minute, type StreamEvent } from "./stream.js";
import { argmax, type TabularModel } from "./tabular.js";
import {
  benignReply,
  leakagePrompts,
  leakedSecret,
  normalTextCost,
  type Prompt,
  refusalReply,
  spongePrompts,
} from "./text.js";
import { type Endpoints, tabularEvent, textEvent } from "./traffic.js";

export type Family =
  | "extraction-jbda"
  | "extraction-knockoff"
  | "extraction-prada-synthetic"
  | "boundary-hopskipjump"
  | "membership"
  | "rate-abuse"
  | "sponge"
  | "prompt-injection"
  | "output-leakage";

/** Finding kinds (proto enum names) that count as catching each family. */
export const expectedKinds: Record<Family, string[]> = {
  "extraction-jbda": ["FINDING_KIND_EXTRACTION"],
  "extraction-knockoff": ["FINDING_KIND_EXTRACTION"],
  "extraction-prada-synthetic": ["FINDING_KIND_EXTRACTION", "FINDING_KIND_ADVERSARIAL_PROBE"],
  "boundary-hopskipjump": ["FINDING_KIND_ADVERSARIAL_PROBE", "FINDING_KIND_EXTRACTION"],
  membership: ["FINDING_KIND_MEMBERSHIP_PROBE"],
  "rate-abuse": ["FINDING_KIND_RATE_ABUSE"],
  sponge: ["FINDING_KIND_RESOURCE_ABUSE"],
  "prompt-injection": ["FINDING_KIND_PROMPT_INJECTION"],
  "output-leakage": ["FINDING_KIND_DATA_LEAKAGE"],
};

export interface Attack {
  /** Unique within a run, e.g. "prompt-injection/role_play". */
  name: string;
  family: Family;
  clientId: string;
  modelId: string;
  expectedKinds: string[];
  /** The parameters drawn for this run (shown in the report, so a miss can be reproduced). */
  params: Record<string, number | string>;
  events: StreamEvent[];
  /** Rate abuse: when the burst starts (ms into the period). */
  burstStartMs?: number;
}

/** The attacker's own idea of each feature's scale: the spread of a little real data it holds. */
export function attackerScale(rng: Rng, model: TabularModel, known = 50): number[] {
  const rows = Array.from({ length: known }, () => model.sample(rng));
  return model.features.map((spec, j) => {
    const values = rows.map((row) => row[j] as number);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
    return sd > 0 ? sd : (spec.max - spec.min) / 100;
  });
}

function clip(model: TabularModel, input: number[]): number[] {
  return input.map((value, j) => {
    const spec = model.features[j];
    return spec === undefined ? value : Math.min(spec.max, Math.max(spec.min, value));
  });
}

/** A substitute the attacker trains on the labels the model returned, in its own scaled coordinates. */
class Substitute {
  private model: SoftmaxModel | undefined;
  constructor(
    private readonly classes: number,
    private readonly center: number[],
    private readonly scale: number[],
  ) {}
  private scaled(input: number[]): number[] {
    return input.map((value, j) => (value - (this.center[j] as number)) / (this.scale[j] as number));
  }
  train(inputs: number[][], labels: number[]): void {
    this.model = trainSoftmax(
      inputs.map((x) => this.scaled(x)),
      labels,
      this.classes,
      {
        epochs: 60,
        learningRate: 0.5,
        l2: 1e-3,
      },
      this.model,
    );
  }
  /** sign(∂p_k/∂x) of the substitute (the scale is positive, so the sign is the same as in its coordinates). */
  gradientSign(input: number[], k: number): number[] {
    if (this.model === undefined) return input.map(() => 0);
    return classGradient(this.model, this.scaled(input), k).map(Math.sign);
  }
  predict(input: number[]): number {
    return this.model === undefined ? 0 : argmax(probabilities(this.model, this.scaled(input)));
  }
}

const oracleLabel = (model: TabularModel, input: number[]) => argmax(model.predictProba(input));

export interface JbdaParams {
  seedSize: number;
  /** Step λ, as a fraction of each feature's scale. */
  lambda: number;
  /** λ changes sign every τ rounds (Papernot et al.'s periodic step size). */
  tau: number;
  /** Points augmented per round once the set is large (their reservoir sampling). */
  kappa: number;
  budget: number;
}

/**
 * Jacobian-based dataset augmentation (Papernot et al., "Practical Black-Box Attacks against
 * Machine Learning", AsiaCCS 2017): a few real seed points, then rounds of training a substitute
 * on the oracle's labels and querying x + λ·sign(∂F_substitute[O(x)]/∂x) for points of the set.
 */
export function jbdaQueries(
  rng: Rng,
  model: TabularModel,
  params: JbdaParams,
): { queries: number[][]; scale: number[] } {
  const scale = attackerScale(rng, model);
  const seeds = Array.from({ length: params.seedSize }, () => model.sample(rng));
  const center = model.features.map(
    (_, j) => seeds.reduce((sum, x) => sum + (x[j] as number), 0) / seeds.length,
  );
  const substitute = new Substitute(model.classes.length, center, scale);
  const queries = seeds.map((x) => [...x]);
  const labels = queries.map((x) => oracleLabel(model, x));
  for (let round = 0; queries.length < params.budget; round++) {
    substitute.train(queries, labels);
    const sign = Math.floor(round / params.tau) % 2 === 0 ? 1 : -1;
    const parents =
      queries.length <= params.kappa
        ? [...queries.keys()]
        : rng.shuffle([...queries.keys()]).slice(0, params.kappa);
    for (const index of parents) {
      if (queries.length >= params.budget) break;
      const parent = queries[index] as number[];
      const gradient = substitute.gradientSign(parent, labels[index] as number);
      const child = clip(
        model,
        parent.map(
          (value, j) => value + sign * params.lambda * (scale[j] as number) * (gradient[j] as number),
        ),
      );
      queries.push(child);
      labels.push(oracleLabel(model, child));
    }
  }
  return { queries, scale };
}

/** Knockoff-style extraction (Orekondy et al. 2019) on tabular inputs: queries uniform over the feature box. */
export function knockoffQueries(
  rng: Rng,
  model: TabularModel,
  params: { budget: number; roundIntegers: boolean },
): number[][] {
  return Array.from({ length: params.budget }, () =>
    model.features.map((spec) => {
      const value = rng.uniform(spec.min, spec.max);
      return params.roundIntegers && spec.integer ? Math.round(value) : value;
    }),
  );
}

export interface PradaParams {
  originals: number;
  variant: "i-fgsm" | "t-rnd";
  /** Step ε, as a fraction of each feature's scale. */
  epsilon: number;
  /** I-FGSM iterations per run from an original. */
  steps: number;
  budget: number;
}

/**
 * The synthetic queries PRADA was built to catch (Juuti et al., "PRADA: Protecting against DNN
 * Model Stealing Attacks", EuroS&P 2019): samples close to a few originals, made either by
 * targeted I-FGSM steps along a substitute's gradient or by T-RND random sign perturbations.
 */
export function pradaQueries(
  rng: Rng,
  model: TabularModel,
  params: PradaParams,
): { queries: number[][]; originals: number[][]; scale: number[] } {
  const scale = attackerScale(rng, model);
  const originals = Array.from({ length: params.originals }, () => model.sample(rng));
  const center = model.features.map(
    (_, j) => originals.reduce((sum, x) => sum + (x[j] as number), 0) / originals.length,
  );
  const substitute = new Substitute(model.classes.length, center, scale);
  const queries: number[][] = originals.map((x) => [...x]);
  const labels = queries.map((x) => oracleLabel(model, x));
  const step = (x: number[], direction: number[]) =>
    clip(
      model,
      x.map((value, j) => value + params.epsilon * (scale[j] as number) * (direction[j] as number)),
    );
  while (queries.length < params.budget) {
    const origin = rng.pick(originals);
    if (params.variant === "t-rnd") {
      const perturbed = step(
        origin,
        origin.map(() => (rng.next() < 0.5 ? -1 : 1)),
      );
      queries.push(perturbed);
      labels.push(oracleLabel(model, perturbed));
      continue;
    }
    substitute.train(queries, labels);
    const current = oracleLabel(model, origin);
    const target = (current + rng.int(1, model.classes.length - 1)) % model.classes.length;
    let x = origin;
    for (let t = 0; t < params.steps && queries.length < params.budget; t++) {
      let direction = substitute.gradientSign(x, target);
      // A substitute that saw one class only has no gradient: fall back to a random sign step.
      if (direction.every((d) => d === 0)) direction = x.map(() => (rng.next() < 0.5 ? -1 : 1));
      x = step(x, direction);
      queries.push(x);
      labels.push(oracleLabel(model, x));
    }
  }
  return { queries, originals, scale };
}

export interface HopSkipJumpParams {
  binarySteps: number;
  gradientSamples: number;
  /** Radius of the gradient-estimation probes, as a fraction of each feature's scale. */
  delta: number;
  budget: number;
}

/**
 * Decision-boundary probing in the manner of HopSkipJump (Chen, Jordan, Wainwright, S&P 2020):
 * binary search between a point and a differently labelled one, then many small random
 * perturbations around the boundary point to estimate the gradient, a step along it, and again.
 */
export function hopSkipJumpQueries(
  rng: Rng,
  model: TabularModel,
  params: HopSkipJumpParams,
): { queries: number[][]; source: number[]; boundaryPoints: number[][] } {
  const scale = attackerScale(rng, model);
  const source = model.sample(rng);
  const sourceLabel = oracleLabel(model, source);
  let other = model.sample(rng);
  for (let tries = 0; oracleLabel(model, other) === sourceLabel && tries < 500; tries++)
    other = model.sample(rng);
  const queries: number[][] = [source, other];
  const ask = (x: number[]) => {
    queries.push(x);
    return oracleLabel(model, x) !== sourceLabel;
  };
  const mix = (a: number[], b: number[], t: number) =>
    a.map((value, j) => value + t * ((b[j] as number) - value));
  /** Binary search on the segment from source (label kept) to an adversarial point. */
  const project = (adversarial: number[]) => {
    let low = 0;
    let high = 1;
    for (let i = 0; i < params.binarySteps && queries.length < params.budget; i++) {
      const mid = (low + high) / 2;
      if (ask(mix(source, adversarial, mid))) high = mid;
      else low = mid;
    }
    return mix(source, adversarial, high);
  };
  const boundaryPoints: number[][] = [];
  let boundary = project(other);
  while (queries.length < params.budget) {
    boundaryPoints.push(boundary);
    const estimate = boundary.map(() => 0);
    for (let i = 0; i < params.gradientSamples && queries.length < params.budget; i++) {
      const u = boundary.map(() => rng.normal());
      const norm = Math.hypot(...u);
      const probe = clip(
        model,
        boundary.map((value, j) => value + (params.delta * (scale[j] as number) * (u[j] as number)) / norm),
      );
      const phi = ask(probe) ? 1 : -1;
      for (let j = 0; j < u.length; j++)
        estimate[j] = (estimate[j] as number) + (phi * (u[j] as number)) / norm;
    }
    const norm = Math.hypot(...estimate) || 1;
    // Geometric step search along the estimated gradient until the point stays adversarial.
    let stepSize = 2;
    let next = boundary;
    while (queries.length < params.budget && stepSize > 0.01) {
      const candidate = clip(
        model,
        boundary.map(
          (value, j) => value + (stepSize * (scale[j] as number) * (estimate[j] as number)) / norm,
        ),
      );
      if (ask(candidate)) {
        next = candidate;
        break;
      }
      stepSize /= 2;
    }
    boundary = project(next);
  }
  return { queries: queries.slice(0, params.budget), source, boundaryPoints };
}

export interface MembershipParams {
  targets: number;
  copies: number;
  /** Noise σ, as a fraction of each feature's scale. */
  noise: number;
  order: "grouped" | "interleaved";
}

/**
 * Membership inference by querying noisy copies of candidate records and comparing the model's
 * confidence on them (the perturbation test of label-only / confidence-based membership attacks,
 * e.g. Choquette-Choo et al. 2021): dozens of records, tens of copies each.
 */
export function membershipQueries(
  rng: Rng,
  model: TabularModel,
  params: MembershipParams,
): { queries: number[][]; targetOf: number[]; records: number[][]; scale: number[] } {
  const scale = attackerScale(rng, model);
  const records = Array.from({ length: params.targets }, () => rng.pick(model.trainingSet));
  const pairs: { target: number; query: number[] }[] = [];
  records.forEach((record, target) => {
    for (let c = 0; c < params.copies; c++) {
      pairs.push({
        target,
        query: clip(
          model,
          record.map((value, j) => value + rng.normal(0, params.noise * (scale[j] as number))),
        ),
      });
    }
  });
  if (params.order === "interleaved") rng.shuffle(pairs);
  return { queries: pairs.map((p) => p.query), targetOf: pairs.map((p) => p.target), records, scale };
}

export interface AttackOptions {
  periodMs: number;
  /** No attack starts before this (the detectors' baselines fill first). */
  warmupMs: number;
  /** Attacker request rates are drawn from this range (per minute). */
  attackRatePerMinute: [number, number];
  medianRatePerHour: number;
  injectionPrompts: Prompt[];
  /** At most this many prompts of each attack category are sent (unset: all of them). */
  injectionPromptsPerCategory?: number;
}

/** Times of `count` Poisson arrivals at about `perMinute`, placed at a random start inside the period. */
function attackTimes(rng: Rng, count: number, perMinute: number, options: AttackOptions): number[] {
  const available = options.periodMs - options.warmupMs - minute;
  const rate = Math.max(perMinute, (count * minute * 1.3) / available);
  const gaps = Array.from({ length: count }, () => rng.exponential(rate / minute));
  const span = gaps.reduce((sum, gap) => sum + gap, 0);
  let t = options.warmupMs + rng.uniform(0, Math.max(0, available - span));
  return gaps.map((gap) => {
    t += gap;
    return Math.min(t, options.periodMs - 1);
  });
}

const attackerId = (rng: Rng) => `acct-${rng.int(100_000, 999_999)}`;

function tabularAttack(
  rng: Rng,
  options: AttackOptions,
  base: { name: string; family: Family; model: TabularModel; params: Record<string, number | string> },
  queries: number[][],
): Attack {
  const clientId = attackerId(rng);
  const perMinute = rng.uniform(...options.attackRatePerMinute);
  const times = attackTimes(rng, queries.length, perMinute, options);
  return {
    name: base.name,
    family: base.family,
    clientId,
    modelId: base.model.modelId,
    expectedKinds: expectedKinds[base.family],
    params: { ...base.params, queries: queries.length, perMinute: round(perMinute) },
    events: queries.map((x, i) => tabularEvent(rng, base.model, clientId, times[i] as number, x)),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Every attack of a run, one attacker client each, with parameters drawn from plausible ranges. */
export function generateAttacks(rng: Rng, endpoints: Endpoints, options: AttackOptions): Attack[] {
  const tabular = [endpoints.credit, endpoints.merchant];
  const attacks: Attack[] = [];

  {
    const model = rng.pick(tabular);
    const params: JbdaParams = {
      seedSize: rng.int(10, 30),
      lambda: round(rng.uniform(0.05, 0.3)),
      tau: rng.int(2, 4),
      kappa: rng.int(100, 200),
      budget: rng.int(500, 900),
    };
    const { queries } = jbdaQueries(rng, model, params);
    attacks.push(
      tabularAttack(
        rng,
        options,
        { name: "extraction-jbda", family: "extraction-jbda", model, params: { ...params } },
        queries,
      ),
    );
  }
  {
    const model = rng.pick(tabular);
    const params = { budget: rng.int(400, 1_000), roundIntegers: rng.next() < 0.5 };
    attacks.push(
      tabularAttack(
        rng,
        options,
        {
          name: "extraction-knockoff",
          family: "extraction-knockoff",
          model,
          params: { budget: params.budget, roundIntegers: String(params.roundIntegers) },
        },
        knockoffQueries(rng, model, params),
      ),
    );
  }
  {
    const model = rng.pick(tabular);
    const params: PradaParams = {
      originals: rng.int(3, 8),
      variant: rng.pick(["i-fgsm", "t-rnd"] as const),
      epsilon: round(rng.uniform(0.02, 0.15)),
      steps: rng.int(8, 25),
      budget: rng.int(400, 800),
    };
    const { queries } = pradaQueries(rng, model, params);
    attacks.push(
      tabularAttack(
        rng,
        options,
        {
          name: "extraction-prada-synthetic",
          family: "extraction-prada-synthetic",
          model,
          params: { ...params },
        },
        queries,
      ),
    );
  }
  {
    const model = rng.pick(tabular);
    const params: HopSkipJumpParams = {
      binarySteps: rng.int(12, 20),
      gradientSamples: rng.int(40, 100),
      delta: round(rng.uniform(0.01, 0.05)),
      budget: rng.int(400, 800),
    };
    const { queries } = hopSkipJumpQueries(rng, model, params);
    attacks.push(
      tabularAttack(
        rng,
        options,
        { name: "boundary-hopskipjump", family: "boundary-hopskipjump", model, params: { ...params } },
        queries,
      ),
    );
  }
  {
    const model = rng.pick(tabular);
    const params: MembershipParams = {
      targets: rng.int(24, 60),
      copies: rng.int(10, 40),
      noise: round(rng.uniform(0.005, 0.05)),
      order: rng.pick(["grouped", "interleaved"] as const),
    };
    const { queries } = membershipQueries(rng, model, params);
    attacks.push(
      tabularAttack(
        rng,
        options,
        { name: "membership", family: "membership", model, params: { ...params } },
        queries,
      ),
    );
  }
  attacks.push(rateAbuse(rng, endpoints, options));
  attacks.push(sponge(rng, endpoints, options));
  attacks.push(...promptInjections(rng, endpoints, options));
  attacks.push(outputLeakage(rng, endpoints, options));
  return attacks;
}

/** A client at the median rate that bursts to 25× the median client rate for two minutes. */
export function rateAbuse(rng: Rng, endpoints: Endpoints, options: AttackOptions): Attack {
  const model = rng.pick([endpoints.credit, endpoints.merchant]);
  const clientId = attackerId(rng);
  const burstMs = 2 * minute;
  const multiplier = 25;
  const burstStartMs = rng.uniform(options.warmupMs, options.periodMs - burstMs - 5 * minute);
  const baseRate = options.medianRatePerHour / 60 / minute;
  const times = [
    ...poissonTimes(rng, baseRate, 0, burstStartMs),
    ...poissonTimes(rng, baseRate * multiplier, burstStartMs, burstStartMs + burstMs),
    ...poissonTimes(rng, baseRate, burstStartMs + burstMs, options.periodMs),
  ];
  return {
    name: "rate-abuse",
    family: "rate-abuse",
    clientId,
    modelId: model.modelId,
    expectedKinds: expectedKinds["rate-abuse"],
    params: {
      multiplier,
      burstSeconds: burstMs / 1000,
      burstStartMinute: round(burstStartMs / minute),
      queries: times.length,
    },
    events: times.map((t) => tabularEvent(rng, model, clientId, t, model.sample(rng))),
    burstStartMs,
  };
}

function poissonTimes(rng: Rng, ratePerMs: number, startMs: number, endMs: number): number[] {
  const times: number[] = [];
  for (let t = startMs + rng.exponential(ratePerMs); t < endMs; t += rng.exponential(ratePerMs))
    times.push(t);
  return times;
}

/**
 * Sponge examples (Shumailov et al., "Sponge Examples", EuroS&P 2021) against the LLM endpoint:
 * prompts that make the model generate far more output, for far longer, than normal requests.
 */
export function sponge(rng: Rng, endpoints: Endpoints, options: AttackOptions): Attack {
  const clientId = attackerId(rng);
  const count = rng.int(150, 400);
  const spongeShare = round(rng.uniform(0.5, 0.9));
  const tokenFactor = round(rng.uniform(8, 30));
  const perMinute = rng.uniform(...options.attackRatePerMinute) / 3;
  const times = attackTimes(rng, count, perMinute, options);
  const events = times.map((atMs) => {
    if (rng.next() >= spongeShare) {
      const prompt = rng.pick(endpoints.benignPrompts).text;
      return textEvent(rng, endpoints, clientId, atMs, prompt, benignReply(rng));
    }
    const prompt = rng.pick(spongePrompts);
    const normal = normalTextCost(rng, prompt);
    const outputTokens = Math.min(32_000, Math.round(160 * tokenFactor * rng.logNormal(0, 0.2)));
    const word = rng.pick(["company", "poem", "again", "one", "the"]);
    const reply = `${word} `.repeat(Math.min(outputTokens, 2_500)).trim();
    return textEvent(rng, endpoints, clientId, atMs, prompt, reply, {
      inputTokens: normal.inputTokens,
      outputTokens,
      latencyMs: Math.round(180 + outputTokens * rng.uniform(18, 30)),
    });
  });
  return {
    name: "sponge",
    family: "sponge",
    clientId,
    modelId: endpoints.llm.modelId,
    expectedKinds: expectedKinds.sponge,
    params: { queries: count, spongeShare, tokenFactor, perMinute: round(perMinute) },
    events,
  };
}

/**
 * One attacker per held-out attack category. It sends each of its category's prompts once (at most
 * `injectionPromptsPerCategory` of them), so the run measures recall on the held-out set itself,
 * and mixes in benign prompts to look normal.
 */
export function promptInjections(rng: Rng, endpoints: Endpoints, options: AttackOptions): Attack[] {
  const byCategory = new Map<string, Prompt[]>();
  for (const prompt of options.injectionPrompts) {
    byCategory.set(prompt.category, [...(byCategory.get(prompt.category) ?? []), prompt]);
  }
  return [...byCategory.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, prompts]) => {
      const clientId = attackerId(rng);
      const injections = rng
        .shuffle([...prompts])
        .slice(0, options.injectionPromptsPerCategory ?? prompts.length);
      const injectionShare = round(rng.uniform(0.6, 0.95));
      const decoys = Math.round((injections.length * (1 - injectionShare)) / injectionShare);
      const sequence = rng.shuffle([...injections, ...Array.from({ length: decoys }, () => undefined)]);
      const perMinute = rng.uniform(...options.attackRatePerMinute) / 5;
      const times = attackTimes(rng, sequence.length, perMinute, options);
      const events = sequence.map((injection, i) => {
        const atMs = times[i] as number;
        if (injection !== undefined) {
          const reply = rng.next() < 0.7 ? refusalReply(rng) : benignReply(rng);
          return {
            ...textEvent(rng, endpoints, clientId, atMs, injection.text, reply),
            text: { category, attack: true },
          };
        }
        const prompt = rng.pick(endpoints.benignPrompts);
        return {
          ...textEvent(rng, endpoints, clientId, atMs, prompt.text, benignReply(rng)),
          text: { category: prompt.category, attack: false },
        };
      });
      const kinds = /secret|pii|leak/i.test(category)
        ? [...expectedKinds["prompt-injection"], "FINDING_KIND_DATA_LEAKAGE"]
        : expectedKinds["prompt-injection"];
      return {
        name: `prompt-injection/${category}`,
        family: "prompt-injection" as const,
        clientId,
        modelId: endpoints.llm.modelId,
        expectedKinds: kinds,
        params: {
          category,
          queries: sequence.length,
          injections: injections.length,
          injectionShare,
          perMinute: round(perMinute),
        },
        events,
      };
    });
}

/** A client whose requests make the endpoint answer with secrets and personal data. */
export function outputLeakage(rng: Rng, endpoints: Endpoints, options: AttackOptions): Attack {
  const clientId = attackerId(rng);
  const count = rng.int(60, 200);
  const leakShare = round(rng.uniform(0.3, 0.7));
  const perMinute = rng.uniform(...options.attackRatePerMinute) / 4;
  const times = attackTimes(rng, count, perMinute, options);
  const events = times.map((atMs) => {
    if (rng.next() >= leakShare) {
      const prompt = rng.pick(endpoints.benignPrompts).text;
      return textEvent(rng, endpoints, clientId, atMs, prompt, benignReply(rng));
    }
    const secrets = Array.from({ length: rng.int(1, 3) }, () => leakedSecret(rng).text);
    return textEvent(
      rng,
      endpoints,
      clientId,
      atMs,
      rng.pick(leakagePrompts),
      `${benignReply(rng)}\n${secrets.join("\n")}`,
    );
  });
  return {
    name: "output-leakage",
    family: "output-leakage",
    clientId,
    modelId: endpoints.llm.modelId,
    expectedKinds: expectedKinds["output-leakage"],
    params: { queries: count, leakShare, perMinute: round(perMinute) },
    events,
  };
}
