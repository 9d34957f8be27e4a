/**
 * Off-topic questions: a general construction of unanswerable questions. A question taken from
 * another public dataset (another domain, another corpus) is unanswerable here, so it must be
 * refused. `--off-topic N` adds N of them, half English and half Chinese, spread evenly over the
 * sources of each language, never from the corpus's own dataset.
 *
 * Sources (read from the shared evaluation data):
 * - English: clinc150's out-of-scope utterances (dev: oos_train + oos_val, test: oos_test), Northwind
 *   questions (answerable and not), StackFAQ paraphrases;
 * - Chinese: LCQMC questions (dev.txt / test.txt), CMRC 2018 questions.
 * Each source's own seeded dev/test split decides its dev and test pools (eval/splits.ts), so the
 * off-topic questions of `--split dev` and `--split test` are disjoint. banking77 and clinc150's
 * in-scope utterances are left out: refunds, payments, orders and accounts are what customer-service
 * corpora do answer, so their questions are not unanswerable by construction.
 *
 * @example
 *   const questions = await offTopicQuestions({ count: 200, split: 'test', seed: 42, sharedDataDir, exclude: 'northwind' });
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KefuError } from '../src/errors/index.ts';
import { readJson } from './corpus-files.ts';
import { convertSquad, convertStackFaq, parseNorthwindLines } from './datasets.ts';
import { parseLcqmc } from './lcqmc.ts';
import { DEFAULT_SEED, hashString, looseText, seededShuffle, splitQuestions, type EvalSplit } from './splits.ts';
import type { EvalQuestion } from './types.ts';

export interface OffTopicSource {
  /** Dataset name: a corpus built from this dataset never gets its questions. */
  dataset: string;
  language: 'en' | 'zh';
  /** Files it needs for a half, relative to the shared data folder (the source is skipped when one is missing). */
  files(split: EvalSplit): string[];
  /** Question texts of one half. */
  read(options: { sharedDataDir: string; split: EvalSplit; seed: number }): Promise<string[]>;
}

function halfOf(questions: EvalQuestion[], split: EvalSplit, seed: number): string[] {
  return splitQuestions({ questions, split, seed }).map((question) => question.question);
}

export const OFF_TOPIC_SOURCES: readonly OffTopicSource[] = [
  {
    dataset: 'clinc150',
    language: 'en',
    files: () => ['clinc150/data_full.json'],
    async read({ sharedDataDir, split }) {
      const data = (await readJson(path.join(sharedDataDir, 'clinc150', 'data_full.json'), 'clinc150')) as Record<string, unknown>;
      const parts = split === 'dev' ? ['oos_train', 'oos_val'] : split === 'test' ? ['oos_test'] : ['oos_train', 'oos_val', 'oos_test'];
      return parts.flatMap((part) => (Array.isArray(data[part]) ? data[part] : []).flatMap((row: unknown) => (Array.isArray(row) && typeof row[0] === 'string' ? [row[0]] : [])));
    },
  },
  {
    dataset: 'northwind',
    language: 'en',
    files: () => ['northwind/qa.jsonl', 'northwind/qa_dontknows.jsonl'],
    async read({ sharedDataDir, split, seed }) {
      const folder = path.join(sharedDataDir, 'northwind');
      const answerable = parseNorthwindLines(await readFile(path.join(folder, 'qa.jsonl'), 'utf8'), { file: 'qa.jsonl', answerable: true, idPrefix: 'qa' });
      const unanswerable = parseNorthwindLines(await readFile(path.join(folder, 'qa_dontknows.jsonl'), 'utf8'), { file: 'qa_dontknows.jsonl', answerable: false, idPrefix: 'dontknow' });
      return halfOf([...answerable.questions, ...unanswerable.questions], split, seed);
    },
  },
  {
    dataset: 'stackfaq',
    language: 'en',
    files: () => ['stackfaq/stackExchange-FAQ.json'],
    async read({ sharedDataDir, split, seed }) {
      return halfOf(convertStackFaq(await readJson(path.join(sharedDataDir, 'stackfaq', 'stackExchange-FAQ.json'), 'stackfaq')).questions, split, seed);
    },
  },
  {
    dataset: 'lcqmc',
    language: 'zh',
    files: (split) => (split === 'all' ? ['lcqmc/dev.txt', 'lcqmc/test.txt'] : [`lcqmc/${split}.txt`]),
    async read({ sharedDataDir, split }) {
      const halves = split === 'all' ? ['dev', 'test'] : [split];
      const texts: string[] = [];
      for (const half of halves) {
        const { pairs } = parseLcqmc(await readFile(path.join(sharedDataDir, 'lcqmc', `${half}.txt`), 'utf8'), { file: `${half}.txt`, idPrefix: half });
        for (const pair of pairs) texts.push(pair.textA, pair.textB);
      }
      return texts;
    },
  },
  {
    dataset: 'cmrc2018',
    language: 'zh',
    files: () => ['cmrc2018/cmrc2018_dev.json'],
    async read({ sharedDataDir, split, seed }) {
      return halfOf(convertSquad(await readJson(path.join(sharedDataDir, 'cmrc2018', 'cmrc2018_dev.json'), 'cmrc2018')).questions, split, seed);
    },
  },
];

