/**
 * Intent-classification evaluation: trains kefu's intent classifier (src/intents) on a labelled
 * intent dataset exactly as a sync would train it on an owner's intents file, and scores it on the
 * dataset's test part, which training never sees.
 *
 * - banking77 (77 intents, no out-of-scope data): trained on `train.csv`; the trainer holds out a
 *   seeded 20 % of each intent to learn its threshold, then trains again on all of `train.csv`.
 *   Reported on `test.csv`: `intentAccuracy` (the best intent is the gold one) and, as the service
 *   would answer, how many test messages the threshold sends to normal retrieval.
 * - clinc150 (150 intents + out-of-scope): trained on `train` + `oos_train` (an `out_of_scope` class);
 *   the threshold is learned on `val` + `oos_val`; reported on `test` + `oos_test`: `inScopeAccuracy`
 *   (in-scope messages given their gold intent) and `oosRecall` (out-of-scope messages given none).
 *
 * @example
 *   const dataset = await loadIntentDataset({ name: 'clinc150', sharedDataDir: '../shared/eval-data' });
 *   const report = await runIntentEvaluation({ dataset, embedder });
 *   report.metrics.inScopeAccuracy; // 0.9…
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Embedder } from '../src/embeddings/types.ts';
import { KefuError } from '../src/errors/index.ts';
import { DEFAULT_INTENT_SETTINGS, trainIntentClassifier, type IntentTrainingProgress, type IntentTrainingReport, type IntentTrainingSettings } from '../src/intents/classifier.ts';
import { OUT_OF_SCOPE_INTENT, type IntentExample } from '../src/intents/types.ts';
import { embedWithCache, type VectorCache } from '../src/intents/vector-cache.ts';

export const INTENT_DATASETS = ['banking77', 'clinc150'] as const;
export type IntentDatasetName = (typeof INTENT_DATASETS)[number];

export function isIntentDataset(name: string): name is IntentDatasetName {
  return (INTENT_DATASETS as readonly string[]).includes(name);
}

export interface IntentDataset {
  name: IntentDatasetName;
  train: IntentExample[];
  /** Held-out examples to learn the threshold on; absent: the trainer holds out part of `train`. */
  validation?: IntentExample[];
  test: IntentExample[];
  /** One sentence on what is trained, tuned and reported, for the report. */
  protocol: string;
}

async function readDataFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new KefuError('DATASET_INVALID', { detail: `${file} could not be read (is --eval-data the folder holding banking77/ and clinc150/?)`, cause: error });
  }
}

function readBankingCsv(text: string, file: string): IntentExample[] {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true });
  } catch (error) {
    throw new KefuError('DATASET_INVALID', { detail: `${file} is not a text,category CSV`, cause: error });
  }
  const examples = rows.map((row) => ({ text: (row.text ?? '').trim(), intent: (row.category ?? '').trim(), language: 'en' as const })).filter((example) => example.text && example.intent);
  if (examples.length === 0) throw new KefuError('DATASET_INVALID', { detail: `${file} has no text,category rows` });
  return examples;
}

function readClincPart(data: Record<string, unknown>, part: string, file: string): IntentExample[] {
  const rows = data[part];
  if (!Array.isArray(rows)) throw new KefuError('DATASET_INVALID', { detail: `${file} has no "${part}" list` });
  return rows.flatMap((row: unknown) => {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[1] !== 'string') return [];
    return [{ text: row[0].trim(), intent: row[1] === 'oos' ? OUT_OF_SCOPE_INTENT : row[1], language: 'en' as const }];
  });
}

/**
 * Reads banking77 (`train.csv`, `test.csv`) or clinc150 (`data_full.json`) from `<sharedDataDir>/<name>/`.
 *
 * @example
 *   const { train, test } = await loadIntentDataset({ name: 'banking77', sharedDataDir });
 */
