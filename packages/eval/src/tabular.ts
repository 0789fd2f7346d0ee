import type { Rng } from "./random.js";
import { probabilities, type SoftmaxModel, trainSoftmax } from "./softmax.js";

/**
 * How one numeric feature's realistic marginal is made from its standard-normal latent z:
 * - integer: round(mean + sd·z), e.g. age
 * - lognormal: exp(mu + sigma·z), right-skewed amounts (income, balances)
 * - count: floor(exp(mu + sigma·z)) − 1 floored at 0, skewed integers with many zeros (delinquencies)
 * - ratio: logistic(mean + sd·z), a share in (0, 1)
 * - normal: mean + sd·z
 * Every value is clamped into the feature's box, which is also the declared schema range, so benign
 * traffic never breaks the schema.
 */
export type Marginal =
  | { type: "integer"; mean: number; sd: number }
  | { type: "lognormal"; mu: number; sigma: number }
  | { type: "count"; mu: number; sigma: number }
  | { type: "ratio"; mean: number; sd: number }
  | { type: "normal"; mean: number; sd: number };

export interface FeatureSpec {
  name: string;
  marginal: Marginal;
  min: number;
  max: number;
  integer: boolean;
}

/** A tabular model as the inference service runs it: a feature space, a trained classifier, its data. */
export interface TabularModel {
  modelId: string;
  modelVersion: string;
  features: FeatureSpec[];
  classes: string[];
  /** Draws one realistic input (raw feature values, in `features` order). */
  sample(rng: Rng): number[];
  /** The model's answer, as class probabilities in `classes` order. */
  predictProba(input: ArrayLike<number>): number[];
  /** Records the model was trained on (membership inference targets come from here). */
  trainingSet: number[][];
  trainingAccuracy: number;
}

function marginalBox(marginal: Marginal): { min: number; max: number; integer: boolean } {
  switch (marginal.type) {
    case "integer":
      return {
        min: Math.max(0, Math.floor(marginal.mean - 4 * marginal.sd)),
        max: Math.ceil(marginal.mean + 4 * marginal.sd),
        integer: true,
      };
    case "lognormal":
      return { min: 0, max: roundSignificant(Math.exp(marginal.mu + 4 * marginal.sigma)), integer: false };
    case "count":
      return { min: 0, max: Math.ceil(Math.exp(marginal.mu + 4 * marginal.sigma)), integer: true };
    case "ratio":
      return { min: 0, max: 1, integer: false };
    case "normal":
      return { min: marginal.mean - 5 * marginal.sd, max: marginal.mean + 5 * marginal.sd, integer: false };
  }
}

function roundSignificant(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / magnitude) * magnitude;
}

export function feature(name: string, marginal: Marginal): FeatureSpec {
  return { name, marginal, ...marginalBox(marginal) };
}

export function transform(spec: FeatureSpec, z: number): number {
  const m = spec.marginal;
  let value: number;
  switch (m.type) {
    case "integer":
      value = Math.round(m.mean + m.sd * z);
      break;
    case "lognormal":
      value = Math.round(Math.exp(m.mu + m.sigma * z) * 100) / 100;
      break;
    case "count":
      value = Math.max(0, Math.floor(Math.exp(m.mu + m.sigma * z)) - 1);
      break;
    case "ratio":
      value = Math.round((1 / (1 + Math.exp(-(m.mean + m.sd * z)))) * 10_000) / 10_000;
      break;
    case "normal":
      value = Math.round((m.mean + m.sd * z) * 1000) / 1000;
      break;
  }
  return Math.min(spec.max, Math.max(spec.min, value));
}

/** Skewed features enter the model on a log scale, as a data scientist would feed them. */
function modelScale(spec: FeatureSpec, value: number): number {
  return spec.marginal.type === "lognormal" || spec.marginal.type === "count" ? Math.log1p(value) : value;
}

/**
 * Correlated latents from a factor model: z = L·f + √(1 − ‖L_j‖²)·ε, every z_j standard normal,
 * features sharing factors correlated.
 */
function factorLoadings(rng: Rng, dims: number, factors: number): number[][] {
  return Array.from({ length: dims }, () => {
    const row = Array.from({ length: factors }, () => rng.normal(0, 0.5));
    const norm = Math.hypot(...row);
    const target = rng.uniform(0.3, 0.85);
    return row.map((value) => (value / norm) * target);
  });
}

