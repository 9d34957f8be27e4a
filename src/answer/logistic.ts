/**
 * A small, dependable logistic regression: the calibrated models behind answerability and the FAQ
 * fast path. Features are standardised with the training set's mean and spread (kept in the model),
 * weights fitted by full-batch gradient descent with L2 regularisation, rows weighted so every dataset
 * counts the same however many questions it has. Deterministic: same rows, same model.
 *
 * @example
 *   const model = fitLogistic({ names: ['a', 'b'], rows: [{ x: [1, 0], y: 1 }, { x: [0, 1], y: 0 }] });
 *   predictLogistic(model, { a: 0.9, b: 0.1 }) // ≈ 0.8
 */

export interface LogisticModel {
  /** Feature names, in the order of `weights`. */
  names: string[];
  weights: number[];
  bias: number;
  /** Standardisation learned from the training rows. */
  mean: number[];
  scale: number[];
}

export interface TrainingRow {
  x: number[];
  /** 1 = positive (answerable / right FAQ entry), 0 = negative. */
  y: 0 | 1;
  /** Row weight (default 1). */
  weight?: number;
}

function sigmoid(value: number): number {
  if (value >= 0) return 1 / (1 + Math.exp(-value));
  const exp = Math.exp(value);
  return exp / (1 + exp);
}

/** Probability of the positive class for named feature values (missing features count as 0). */
export function predictLogistic(model: LogisticModel, features: Readonly<Record<string, number>>): number {
  let sum = model.bias;
  model.names.forEach((name, index) => {
    const value = features[name] ?? 0;
    sum += (model.weights[index] ?? 0) * ((value - (model.mean[index] ?? 0)) / (model.scale[index] || 1));
  });
  return sigmoid(sum);
}

/** Fits a model; `l2` is the regularisation strength on standardised weights. */
export function fitLogistic(options: { names: string[]; rows: readonly TrainingRow[]; l2?: number; iterations?: number; learningRate?: number }): LogisticModel {
  const { names, rows } = options;
  const l2 = options.l2 ?? 0.01;
  const iterations = options.iterations ?? 3000;
  const learningRate = options.learningRate ?? 0.5;
  const dimension = names.length;
  const totalWeight = rows.reduce((sum, row) => sum + (row.weight ?? 1), 0) || 1;
  const mean = Array.from({ length: dimension }, (_, index) => rows.reduce((sum, row) => sum + (row.weight ?? 1) * (row.x[index] ?? 0), 0) / totalWeight);
  const scale = Array.from({ length: dimension }, (_, index) => {
    const variance = rows.reduce((sum, row) => sum + (row.weight ?? 1) * ((row.x[index] ?? 0) - (mean[index] ?? 0)) ** 2, 0) / totalWeight;
    return Math.sqrt(variance) || 1;
  });
  const standardised = rows.map((row) => row.x.map((value, index) => (value - (mean[index] ?? 0)) / (scale[index] ?? 1)));
  const weights = new Array<number>(dimension).fill(0);
  let bias = 0;
  for (let iteration = 0; iteration < iterations; iteration++) {
    const gradient = new Array<number>(dimension).fill(0);
    let biasGradient = 0;
    rows.forEach((row, rowIndex) => {
      const x = standardised[rowIndex] ?? [];
      let sum = bias;
      for (let index = 0; index < dimension; index++) sum += (weights[index] ?? 0) * (x[index] ?? 0);
      const error = (sigmoid(sum) - row.y) * (row.weight ?? 1);
      for (let index = 0; index < dimension; index++) gradient[index] = (gradient[index] ?? 0) + error * (x[index] ?? 0);
      biasGradient += error;
    });
    for (let index = 0; index < dimension; index++) {
      weights[index] = (weights[index] ?? 0) - learningRate * ((gradient[index] ?? 0) / totalWeight + l2 * (weights[index] ?? 0));
    }
    bias -= learningRate * (biasGradient / totalWeight);
  }
  return { names: [...names], weights, bias, mean, scale };
}
