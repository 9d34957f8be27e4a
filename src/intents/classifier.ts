/**
 * The intent classifier: softmax regression over the frozen sentence embedding of a message (the
 * configured `Embedder`) plus hashed TF-IDF keyword features, trained in seconds at sync time, with
 * out-of-scope detection (an `out_of_scope` class when the examples have one, and a confidence
 * threshold learned on held-out examples). Deterministic for the same examples, settings and model.
 *
 * Serialisable (`toJSON` / `intentModelFromJSON`) so a sync can keep the trained model beside the
 * index and reuse it while `intentModelFingerprint` of the examples is unchanged.
 *
 * @example
 *   const model = await trainIntentClassifier({ examples, embedder });
 *   const vector = await embedder.embedQuery('where is my parcel?');   // the answer path has it anyway
 *   model.classify({ text: 'where is my parcel?', vector });
 *   // { intent: 'order_status', confidence: 0.93, ranking: [{ intent: 'order_status', probability: 0.93 }, …] }
 */
import { createHash } from 'node:crypto';
import type { Embedder } from '../embeddings/types.ts';
import { KefuError } from '../errors/index.ts';
import { inverseDocumentFrequencies, keywordCounts, weighKeywords, type SparseVector } from './keyword-features.ts';
import { seededRandom, shuffleInPlace } from './random.ts';
import { softmaxProbabilities, trainSoftmax, type SoftmaxWeights } from './softmax-regression.ts';
import { tuneThreshold, type ScoredExample, type ThresholdChoice } from './threshold.ts';
import { OUT_OF_SCOPE_INTENT, type IntentClassification, type IntentExample, type IntentScore } from './types.ts';
import { embedWithCache, type VectorCache } from './vector-cache.ts';

/** Bump when training or features change so that cached models are retrained. */
export const INTENT_TRAINER_VERSION = 1;

export interface IntentTrainingSettings {
  /** Passes over the examples. */
  epochs: number;
  /** At least this many gradient steps (small files get more passes; they cost little). */
  minimumSteps: number;
  batchSize: number;
  /** Step size for the embedding weights (Adam). */
  learningRate: number;
  /** Step size for the keyword weights (AdaGrad). */
  sparseLearningRate: number;
  /** L2 penalty on the weights. */
  l2: number;
  /** Weight of the sentence embedding (unit length) against the keyword vector (unit length). */
  embeddingWeight: number;
  keywordWeight: number;
  /** Keyword features are hashed into 2^hashBits buckets. */
  hashBits: number;
  seed: number;
  /** Share of each intent's examples held out to learn the threshold when no `validation` is given. */
  validationFraction: number;
  /** Without out-of-scope examples: the threshold keeps this share of held-out, correctly recognised messages. */
  inScopeKeep: number;
  /** After the threshold is learned, train again on all the examples (the held-out ones included). */
  refit: boolean;
}

/**
 * Defaults, chosen on the validation parts of banking77 and clinc150 together (never their test
 * parts); eval/README.md ("Intent classification") says how each was chosen.
 */
export const DEFAULT_INTENT_SETTINGS: Readonly<IntentTrainingSettings> = Object.freeze({
  epochs: 5,
  minimumSteps: 300,
  batchSize: 32,
  learningRate: 0.01,
  sparseLearningRate: 0.02,
  l2: 3e-5,
  embeddingWeight: 1,
  keywordWeight: 1,
  hashBits: 15,
  seed: 42,
  validationFraction: 0.2,
  inScopeKeep: 0.95,
  refit: true,
});

export type IntentTrainingProgress =
  | { stage: 'embedding'; done: number; total: number }
  | { stage: 'training'; pass: 'held-out' | 'final'; epoch: number; epochs: number };

export interface TrainIntentClassifierOptions {
  /** Labelled examples; `intent: 'out_of_scope'` marks messages that belong to no intent. */
  examples: readonly IntentExample[];
  embedder: Embedder;
  /**
   * Held-out examples to learn the threshold on. When absent, a seeded share of `examples`
   * (`validationFraction` of each intent) is held out, and the model is trained again on all of them.
   */
  validation?: readonly IntentExample[];
  /** Vectors of texts already embedded (by text); new ones are added to it. */
  vectorCache?: VectorCache;
  settings?: Partial<IntentTrainingSettings>;
  onProgress?: (progress: IntentTrainingProgress) => void;
}