export async function loadIntentDataset({ name, sharedDataDir }: { name: IntentDatasetName; sharedDataDir: string }): Promise<IntentDataset> {
  const folder = path.join(sharedDataDir, name);
  if (name === 'banking77') {
    const trainFile = path.join(folder, 'train.csv');
    const testFile = path.join(folder, 'test.csv');
    return {
      name,
      train: readBankingCsv(await readDataFile(trainFile), trainFile),
      test: readBankingCsv(await readDataFile(testFile), testFile),
      protocol: 'trained on train.csv (threshold learned on a seeded 20% of each intent held out, then trained again on all of it); reported on test.csv',
    };
  }
  const file = path.join(folder, 'data_full.json');
  let data: unknown;
  try {
    data = JSON.parse(await readDataFile(file));
  } catch (error) {
    if (error instanceof KefuError) throw error;
    throw new KefuError('DATASET_INVALID', { detail: `${file} is not valid JSON`, cause: error });
  }
  if (!data || typeof data !== 'object') throw new KefuError('DATASET_INVALID', { detail: `${file} is not an object of parts` });
  const parts = data as Record<string, unknown>;
  return {
    name,
    train: [...readClincPart(parts, 'train', file), ...readClincPart(parts, 'oos_train', file)],
    validation: [...readClincPart(parts, 'val', file), ...readClincPart(parts, 'oos_val', file)],
    test: [...readClincPart(parts, 'test', file), ...readClincPart(parts, 'oos_test', file)],
    protocol: 'trained on train + oos_train (out_of_scope class); threshold learned on val + oos_val; reported on test + oos_test',
  };
}

/** Figures on one part of a dataset. */
export interface IntentMetrics {
  /** In-scope messages whose best intent is the gold one, threshold aside (closed-set accuracy). */
  intentAccuracy: number;
  /** In-scope messages given their gold intent, threshold applied (a rejected one counts as wrong). */
  inScopeAccuracy: number;
  /** In-scope messages given no intent (they go to normal retrieval). */
  inScopeRejected: number;
  /** Out-of-scope messages given no intent; undefined when the part has none. */
  oosRecall?: number;
  inScope: number;
  outOfScope: number;
}

export interface IntentEvalReport {
  kind: 'intents';
  dataset: IntentDatasetName;
  createdAt: string;
  protocol: string;
  /** The headline figures on the test part (banking77: intentAccuracy; clinc150: inScopeAccuracy, oosRecall). */
  intentAccuracy: number;
  inScopeAccuracy?: number;
  oosRecall?: number;
  test: IntentMetrics;
  /** The held-out part the threshold was learned on (clinc150: val + oos_val; banking77: the held-out 20% of train). */
  validation: { intentAccuracy?: number; inScopeAccuracy: number; oosRecall?: number; examples: number };
  examples: { train: number; validation: number; test: number };
  intents: number;
  threshold: IntentTrainingReport['threshold'];
  settings: IntentTrainingSettings;
  timing: {
    /** Embedding the training and validation texts (0 for texts found in the vector cache). */
    embeddingMilliseconds: number;
    trainingMilliseconds: number;
    textsEmbedded: number;
    /** Classifying one test message from its text and precomputed vector (features + weights), mean. */
    classifyMillisecondsPerMessage: number;
  };
  /** The most frequent confusions on the test part: gold → predicted, count. */
  confusions: { gold: string; predicted: string; count: number }[];
}

export interface RunIntentEvaluationOptions {
  dataset: IntentDataset;
  embedder: Embedder;
  /** Vectors by text, so a second run embeds nothing. */
  vectorCache?: VectorCache;
  settings?: Partial<IntentTrainingSettings>;
  onProgress?: (progress: IntentTrainingProgress | { stage: 'testing'; done: number; total: number }) => void;
}

/**
 * Trains on the dataset's training part and scores its test part (see the module comment).
 *
 * @example
 *   const report = await runIntentEvaluation({ dataset, embedder, vectorCache });
 */
