/**
 * Multinomial logistic regression (softmax) over a dense block (the sentence embedding) and a sparse
 * block (hashed keyword features) with L2 regularisation, over typed arrays. Deterministic: the same
 * rows, labels and seed give the same weights.
 *
 * The dense block learns with mini-batch Adam. The sparse block learns with AdaGrad one example at a
 * time, touching only that example's buckets: an update costs what the example holds, not the
 * 2^bits × classes of the whole block, and there are no moments to decay for untouched buckets.
 * Both step sizes decay linearly to a tenth by the last step.
 *
 * @example
 *   const weights = trainSoftmax({ rows, labels, classCount: 3, settings: DEFAULT_SOFTMAX_SETTINGS });
 *   const probabilities = new Float64Array(3);
 *   softmaxProbabilities({ weights, dense: vector, sparse: keywords, out: probabilities });
 */
import { seededRandom, shuffleInPlace } from './random.ts';
import type { SparseVector } from './keyword-features.ts';

export interface SoftmaxSettings {
  /** Passes over the training rows (more when needed to reach `minimumSteps`). */
  epochs: number;
  /** At least this many gradient steps, so a few dozen examples (one batch a pass) are learned too. */
  minimumSteps: number;
  /** Rows per gradient step. */
  batchSize: number;
  /** Adam step size of the dense block at the start; it decays linearly to a tenth of this by the last epoch. */
  learningRate: number;
  /** AdaGrad step size of the sparse block at the start, decaying the same way. */
  sparseLearningRate: number;
  /** L2 penalty on the weights (not the biases), per row, as in `loss + l2/2 · |w|²`. */
  l2: number;
  /** Multiplies the dense block (the embedding) before the weights see it. */
  denseScale: number;
  /** Multiplies the sparse block (keywords) before the weights see it. */
  sparseScale: number;
  seed: number;
}

/** The rows to learn from: `dense` holds `count × denseDimension` values row after row. */
export interface SoftmaxRows {
  count: number;
  denseDimension: number;
  dense: Float32Array;
  sparseBits: number;
  sparse: readonly SparseVector[];
}