/** What training measured, kept with the model. */
export interface IntentTrainingReport {
  examples: number;
  intents: number;
  outOfScopeExamples: number;
  /** Examples the threshold was learned on (0: none could be held out, the default threshold is used). */
  heldOut: number;
  /**
   * Share of the held-out in-scope examples whose best intent was right, threshold aside (the model
   * that saw them not): what to expect of new messages. Undefined when nothing was held out.
   */
  heldOutAccuracy?: number;
  threshold: ThresholdChoice;
  milliseconds: { embedding: number; training: number; total: number };
  /** Texts embedded in this run (the rest came from the vector cache). */
  embedded: number;
}

export interface IntentModel {
  /** The embedding model the classifier was trained over; vectors from another model are refused. */
  readonly embedderModelId: string;
  readonly dimension: number;
  /** The intents it can return, sorted. */
  readonly intents: readonly string[];
  /** Confidence below which a message gets no intent. */
  readonly threshold: number;
  /** `intentModelFingerprint` of what it was trained on. */
  readonly fingerprint: string;
  readonly report: IntentTrainingReport;
  /**
   * Classifies one message from its text and its query vector (the `embedQuery` vector the answer
   * path computes anyway). Synchronous: no embedding, well under a millisecond.
   */
  classify(input: { text: string; vector: ArrayLike<number>; top?: number }): IntentClassification;
  /** Embeds the text with `embedder` (the same model) and classifies it. */
  classifyText(input: { text: string; embedder: Embedder; top?: number }): Promise<IntentClassification>;
  toJSON(): IntentModelJson;
}

/** The serialised model: plain JSON, arrays as base64 of little-endian float32/int32. */
export interface IntentModelJson {
  kind: 'kefu-intent-model';
  version: number;
  fingerprint: string;
  embedderModelId: string;
  dimension: number;
  /** Class labels in weight order; `OUT_OF_SCOPE_INTENT` may be one of them. */
  labels: string[];
  threshold: number;
  settings: IntentTrainingSettings;
  report: IntentTrainingReport;
  weights: {
    denseScale: number;
    sparseScale: number;
    sparseBits: number;
    dense: string;
    bias: string;
    /** Buckets that have weights (every other bucket's weights are zero). */
    buckets: string;
    /** Weights of `buckets`, one bucket's classes after another. */
    sparse: string;
    /** IDF of `buckets`; every other bucket has `unseenIdf`. */
    idf: string;
    unseenIdf: number;
  };
}

/**
 * A stable hash of everything a trained model depends on: trainer version, embedding model,
 * settings and examples (in order). Equal fingerprints mean a cached model can be reused.
 *
 * @example
 *   if (cached?.fingerprint === intentModelFingerprint({ examples, embedderModelId: embedder.modelId })) reuse(cached);
 */
export function intentModelFingerprint({ examples, validation, embedderModelId, settings }: { examples: readonly IntentExample[]; validation?: readonly IntentExample[]; embedderModelId: string; settings?: Partial<IntentTrainingSettings> }): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: INTENT_TRAINER_VERSION, embedderModelId, settings: { ...DEFAULT_INTENT_SETTINGS, ...settings } }));
  for (const example of examples) hash.update(`\u0000${example.intent}\u0001${example.text}`);
  if (validation) {
    hash.update('\u0002validation');
    for (const example of validation) hash.update(`\u0000${example.intent}\u0001${example.text}`);
  }
  return hash.digest('hex');
}

interface Features {
  dense: Float32Array;
  sparse: SparseVector[];
}

function keywordRows(texts: readonly string[], bits: number): Map<number, number>[] {
  return texts.map((text) => keywordCounts({ text, bits }));
}

