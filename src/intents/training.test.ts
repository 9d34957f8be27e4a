import { describe, expect, it } from 'vitest';
import { stem } from '../text/index.ts';
import { inverseDocumentFrequencies, keywordCounts, keywordTerms, weighKeywords } from './keyword-features.ts';
import { seededRandom } from './random.ts';
import { softmaxProbabilities, trainSoftmax, type SoftmaxRows, type SoftmaxSettings } from './softmax-regression.ts';
import { scoreThreshold, tuneThreshold, type ScoredExample } from './threshold.ts';

const SETTINGS: SoftmaxSettings = { epochs: 30, minimumSteps: 0, batchSize: 8, learningRate: 0.05, sparseLearningRate: 0.1, l2: 1e-4, denseScale: 1, sparseScale: 1, seed: 3 };

describe('keyword features', () => {
  it('has word unigrams, bigrams with start/end marks and character n-grams; Chinese is segmented', () => {
    const terms = keywordTerms('Card arrived?');
    const arrived = stem('arrived'); // words are stemmed as in src/text
    expect(terms).toEqual(expect.arrayContaining(['w card', `w ${arrived}`, 'b ^ card', `b card ${arrived}`, `b ${arrived} $`, 'c  ca', 'c ard ', 'c rriv']));
    expect(terms).not.toContain('c card ');
    const chinese = keywordTerms('我的退款');
    expect(chinese).toEqual(expect.arrayContaining(['w 退款', 'c 退', 'c 款', 'c 退款']));
  });

  it('weighs rare terms above common ones and gives each text unit length', () => {
    const texts = ['where is my card', 'where is my refund', 'where is my transfer', 'card declined'];
    const rows = texts.map((text) => keywordCounts({ text, bits: 12 }));
    const idf = inverseDocumentFrequencies({ rows, bits: 12 });
    const vector = weighKeywords({ counts: rows[3] ?? new Map(), idf });
    const norm = Math.sqrt(vector.values.reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect([...vector.indices]).toEqual([...vector.indices].sort((left, right) => left - right));
    const where = keywordCounts({ text: 'where', bits: 12 }).keys().next().value ?? 0;
    const declined = keywordCounts({ text: 'declined', bits: 12 }).keys().next().value ?? 0;
    expect(idf[declined]).toBeGreaterThan(idf[where] ?? Infinity);
  });
});

/** Three classes that are separable only by combining the dense and the sparse block. */
function toyRows(count: number, seed: number): { rows: SoftmaxRows; labels: Int32Array } {
  const next = seededRandom(seed);
  const labels = new Int32Array(count);
  const dense = new Float32Array(count * 2);
  const sparse = [];
  for (let row = 0; row < count; row++) {
    const label = row % 3;
    labels[row] = label;
    // Dense tells class 0 from {1, 2}; the sparse bucket tells 1 from 2.
    dense[row * 2] = (label === 0 ? 1 : -1) + (next() - 0.5) * 0.4;
    dense[row * 2 + 1] = next() - 0.5;
    sparse.push({ indices: Int32Array.from([label === 2 ? 5 : 9]), values: Float32Array.from([1]) });
  }
  return { rows: { count, denseDimension: 2, dense, sparseBits: 4, sparse }, labels };
}

describe('softmax regression', () => {
  it('learns classes that need both feature blocks, and is deterministic for a seed', () => {
    const { rows, labels } = toyRows(90, 1);
    const weights = trainSoftmax({ rows, labels, classCount: 3, settings: SETTINGS });
    const probabilities = new Float64Array(3);
    const test = toyRows(30, 2);
    let right = 0;
    for (let row = 0; row < test.rows.count; row++) {
      softmaxProbabilities({ weights, dense: test.rows.dense, denseOffset: row * 2, sparse: test.rows.sparse[row] ?? { indices: new Int32Array(), values: new Float32Array() }, out: probabilities });
      expect(probabilities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 9);
      const best = probabilities.indexOf(Math.max(...probabilities));
      if (best === test.labels[row]) right++;
    }
    expect(right).toBe(30);
    const again = trainSoftmax({ rows, labels, classCount: 3, settings: SETTINGS });
    expect(Buffer.from(again.dense.buffer).equals(Buffer.from(weights.dense.buffer))).toBe(true);
    const otherSeed = trainSoftmax({ rows, labels, classCount: 3, settings: { ...SETTINGS, seed: 4 } });
    expect(Buffer.from(otherSeed.dense.buffer).equals(Buffer.from(weights.dense.buffer))).toBe(false);
  });

  it('only changes the weights of sparse buckets some example has', () => {
    const { rows, labels } = toyRows(30, 1);
    const weights = trainSoftmax({ rows, labels, classCount: 3, settings: SETTINGS });
    const used = new Set([5, 9]);
    for (let bucket = 0; bucket < 16; bucket++) {
      const row = weights.sparse.subarray(bucket * 3, bucket * 3 + 3);
      expect(row.some((value) => value !== 0)).toBe(used.has(bucket));
    }
  });
});

describe('threshold', () => {
  const example = (confidence: number, correct: boolean, outOfScope = false, rejectedByClass = false): ScoredExample => ({ confidence, correct, outOfScope, rejectedByClass });

  it('with out-of-scope examples, balances in-scope accuracy and out-of-scope recall', () => {
    const scored = [example(0.9, true), example(0.8, true), example(0.6, true), example(0.5, false), example(0.55, false, true), example(0.3, false, true), example(0.2, false, true, true)];
    const choice = tuneThreshold({ scored, inScopeKeep: 0.95 });
    expect(choice.method).toBe('balanced-out-of-scope');
    expect(choice.threshold).toBe(0.6);
    expect(choice.inScopeAccuracy).toBe(0.75);
    expect(choice.outOfScopeRecall).toBe(1);
    expect(scoreThreshold(scored, 0)).toEqual({ inScopeAccuracy: 0.75, outOfScopeRecall: 1 / 3 });
  });

  it('without them, keeps the asked share of correctly recognised held-out messages', () => {
    const scored = Array.from({ length: 20 }, (_, index) => example((index + 1) / 20, true));
    const choice = tuneThreshold({ scored, inScopeKeep: 0.9 });
    expect(choice.method).toBe('in-scope-quantile');
    expect(choice.threshold).toBe(0.15);
    expect(choice.inScopeAccuracy).toBe(0.9);
    expect(tuneThreshold({ scored: [], inScopeKeep: 0.9, fallback: 0.2 })).toEqual({ threshold: 0.2, method: 'default', inScopeAccuracy: 0 });
  });
});