function latent(rng: Rng, loadings: number[][], shift?: number[]): number[] {
  const factors = Array.from({ length: loadings[0]?.length ?? 0 }, () => rng.normal());
  return loadings.map((row, j) => {
    const common = row.reduce((sum, weight, f) => sum + weight * (factors[f] as number), 0);
    const own = Math.sqrt(Math.max(0, 1 - row.reduce((sum, weight) => sum + weight * weight, 0)));
    return common + own * rng.normal() + (shift?.[j] ?? 0);
  });
}

interface Standardizer {
  mean: number[];
  sd: number[];
}

function fitStandardizer(rows: number[][]): Standardizer {
  const dims = rows[0]?.length ?? 0;
  const mean = new Array(dims).fill(0);
  const sd = new Array(dims).fill(0);
  for (const row of rows) for (let j = 0; j < dims; j++) mean[j] += (row[j] as number) / rows.length;
  for (const row of rows)
    for (let j = 0; j < dims; j++) sd[j] += ((row[j] as number) - mean[j]) ** 2 / rows.length;
  return { mean, sd: sd.map((variance) => Math.sqrt(variance) || 1) };
}

function buildModel(
  rng: Rng,
  base: { modelId: string; modelVersion: string; features: FeatureSpec[]; classes: string[] },
  draw: (rng: Rng) => { latent: number[]; label: number },
  trainingSize: number,
): TabularModel {
  const toRaw = (z: number[]) => base.features.map((spec, j) => transform(spec, z[j] as number));
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < trainingSize; i++) {
    const example = draw(rng);
    rows.push(toRaw(example.latent));
    labels.push(example.label);
  }
  const scaledRows = (raw: ArrayLike<number>[]) =>
    raw.map((row) => base.features.map((spec, j) => modelScale(spec, row[j] as number)));
  const standardizer = fitStandardizer(scaledRows(rows));
  const standardize = (raw: ArrayLike<number>) =>
    base.features.map(
      (spec, j) =>
        (modelScale(spec, raw[j] as number) - (standardizer.mean[j] as number)) /
        (standardizer.sd[j] as number),
    );
  const inputs = rows.map(standardize);
  const classifier: SoftmaxModel = trainSoftmax(inputs, labels, base.classes.length, {
    epochs: 120,
    learningRate: 0.8,
    l2: 1e-3,
  });
  const predictProba = (input: ArrayLike<number>) => probabilities(classifier, standardize(input));
  const correct = inputs.filter((input, i) => argmax(probabilities(classifier, input)) === labels[i]).length;
  return {
    ...base,
    sample: (source) => toRaw(draw(source).latent),
    predictProba,
    trainingSet: rows,
    trainingAccuracy: correct / rows.length,
  };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

const creditFeatures: FeatureSpec[] = [
  feature("age", { type: "integer", mean: 43, sd: 12 }),
  feature("annual_income", { type: "lognormal", mu: Math.log(52_000), sigma: 0.55 }),
  feature("months_employed", { type: "count", mu: 3.6, sigma: 0.9 }),
  feature("credit_utilization", { type: "ratio", mean: -0.6, sd: 1.1 }),
  feature("open_accounts", { type: "count", mu: 1.9, sigma: 0.5 }),
  feature("delinquencies_2y", { type: "count", mu: 0.1, sigma: 0.6 }),
  feature("credit_history_months", { type: "integer", mean: 160, sd: 70 }),
  feature("inquiries_6m", { type: "count", mu: 0.6, sigma: 0.6 }),
  feature("loan_amount", { type: "lognormal", mu: Math.log(14_000), sigma: 0.8 }),
  feature("loan_term_months", { type: "integer", mean: 44, sd: 14 }),
  feature("interest_rate", { type: "normal", mean: 11.5, sd: 4 }),
  feature("home_value", { type: "lognormal", mu: Math.log(210_000), sigma: 0.7 }),
  feature("savings_balance", { type: "lognormal", mu: Math.log(6_000), sigma: 1.3 }),
  feature("checking_balance", { type: "lognormal", mu: Math.log(2_400), sigma: 1.1 }),
  feature("dependents", { type: "count", mu: 0.5, sigma: 0.5 }),
  feature("revolving_balance", { type: "lognormal", mu: Math.log(5_500), sigma: 1 }),
  feature("installment_balance", { type: "lognormal", mu: Math.log(12_000), sigma: 1.1 }),
  feature("mortgage_accounts", { type: "count", mu: 0.4, sigma: 0.5 }),
  feature("auto_loans", { type: "count", mu: 0.5, sigma: 0.5 }),
  feature("student_loan_balance", { type: "lognormal", mu: Math.log(9_000), sigma: 1.4 }),
  feature("bankruptcies", { type: "count", mu: -0.3, sigma: 0.5 }),
  feature("collections", { type: "count", mu: 0, sigma: 0.6 }),
  feature("late_payments_12m", { type: "count", mu: 0.3, sigma: 0.7 }),
  feature("avg_account_age_months", { type: "integer", mean: 70, sd: 30 }),
  feature("recent_account_opens", { type: "count", mu: 0.4, sigma: 0.6 }),
  feature("total_credit_limit", { type: "lognormal", mu: Math.log(28_000), sigma: 0.8 }),
  feature("cash_advances_12m", { type: "count", mu: 0.2, sigma: 0.7 }),
  feature("payment_to_income", { type: "ratio", mean: -2, sd: 0.6 }),
  feature("years_at_address", { type: "integer", mean: 7, sd: 4 }),
  feature("credit_cards", { type: "count", mu: 1.3, sigma: 0.5 }),
];