/** Seeded stratified hold-out: `fraction` of each label's rows (at least one) when it has three or more. */
function holdOut(labels: Int32Array, classCount: number, fraction: number, seed: number): { fit: number[]; heldOut: number[] } {
  const byLabel: number[][] = Array.from({ length: classCount }, () => []);
  labels.forEach((label, row) => byLabel[label]?.push(row));
  const next = seededRandom(seed ^ 0x5eed);
  const fit: number[] = [];
  const heldOut: number[] = [];
  for (const rows of byLabel) {
    shuffleInPlace(rows, next);
    const count = rows.length >= 3 ? Math.max(1, Math.round(rows.length * fraction)) : 0;
    heldOut.push(...rows.slice(0, count));
    fit.push(...rows.slice(count));
  }
  return { fit: fit.sort((left, right) => left - right), heldOut: heldOut.sort((left, right) => left - right) };
}

/** The chosen rows of a packed `count × dimension` matrix, packed. */
function gatherRows(matrix: Float32Array, rows: readonly number[], dimension: number): Float32Array {
  const gathered = new Float32Array(rows.length * dimension);
  rows.forEach((row, position) => gathered.set(matrix.subarray(row * dimension, (row + 1) * dimension), position * dimension));
  return gathered;
}

function encodeFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function decodeFloats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

function decodeInts(text: string): Int32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Int32Array(copy.buffer);
}

interface ModelParts {
  embedderModelId: string;
  dimension: number;
  labels: string[];
  threshold: number;
  fingerprint: string;
  settings: IntentTrainingSettings;
  report: IntentTrainingReport;
  weights: SoftmaxWeights;
  idf: Float32Array;
}

/**
 * Probabilities of every class for one message, the best in-scope class, and the confidence the
 * threshold is compared with: the best intent's probability, or, when the model has an out-of-scope
 * class, its probability against that class alone, p / (p + p_out_of_scope). The second separates
 * in-scope from out-of-scope messages better (clinc150 validation: see eval/README.md), since a message
 * torn between two close intents is still clearly one of them rather than none.
 */
function scoreMessage(parts: ModelParts, text: string, vector: ArrayLike<number>, probabilities: Float64Array): { best: number; confidence: number; outOfScopeWins: boolean } {
  const sparse = weighKeywords({ counts: keywordCounts({ text, bits: parts.weights.sparseBits }), idf: parts.idf });
  softmaxProbabilities({ weights: parts.weights, dense: vector, sparse, out: probabilities });
  let best = -1;
  let top = -1;
  let outOfScope = -1;
  for (let label = 0; label < parts.labels.length; label++) {
    if (top < 0 || (probabilities[label] as number) > (probabilities[top] as number)) top = label;
    if (parts.labels[label] === OUT_OF_SCOPE_INTENT) {
      outOfScope = label;
      continue;
    }
    if (best < 0 || (probabilities[label] as number) > (probabilities[best] as number)) best = label;
  }
  const probability = best < 0 ? 0 : (probabilities[best] as number);
  const confidence = outOfScope < 0 ? probability : probability / Math.max(probability + (probabilities[outOfScope] as number), Number.MIN_VALUE);
  return { best, confidence, outOfScopeWins: top === outOfScope };
}