export interface OffTopicOptions {
  count: number;
  split: EvalSplit;
  seed?: number;
  sharedDataDir: string;
  /** The corpus's own dataset (never a source of its off-topic questions). */
  exclude?: string;
  /** Questions already in the run: never asked twice. */
  existing?: Iterable<string>;
  sources?: readonly OffTopicSource[];
}

/**
 * N seeded off-topic questions (`expected: refuse`, `offTopic: true`): half English (the odd one
 * too), half Chinese, taken round-robin from each language's sources so a large source does not
 * crowd out a small one.
 */
export async function offTopicQuestions(options: OffTopicOptions): Promise<EvalQuestion[]> {
  const seed = options.seed ?? DEFAULT_SEED;
  const seen = new Set([...(options.existing ?? [])].map(looseText));
  const usable = (options.sources ?? OFF_TOPIC_SOURCES).filter((source) => source.dataset !== options.exclude);
  const questions: EvalQuestion[] = [];
  const wanted = { en: Math.ceil(options.count / 2), zh: Math.floor(options.count / 2) };
  for (const language of ['en', 'zh'] as const) {
    if (wanted[language] === 0) continue;
    const sources = usable.filter((source) => source.language === language && source.files(options.split).every((file) => existsSync(path.join(options.sharedDataDir, file))));
    if (sources.length === 0) {
      throw new KefuError('DATASET_INVALID', {
        detail: `--off-topic needs ${language === 'en' ? 'English' : 'Chinese'} questions from another dataset, and none was found in ${options.sharedDataDir}`,
        hint: `Expected one of: ${usable.filter((source) => source.language === language).flatMap((source) => source.files(options.split)).join(', ')} (set --eval-data to the evaluation data folder).`,
      });
    }
    const pools = await Promise.all(sources.map(async (source) => ({
      source,
      texts: seededShuffle((await source.read({ sharedDataDir: options.sharedDataDir, split: options.split, seed })).map((text) => text.trim()).filter(Boolean), (seed ^ hashString(source.dataset)) >>> 0),
      next: 0,
    })));
    let taken = 0;
    while (taken < wanted[language] && pools.some((pool) => pool.next < pool.texts.length)) {
      for (const pool of pools) {
        if (taken >= wanted[language]) break;
        while (pool.next < pool.texts.length) {
          const text = pool.texts[pool.next++] ?? '';
          const key = looseText(text);
          if (!key || seen.has(key)) continue;
          seen.add(key);
          questions.push({
            id: `off-topic-${pool.source.dataset}-${questions.filter((question) => question.source === pool.source.dataset).length + 1}`,
            question: text,
            language,
            gold: [],
            references: [],
            keyPhrases: [],
            expected: 'refuse',
            offTopic: true,
            source: pool.source.dataset,
          });
          taken++;
          break;
        }
      }
    }
  }
  return questions;
}