export interface SoftmaxWeights {
  classCount: number;
  denseDimension: number;
  sparseBits: number;
  denseScale: number;
  sparseScale: number;
  /** `classCount × denseDimension`, one class after another. */
  dense: Float32Array;
  /** `2^sparseBits × classCount`, one bucket after another (a bucket's class weights are adjacent). */
  sparse: Float32Array;
  bias: Float32Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** Dot product of `weights[wOffset…]` and `vector[vOffset…]` over `length` values, unrolled by four. */
function dot(weights: Float32Array, wOffset: number, vector: ArrayLike<number>, vOffset: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let index = 0;
  for (; index + 3 < length; index += 4) {
    s0 += (weights[wOffset + index] as number) * (vector[vOffset + index] as number);
    s1 += (weights[wOffset + index + 1] as number) * (vector[vOffset + index + 1] as number);
    s2 += (weights[wOffset + index + 2] as number) * (vector[vOffset + index + 2] as number);
    s3 += (weights[wOffset + index + 3] as number) * (vector[vOffset + index + 3] as number);
  }
  for (; index < length; index++) s0 += (weights[wOffset + index] as number) * (vector[vOffset + index] as number);
  return s0 + s1 + s2 + s3;
}

/**
 * Class probabilities of one row, written into `out` (length `classCount`). `dense` is read from
 * `denseOffset` on, so a row of a packed matrix needs no copy.
 */
export function softmaxProbabilities({ weights, dense, denseOffset = 0, sparse, out }: { weights: SoftmaxWeights; dense: ArrayLike<number>; denseOffset?: number; sparse: SparseVector; out: Float64Array }): void {
  const { classCount, denseDimension } = weights;
  for (let label = 0; label < classCount; label++) {
    out[label] = (weights.bias[label] as number) + weights.denseScale * dot(weights.dense, label * denseDimension, dense, denseOffset, denseDimension);
  }
  for (let position = 0; position < sparse.indices.length; position++) {
    const offset = (sparse.indices[position] as number) * classCount;
    const value = weights.sparseScale * (sparse.values[position] as number);
    for (let label = 0; label < classCount; label++) out[label] = (out[label] as number) + (weights.sparse[offset + label] as number) * value;
  }
  let highest = -Infinity;
  for (let label = 0; label < classCount; label++) highest = Math.max(highest, out[label] as number);
  let total = 0;
  for (let label = 0; label < classCount; label++) {
    const value = Math.exp((out[label] as number) - highest);
    out[label] = value;
    total += value;
  }
  for (let label = 0; label < classCount; label++) out[label] = (out[label] as number) / total;
}

function adamStep(options: { weights: Float32Array; first: Float32Array; second: Float32Array; gradient: Float32Array | Float64Array; start: number; length: number; gradientStart: number; rate: number; l2: number; correction1: number; correction2: number }): void {
  const { weights, first, second, gradient, start, length, gradientStart, rate, l2, correction1, correction2 } = options;
  for (let index = 0; index < length; index++) {
    const at = start + index;
    const weight = weights[at] as number;
    const g = (gradient[gradientStart + index] as number) + l2 * weight;
    const m = BETA1 * (first[at] as number) + (1 - BETA1) * g;
    const v = BETA2 * (second[at] as number) + (1 - BETA2) * g * g;
    first[at] = m;
    second[at] = v;
    weights[at] = weight - (rate * (m / correction1)) / (Math.sqrt(v / correction2) + EPSILON);
  }
}

/**
 * Learns softmax weights from labelled rows. `labels[i]` is the class (0…classCount-1) of row i.
 * `onEpoch` is told after each pass (for progress). Classes without rows simply never win.
 *
 * @example
 *   const weights = trainSoftmax({ rows, labels: Int32Array.from([0, 1, 1]), classCount: 2, settings });
 */
export function trainSoftmax({ rows, labels, classCount, settings, onEpoch }: { rows: SoftmaxRows; labels: Int32Array; classCount: number; settings: SoftmaxSettings; onEpoch?: (epoch: number, epochs: number) => void }): SoftmaxWeights {
  const { denseDimension, sparseBits, count } = rows;
  const buckets = 1 << sparseBits;
  const weights: SoftmaxWeights = {
    classCount,
    denseDimension,
    sparseBits,
    denseScale: settings.denseScale,
    sparseScale: settings.sparseScale,
    dense: new Float32Array(classCount * denseDimension),
    sparse: new Float32Array(buckets * classCount),
    bias: new Float32Array(classCount),
  };
  const denseFirst = new Float32Array(weights.dense.length);
  const denseSecond = new Float32Array(weights.dense.length);
  const sparseAccumulated = new Float32Array(weights.sparse.length);
  const biasFirst = new Float32Array(classCount);
  const biasSecond = new Float32Array(classCount);
  const denseGradient = new Float64Array(weights.dense.length);
  const biasGradient = new Float64Array(classCount);
  const probabilities = new Float64Array(classCount);
  const scaledDense = new Float64Array(denseDimension);

  const order = new Int32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  const next = seededRandom(settings.seed);
  const batchSize = Math.max(1, settings.batchSize);
  const batchesPerEpoch = Math.ceil(count / batchSize);
  const epochs = Math.max(settings.epochs, Math.ceil(settings.minimumSteps / batchesPerEpoch));
  const totalSteps = Math.max(1, epochs * batchesPerEpoch);
  let step = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, next);
    for (let batchStart = 0; batchStart < count; batchStart += batchSize) {
      const batchEnd = Math.min(count, batchStart + batchSize);
      denseGradient.fill(0);
      biasGradient.fill(0);
      for (let position = batchStart; position < batchEnd; position++) {
        const row = order[position] as number;
        const sparse = rows.sparse[row] as SparseVector;
        softmaxProbabilities({ weights, dense: rows.dense, denseOffset: row * denseDimension, sparse, out: probabilities });
        probabilities[labels[row] as number] = (probabilities[labels[row] as number] as number) - 1;
        const rowOffset = row * denseDimension;
        for (let index = 0; index < denseDimension; index++) scaledDense[index] = settings.denseScale * (rows.dense[rowOffset + index] as number);
        for (let label = 0; label < classCount; label++) {
          const g = probabilities[label] as number;
          biasGradient[label] = (biasGradient[label] as number) + g;
          if (g === 0) continue;
          const offset = label * denseDimension;
          for (let index = 0; index < denseDimension; index++) denseGradient[offset + index] = (denseGradient[offset + index] as number) + g * (scaledDense[index] as number);
        }
        // AdaGrad on the sparse block, one example at a time: per-coordinate steps suit rare
        // features, and updating in place touches only this example's buckets, with no batch
        // gradient to gather (scattered rows of a large array are what costs time here).
        const sparseRate = settings.sparseLearningRate * (1 - (0.9 * step) / totalSteps);
        for (let entry = 0; entry < sparse.indices.length; entry++) {
          const offset = (sparse.indices[entry] as number) * classCount;
          const value = settings.sparseScale * (sparse.values[entry] as number);
          for (let label = 0; label < classCount; label++) {
            const at = offset + label;
            const weight = weights.sparse[at] as number;
            const g = (probabilities[label] as number) * value + settings.l2 * weight;
            const accumulated = (sparseAccumulated[at] as number) + g * g;
            sparseAccumulated[at] = accumulated;
            weights.sparse[at] = weight - (sparseRate * g) / (Math.sqrt(accumulated) + 1e-6);
          }
        }
      }
      const scale = 1 / (batchEnd - batchStart);
      for (let index = 0; index < denseGradient.length; index++) denseGradient[index] = (denseGradient[index] as number) * scale;
      for (let label = 0; label < classCount; label++) biasGradient[label] = (biasGradient[label] as number) * scale;
      step++;
      const rate = settings.learningRate * (1 - (0.9 * (step - 1)) / totalSteps);
      const correction1 = 1 - BETA1 ** step;
      const correction2 = 1 - BETA2 ** step;
      adamStep({ weights: weights.dense, first: denseFirst, second: denseSecond, gradient: denseGradient, start: 0, length: denseGradient.length, gradientStart: 0, rate, l2: settings.l2, correction1, correction2 });
      adamStep({ weights: weights.bias, first: biasFirst, second: biasSecond, gradient: biasGradient, start: 0, length: classCount, gradientStart: 0, rate, l2: 0, correction1, correction2 });
    }
    onEpoch?.(epoch + 1, epochs);
  }
  return weights;
}