function createModel(parts: ModelParts): IntentModel {
  const intents = parts.labels.filter((label) => label !== OUT_OF_SCOPE_INTENT).sort();
  const probabilities = new Float64Array(parts.labels.length);
  const classify: IntentModel['classify'] = ({ text, vector, top = 5 }) => {
    if (vector.length !== parts.dimension) {
      throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: `the message vector has ${vector.length} values, the model was trained on ${parts.dimension} (${parts.embedderModelId})` });
    }
    const { best, confidence, outOfScopeWins } = scoreMessage(parts, text, vector, probabilities);
    const ranking: IntentScore[] = [];
    parts.labels.forEach((intent, label) => {
      if (intent !== OUT_OF_SCOPE_INTENT) ranking.push({ intent, probability: probabilities[label] as number });
    });
    ranking.sort((left, right) => right.probability - left.probability || (left.intent < right.intent ? -1 : 1));
    const result: IntentClassification = { confidence, ranking: ranking.slice(0, Math.max(0, top)) };
    if (best < 0 || outOfScopeWins) result.outOfScope = 'out-of-scope-class';
    else if (confidence < parts.threshold) result.outOfScope = 'below-threshold';
    else result.intent = parts.labels[best];
    return result;
  };
  return {
    embedderModelId: parts.embedderModelId,
    dimension: parts.dimension,
    intents,
    threshold: parts.threshold,
    fingerprint: parts.fingerprint,
    report: parts.report,
    classify,
    async classifyText({ text, embedder, top }) {
      if (embedder.modelId !== parts.embedderModelId) {
        throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: `trained over ${parts.embedderModelId}, asked with ${embedder.modelId}` });
      }
      const vector = await embedder.embedQuery(text);
      return classify({ text, vector, ...(top === undefined ? {} : { top }) });
    },
    toJSON(): IntentModelJson {
      const { weights } = parts;
      const classCount = weights.classCount;
      const buckets: number[] = [];
      for (let bucket = 0; bucket < 1 << weights.sparseBits; bucket++) {
        for (let label = 0; label < classCount; label++) {
          if (weights.sparse[bucket * classCount + label] !== 0) {
            buckets.push(bucket);
            break;
          }
        }
      }
      const sparse = new Float32Array(buckets.length * classCount);
      buckets.forEach((bucket, position) => sparse.set(weights.sparse.subarray(bucket * classCount, (bucket + 1) * classCount), position * classCount));
      const unseenIdf = parts.idf.reduce((highest, value) => Math.max(highest, value), 0);
      return {
        kind: 'kefu-intent-model',
        version: INTENT_TRAINER_VERSION,
        fingerprint: parts.fingerprint,
        embedderModelId: parts.embedderModelId,
        dimension: parts.dimension,
        labels: parts.labels,
        threshold: parts.threshold,
        settings: parts.settings,
        report: parts.report,
        weights: {
          denseScale: weights.denseScale,
          sparseScale: weights.sparseScale,
          sparseBits: weights.sparseBits,
          dense: encodeFloats(weights.dense),
          bias: encodeFloats(weights.bias),
          buckets: Buffer.from(Int32Array.from(buckets).buffer).toString('base64'),
          sparse: encodeFloats(sparse),
          idf: encodeFloats(Float32Array.from(buckets, (bucket) => parts.idf[bucket] ?? unseenIdf)),
          unseenIdf,
        },
      };
    },
  };
}

/**
 * Rebuilds a model saved with `toJSON()`. Refuses (INTENTS_MODEL_MISMATCH) a model saved by another
 * trainer version, a damaged one, or, when `embedderModelId` is given, one trained over another
 * embedding model: its vectors would mean nothing.
 *
 * @example
 *   const model = intentModelFromJSON({ json: JSON.parse(await readFile(file, 'utf8')), embedderModelId: embedder.modelId });
 */
export function intentModelFromJSON({ json, embedderModelId }: { json: unknown; embedderModelId?: string }): IntentModel {
  const data = json as Partial<IntentModelJson> | null;
  if (!data || typeof data !== 'object' || data.kind !== 'kefu-intent-model') throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: 'not a kefu intent model' });
  if (data.version !== INTENT_TRAINER_VERSION) throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: `saved by trainer version ${String(data.version)}, this is version ${INTENT_TRAINER_VERSION}` });
  if (embedderModelId !== undefined && data.embedderModelId !== embedderModelId) {
    throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: `trained over ${String(data.embedderModelId)}, the configured embedding model is ${embedderModelId}` });
  }
  const { weights, labels, dimension } = data;
  if (!weights || !Array.isArray(labels) || typeof dimension !== 'number' || typeof data.threshold !== 'number' || !data.settings || !data.report || typeof data.fingerprint !== 'string' || typeof data.embedderModelId !== 'string') {
    throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: 'the saved model is incomplete' });
  }
  const classCount = labels.length;
  const dense = decodeFloats(weights.dense);
  const bias = decodeFloats(weights.bias);
  const buckets = decodeInts(weights.buckets);
  const sparseRows = decodeFloats(weights.sparse);
  const idfRows = decodeFloats(weights.idf);
  const size = 1 << weights.sparseBits;
  if (dense.length !== classCount * dimension || bias.length !== classCount || sparseRows.length !== buckets.length * classCount || idfRows.length !== buckets.length || buckets.some((bucket) => bucket < 0 || bucket >= size)) {
    throw new KefuError('INTENTS_MODEL_MISMATCH', { detail: 'the saved weights do not fit the saved labels and dimension (damaged file?)' });
  }
  const sparse = new Float32Array(size * classCount);
  const idf = new Float32Array(size).fill(weights.unseenIdf);
  buckets.forEach((bucket, position) => {
    sparse.set(sparseRows.subarray(position * classCount, (position + 1) * classCount), bucket * classCount);
    idf[bucket] = idfRows[position] ?? weights.unseenIdf;
  });
  return createModel({
    embedderModelId: data.embedderModelId,
    dimension,
    labels,
    threshold: data.threshold,
    fingerprint: data.fingerprint,
    settings: data.settings,
    report: data.report,
    weights: { classCount, denseDimension: dimension, sparseBits: weights.sparseBits, denseScale: weights.denseScale, sparseScale: weights.sparseScale, dense, sparse, bias },
    idf,
  });
}