/**
 * A 30-feature credit-scoring logistic regression. Default risk depends on a hidden linear score of
 * the latents (not on the raw values), so the trained model is good but not perfect.
 */
export function creditModel(rng: Rng, trainingSize = 3_000): TabularModel {
  const loadings = factorLoadings(rng, creditFeatures.length, 5);
  const truth = creditFeatures.map(() => rng.normal(0, 0.6));
  return buildModel(
    rng,
    {
      modelId: "credit-scoring",
      modelVersion: "2026.12.1",
      features: creditFeatures,
      classes: ["approve", "deny"],
    },
    (source) => {
      const z = latent(source, loadings);
      const score = z.reduce((sum, value, j) => sum + value * (truth[j] as number), -0.8);
      return { latent: z, label: source.next() < 1 / (1 + Math.exp(-score)) ? 1 : 0 };
    },
    trainingSize,
  );
}

const merchantClasses = ["grocery", "travel", "electronics", "fuel", "dining", "online"];

function merchantFeatures(): FeatureSpec[] {
  return Array.from({ length: 64 }, (_, j) => {
    const name = `signal_${String(j).padStart(2, "0")}`;
    if (j < 40) return feature(name, { type: "normal", mean: 0, sd: 1 + (j % 5) * 0.4 });
    if (j < 52) return feature(name, { type: "lognormal", mu: 2 + (j % 3), sigma: 0.6 + (j % 4) * 0.15 });
    if (j < 60) return feature(name, { type: "count", mu: 0.5 + (j % 3) * 0.5, sigma: 0.6 });
    return feature(name, { type: "ratio", mean: -1 + (j % 2), sd: 0.8 });
  });
}

/**
 * A 64-feature, 6-class transaction classifier (softmax regression). Each class shifts the
 * correlated latents by its own mean, so classes overlap as real segments do.
 */
export function merchantModel(rng: Rng, trainingSize = 3_000): TabularModel {
  const features = merchantFeatures();
  const loadings = factorLoadings(rng, features.length, 8);
  const classMeans = merchantClasses.map(() => features.map(() => rng.normal(0, 0.25)));
  const prior = [0.3, 0.08, 0.12, 0.15, 0.2, 0.15];
  return buildModel(
    rng,
    { modelId: "merchant-category", modelVersion: "7.3.0", features, classes: merchantClasses },
    (source) => {
      let u = source.next();
      let label = 0;
      while (label < prior.length - 1 && u >= (prior[label] as number)) u -= prior[label++] as number;
      return { latent: latent(source, loadings, classMeans[label]), label };
    },
    trainingSize,
  );
}

/** A feature vector as the SDK takes it. */
export function toFeatureRecord(model: TabularModel, input: ArrayLike<number>): Record<string, number> {
  return Object.fromEntries(model.features.map((spec, j) => [spec.name, input[j] as number]));
}

/** The model's output as the SDK takes it: top label and every class score. */
export function toOutput(
  model: TabularModel,
  input: ArrayLike<number>,
): { label: string; scores: Record<string, number> } {
  const p = model.predictProba(input);
  return {
    label: model.classes[argmax(p)] as string,
    scores: Object.fromEntries(
      model.classes.map((name, k) => [name, Math.round((p[k] as number) * 1e6) / 1e6]),
    ),
  };
}