export async function runIntentEvaluation(options: RunIntentEvaluationOptions): Promise<IntentEvalReport> {
  const { dataset, embedder } = options;
  const model = await trainIntentClassifier({
    examples: dataset.train,
    embedder,
    ...(dataset.validation ? { validation: dataset.validation } : {}),
    ...(options.vectorCache ? { vectorCache: options.vectorCache } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const { vectors } = await embedWithCache({
    texts: dataset.test.map((example) => example.text),
    embedder,
    ...(options.vectorCache ? { cache: options.vectorCache } : {}),
    onProgress: (done, total) => options.onProgress?.({ stage: 'testing', done, total }),
  });

  let inScope = 0;
  let outOfScope = 0;
  let topRight = 0;
  let accepted = 0;
  let rejectedInScope = 0;
  let caught = 0;
  const confusions = new Map<string, number>();
  const started = performance.now();
  const results = dataset.test.map((example, index) => model.classify({ text: example.text, vector: vectors.subarray(index * embedder.dimension, (index + 1) * embedder.dimension), top: 1 }));
  const classifyMilliseconds = (performance.now() - started) / Math.max(1, dataset.test.length);
  dataset.test.forEach((example, index) => {
    const result = results[index];
    if (!result) return;
    if (example.intent === OUT_OF_SCOPE_INTENT) {
      outOfScope++;
      if (result.intent === undefined) caught++;
      return;
    }
    inScope++;
    const best = result.ranking[0]?.intent;
    if (best === example.intent) topRight++;
    else if (best) confusions.set(`${example.intent}\u0000${best}`, (confusions.get(`${example.intent}\u0000${best}`) ?? 0) + 1);
    if (result.intent === example.intent) accepted++;
    if (result.intent === undefined) rejectedInScope++;
  });
  const share = (count: number, total: number) => (total > 0 ? count / total : 0);
  const test: IntentMetrics = {
    intentAccuracy: share(topRight, inScope),
    inScopeAccuracy: share(accepted, inScope),
    inScopeRejected: share(rejectedInScope, inScope),
    ...(outOfScope > 0 ? { oosRecall: share(caught, outOfScope) } : {}),
    inScope,
    outOfScope,
  };
  const { report } = model;
  const hasOutOfScope = outOfScope > 0;
  return {
    kind: 'intents',
    dataset: dataset.name,
    createdAt: new Date().toISOString(),
    protocol: dataset.protocol,
    intentAccuracy: test.intentAccuracy,
    ...(hasOutOfScope ? { inScopeAccuracy: test.inScopeAccuracy, oosRecall: test.oosRecall } : {}),
    test,
    validation: {
      ...(report.heldOutAccuracy === undefined ? {} : { intentAccuracy: report.heldOutAccuracy }),
      inScopeAccuracy: report.threshold.inScopeAccuracy,
      ...(report.threshold.outOfScopeRecall === undefined ? {} : { oosRecall: report.threshold.outOfScopeRecall }),
      examples: report.heldOut,
    },
    examples: { train: dataset.train.length, validation: report.heldOut, test: dataset.test.length },
    intents: model.intents.length,
    threshold: report.threshold,
    settings: { ...DEFAULT_INTENT_SETTINGS, ...options.settings },
    timing: {
      embeddingMilliseconds: report.milliseconds.embedding,
      trainingMilliseconds: report.milliseconds.training,
      textsEmbedded: report.embedded,
      classifyMillisecondsPerMessage: classifyMilliseconds,
    },
    confusions: [...confusions]
      .map(([key, count]) => {
        const [gold = '', predicted = ''] = key.split('\u0000');
        return { gold, predicted, count };
      })
      .sort((left, right) => right.count - left.count || (left.gold < right.gold ? -1 : 1))
      .slice(0, 10),
  };
}

const percent = (value: number | undefined) => (value === undefined ? '–' : `${(value * 100).toFixed(1)}%`);

/**
 * The console summary of an intent evaluation.
 *
 * @example
 *   console.log(renderIntentReport(report));
 */
export function renderIntentReport(report: IntentEvalReport): string {
  const lines = [
    `${report.dataset}: ${report.intents} intents; ${report.protocol}`,
    `examples: ${report.examples.train} train, ${report.examples.validation} validation, ${report.examples.test} test`,
    '',
    '| figure | validation | test |',
    '|---|---|---|',
    `| intentAccuracy (best intent right) | ${percent(report.validation.intentAccuracy)} | ${percent(report.test.intentAccuracy)} |`,
    `| inScopeAccuracy (threshold applied) | ${percent(report.validation.inScopeAccuracy)} | ${percent(report.test.inScopeAccuracy)} |`,
    `| oosRecall | ${percent(report.validation.oosRecall)} | ${percent(report.test.oosRecall)} |`,
    `| in-scope messages given no intent | | ${percent(report.test.inScopeRejected)} |`,
    '',
    `threshold ${report.threshold.threshold.toFixed(3)} (${report.threshold.method})`,
    `time: embedding ${(report.timing.embeddingMilliseconds / 1000).toFixed(1)} s (${report.timing.textsEmbedded} texts embedded, the rest cached), training ${(report.timing.trainingMilliseconds / 1000).toFixed(1)} s, classification ${report.timing.classifyMillisecondsPerMessage.toFixed(3)} ms per message (vector given)`,
  ];
  if (report.confusions.length > 0) lines.push(`most confused (gold → predicted): ${report.confusions.slice(0, 5).map((confusion) => `${confusion.gold} → ${confusion.predicted} (${confusion.count})`).join(', ')}`);
  return lines.join('\n');
}
