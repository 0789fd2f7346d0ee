/**
 * Multinomial logistic (softmax) regression trained by full-batch gradient descent. With two
 * classes it is logistic regression. Both the production models and the attackers' substitutes
 * are this, each with its own input scaling.
 */
export interface SoftmaxModel {
  /** weights[k][j] for class k and (scaled) input j. */
  weights: number[][];
  bias: number[];
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
}

export function softmax(logits: number[]): number[] {
  const top = Math.max(...logits);
  const exps = logits.map((value) => Math.exp(value - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

export function probabilities(model: SoftmaxModel, input: ArrayLike<number>): number[] {
  const logits = model.weights.map((row, k) => {
    let z = model.bias[k] as number;
    for (let j = 0; j < row.length; j++) z += (row[j] as number) * (input[j] as number);
    return z;
  });
  return softmax(logits);
}

/** Fits `classes` outputs to `inputs` (already scaled) with labels in [0, classes). */
export function trainSoftmax(
  inputs: ArrayLike<number>[],
  labels: number[],
  classes: number,
  options: TrainOptions,
  start?: SoftmaxModel,
): SoftmaxModel {
  if (inputs.length === 0) throw new Error("cannot train on zero examples");
  if (inputs.length !== labels.length) throw new Error("inputs and labels differ in length");
  const dims = inputs[0]?.length ?? 0;
  const weights =
    start?.weights.map((row) => [...row]) ?? Array.from({ length: classes }, () => new Array(dims).fill(0));
  const bias = start ? [...start.bias] : new Array(classes).fill(0);
  const model = { weights, bias };
  const n = inputs.length;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const gradW = Array.from({ length: classes }, () => new Array(dims).fill(0));
    const gradB = new Array(classes).fill(0);
    for (let i = 0; i < n; i++) {
      const input = inputs[i] as ArrayLike<number>;
      const p = probabilities(model, input);
      for (let k = 0; k < classes; k++) {
        const error = (p[k] as number) - (labels[i] === k ? 1 : 0);
        gradB[k] += error;
        const row = gradW[k] as number[];
        for (let j = 0; j < dims; j++) row[j] = (row[j] as number) + error * (input[j] as number);
      }
    }
    for (let k = 0; k < classes; k++) {
      bias[k] -= (options.learningRate * gradB[k]) / n;
      const row = weights[k] as number[];
      const grad = gradW[k] as number[];
      for (let j = 0; j < dims; j++) {
        row[j] =
          (row[j] as number) -
          options.learningRate * ((grad[j] as number) / n + options.l2 * (row[j] as number));
      }
    }
  }
  return model;
}

/**
 * ∂p_k/∂u for one class k: p_k · (W_k − Σ_i p_i W_i). The attackers take the sign of this (in
 * their own scaled coordinates) to step along the substitute's gradient.
 */
export function classGradient(model: SoftmaxModel, input: ArrayLike<number>, k: number): number[] {
  const p = probabilities(model, input);
  const dims = model.weights[0]?.length ?? 0;
  const gradient = new Array(dims).fill(0);
  for (let j = 0; j < dims; j++) {
    let mixed = 0;
    for (let i = 0; i < p.length; i++)
      mixed += (p[i] as number) * ((model.weights[i] as number[])[j] as number);
    gradient[j] = (p[k] as number) * (((model.weights[k] as number[])[j] as number) - mixed);
  }
  return gradient;
}