function fitWeights({ features, labels, classCount, dimension, settings, onEpoch }: { features: Features; labels: Int32Array; classCount: number; dimension: number; settings: IntentTrainingSettings; onEpoch?: (epoch: number, epochs: number) => void }): SoftmaxWeights {
  return trainSoftmax({
    rows: { count: labels.length, denseDimension: dimension, dense: features.dense, sparseBits: settings.hashBits, sparse: features.sparse },
    labels,
    classCount,
    settings: { epochs: settings.epochs, minimumSteps: settings.minimumSteps, batchSize: settings.batchSize, learningRate: settings.learningRate, sparseLearningRate: settings.sparseLearningRate, l2: settings.l2, denseScale: settings.embeddingWeight, sparseScale: settings.keywordWeight, seed: settings.seed },
    ...(onEpoch ? { onEpoch } : {}),
  });
}

function scoreHeldOut({ parts, texts, vectors, labels }: { parts: ModelParts; texts: readonly string[]; vectors: Float32Array; labels: readonly string[] }): ScoredExample[] {
  const probabilities = new Float64Array(parts.labels.length);
  return texts.map((text, index) => {
    const vector = vectors.subarray(index * parts.dimension, (index + 1) * parts.dimension);
    const { best, confidence, outOfScopeWins } = scoreMessage(parts, text, vector, probabilities);
    const gold = labels[index];
    return { confidence, correct: gold !== OUT_OF_SCOPE_INTENT && parts.labels[best] === gold, outOfScope: gold === OUT_OF_SCOPE_INTENT, rejectedByClass: outOfScopeWins };
  });
}

/**
 * Trains an intent classifier on labelled examples (see the module comment). Embeds every distinct
 * text once (through `vectorCache` when given), learns weights, learns the out-of-scope threshold on
 * held-out examples, then (by default) trains again on all the examples.
 *
 * @example
 *   const model = await trainIntentClassifier({
 *     examples: [{ text: 'where is my order', intent: 'order_status' }, { text: 'I want to complain', intent: 'complaint' }, …],
 *     embedder,
 *   });
 */
