/**
 * Which questions a run asks: the dataset is loaded, its gold checked against the corpus, split into
 * the requested half (eval/splits.ts), sampled with `--limit`, and given `--off-topic` questions from
 * other datasets. The CLI and the tests go through this one function, so a run's questions are the
 * same whichever way it is started.
 *
 * @example
 *   const run = await selectQuestions({ dataset: 'northwind', evalDir, split: 'test', offTopic: 200 });
 *   run.dataset.questions.length // the test half plus 200 off-topic questions
 */
import path from 'node:path';
import { checkGold, readCatalog, type CorpusCatalog } from './catalog.ts';
import { datasetCacheDir, DEFAULT_SHARED_DATA_DIR, loadDataset, sampleQuestions } from './datasets.ts';
import { offTopicQuestions } from './off-topic.ts';
import { DEFAULT_SEED, splitQuestions, type EvalSplit } from './splits.ts';
import type { DatasetIssue, LoadedDataset } from './types.ts';

export interface SelectQuestionsOptions {
  /** A built-in name or a path to a dataset folder / .jsonl file. */
  dataset: string;
  /** `<data dir>/eval`: corpora, indexes and catalogue caches live here. */
  evalDir: string;
  sharedDataDir?: string;
  corpusLimit?: number;
  split?: EvalSplit;
  seed?: number;
  limit?: number;
  /** Off-topic questions to add (0 or undefined: none). */
  offTopic?: number;
}

export interface SelectedQuestions {
  /** The dataset with only the questions to ask (off-topic ones included). */
  dataset: LoadedDataset;
  catalog: CorpusCatalog;
  /** Gold sources missing from the corpus (the questions are left out). */
  issues: DatasetIssue[];
  /** How many questions each step left, for the log line. */
  counts: { checked: number; half: number; sampled: number; offTopic: number; limitUnit?: string; limitOf?: number };
  split: EvalSplit;
  seed: number;
}

/** Loads a dataset and picks the questions of one run. */
export async function selectQuestions(options: SelectQuestionsOptions): Promise<SelectedQuestions> {
  const split = options.split ?? 'all';
  const seed = options.seed ?? DEFAULT_SEED;
  const sharedDataDir = options.sharedDataDir ?? DEFAULT_SHARED_DATA_DIR;
  const dataset = await loadDataset({
    dataset: options.dataset,
    evalDir: options.evalDir,
    sharedDataDir,
    split,
    seed,
    ...(options.corpusLimit === undefined ? {} : { corpusLimit: options.corpusLimit }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  const catalog = await readCatalog(dataset.corpusDir, { cacheFile: path.join(datasetCacheDir(options.evalDir, dataset), 'catalog.json') });
  const checked = checkGold(dataset.questions, catalog);
  const half = dataset.splitApplied ? checked.questions : splitQuestions({ questions: checked.questions, split, seed });
  const sampled = dataset.limitApplied ? half : sampleQuestions(half, options.limit, seed);
  const offTopic = options.offTopic
    ? await offTopicQuestions({ count: options.offTopic, split, seed, sharedDataDir, exclude: dataset.name, existing: dataset.questions.map((question) => question.question) })
    : [];
  return {
    dataset: { ...dataset, questions: [...sampled, ...offTopic] },
    catalog,
    issues: checked.issues,
    counts: {
      checked: checked.questions.length,
      half: half.length,
      sampled: sampled.length,
      offTopic: offTopic.length,
      ...(dataset.limitApplied ? { limitUnit: dataset.limitApplied.unit, limitOf: dataset.limitApplied.of } : {}),
    },
    split,
    seed,
  };
}