export async function trainIntentClassifier(options: TrainIntentClassifierOptions): Promise<IntentModel> {
  const started = performance.now();
  const settings: IntentTrainingSettings = { ...DEFAULT_INTENT_SETTINGS, ...options.settings };
  const { embedder } = options;
  const examples = options.examples.filter((example) => example.text.trim() && example.intent.trim());
  const labels = [...new Set(examples.map((example) => example.intent))].sort();
  if (labels.filter((label) => label !== OUT_OF_SCOPE_INTENT).length === 0) {
    throw new KefuError('INTENTS_INVALID', { detail: 'no intent has an example to learn from' });
  }
  const labelIndex = new Map(labels.map((label, index) => [label, index]));
  const validation = (options.validation ?? []).filter((example) => example.text.trim() && (labelIndex.has(example.intent) || example.intent === OUT_OF_SCOPE_INTENT));
  const dimension = embedder.dimension;

  const texts = [...examples.map((example) => example.text), ...validation.map((example) => example.text)];
  const embeddingStarted = performance.now();
  const { vectors, embedded } = await embedWithCache({
    texts,
    embedder,
    ...(options.vectorCache ? { cache: options.vectorCache } : {}),
    onProgress: (done, total) => options.onProgress?.({ stage: 'embedding', done, total }),
  });
  const embeddingMilliseconds = performance.now() - embeddingStarted;
  const trainingStarted = performance.now();

  const exampleLabels = Int32Array.from(examples, (example) => labelIndex.get(example.intent) ?? 0);
  const exampleVectors = vectors.subarray(0, examples.length * dimension);
  // Of what the caller passed, so the caller can compute the same fingerprint before training.
  const fingerprint = intentModelFingerprint({ examples: options.examples, ...(options.validation ? { validation: options.validation } : {}), embedderModelId: embedder.modelId, settings });
  const buildParts = (rows: readonly number[] | undefined, pass: 'held-out' | 'final'): ModelParts => {
    const chosen = rows ?? examples.map((_, index) => index);
    const counts = keywordRows(chosen.map((row) => examples[row]?.text ?? ''), settings.hashBits);
    const idf = inverseDocumentFrequencies({ rows: counts, bits: settings.hashBits });
    const features: Features = { dense: rows ? gatherRows(exampleVectors, chosen, dimension) : exampleVectors, sparse: counts.map((row) => weighKeywords({ counts: row, idf })) };
    const weights = fitWeights({
      features,
      labels: rows ? Int32Array.from(chosen, (row) => exampleLabels[row] ?? 0) : exampleLabels,
      classCount: labels.length,
      dimension,
      settings,
      onEpoch: (epoch, epochs) => options.onProgress?.({ stage: 'training', pass, epoch, epochs }),
    });
    const placeholder: IntentTrainingReport = { examples: 0, intents: 0, outOfScopeExamples: 0, heldOut: 0, threshold: { threshold: 0, method: 'default', inScopeAccuracy: 0 }, milliseconds: { embedding: 0, training: 0, total: 0 }, embedded: 0 };
    return { embedderModelId: embedder.modelId, dimension, labels, threshold: 0, fingerprint, settings, report: placeholder, weights, idf };
  };

  let parts: ModelParts;
  let threshold: ThresholdChoice;
  let heldOutCount: number;
  let heldOutAccuracy: number | undefined;
  const topOneAccuracy = (scored: readonly ScoredExample[]): number | undefined => {
    const inScope = scored.filter((example) => !example.outOfScope);
    return inScope.length > 0 ? inScope.filter((example) => example.correct).length / inScope.length : undefined;
  };
  if (validation.length > 0) {
    parts = buildParts(undefined, 'final');
    const scored = scoreHeldOut({ parts, texts: validation.map((example) => example.text), vectors: vectors.subarray(examples.length * dimension), labels: validation.map((example) => example.intent) });
    threshold = tuneThreshold({ scored, inScopeKeep: settings.inScopeKeep });
    heldOutCount = validation.length;
    heldOutAccuracy = topOneAccuracy(scored);
  } else {
    const { fit, heldOut } = holdOut(exampleLabels, labels.length, settings.validationFraction, settings.seed);
    heldOutCount = heldOut.length;
    if (heldOut.length === 0 || fit.length === 0) {
      parts = buildParts(undefined, 'final');
      threshold = { threshold: 0, method: 'default', inScopeAccuracy: 0 };
      heldOutCount = 0;
    } else {
      const heldOutParts = buildParts(fit, 'held-out');
      const heldOutVectors = gatherRows(exampleVectors, heldOut, dimension);
      const scored = scoreHeldOut({ parts: heldOutParts, texts: heldOut.map((row) => examples[row]?.text ?? ''), vectors: heldOutVectors, labels: heldOut.map((row) => examples[row]?.intent ?? '') });
      threshold = tuneThreshold({ scored, inScopeKeep: settings.inScopeKeep });
      heldOutAccuracy = topOneAccuracy(scored);
      parts = settings.refit ? buildParts(undefined, 'final') : heldOutParts;
    }
  }
  const finished = performance.now();
  parts.threshold = threshold.threshold;
  parts.report = {
    examples: examples.length,
    intents: labels.filter((label) => label !== OUT_OF_SCOPE_INTENT).length,
    outOfScopeExamples: examples.filter((example) => example.intent === OUT_OF_SCOPE_INTENT).length,
    heldOut: heldOutCount,
    ...(heldOutAccuracy === undefined ? {} : { heldOutAccuracy }),
    threshold,
    milliseconds: { embedding: Math.round(embeddingMilliseconds), training: Math.round(finished - trainingStarted), total: Math.round(finished - started) },
    embedded,
  };
  return createModel(parts);
}

