/**
 * LCQMC (Chinese question pairs: `text_a, text_b, label`, tab-separated, header row) as an FAQ test.
 *
 * - The FAQ bank is every distinct `text_b` of the chosen half (dev.txt, test.txt, or both for
 *   `all`), one entry per text, written as one FAQ JSON file. An entry's answer is its own `text_b`:
 *   an answer is indexed with its question, and `text_b` adds no word the keyword side does not
 *   already have (an id such as "lcqmc-12" would).
 * - Each pair is one question, `text_a`. Its gold is every entry a label-1 pair joins it with, plus
 *   an entry whose text is the same question (case, width and punctuation ignored).
 * - A label-0 pair is a hard negative: `text_a` must not be answered verbatim with its `text_b`
 *   (similar wording, different meaning). With no gold it is expected to be refused.
 * - `--limit n` samples n pairs (seeded); the bank stays whole.
 *
 * @example
 *   const dataset = await loadLcqmc({ sourceDir: '../shared/eval-data/lcqmc', evalDir, split: 'test', limit: 600, seed: 42 });
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KefuError } from '../src/errors/index.ts';
import { requireFile, writeIfChanged } from './corpus-files.ts';
import { DEFAULT_SEED, looseText, seededShuffle, type EvalSplit } from './splits.ts';
import type { DatasetIssue, EvalQuestion, LoadedDataset } from './types.ts';

export const LCQMC_FAQ_FILE = 'lcqmc.json';

export interface LcqmcPair {
  /** `dev-12`: file and 1-based line, unique across both files. */
  id: string;
  textA: string;
  textB: string;
  label: 0 | 1;
}

/** Reads one LCQMC file. Lines that are not `text_a<TAB>text_b<TAB>0|1` become issues with their line number. */
export function parseLcqmc(text: string, options: { file: string; idPrefix: string }): { pairs: LcqmcPair[]; issues: DatasetIssue[] } {
  const pairs: LcqmcPair[] = [];
  const issues: DatasetIssue[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    const fields = raw.split('\t');
    if (index === 0 && fields[0]?.trim() === 'text_a') return;
    const [textA, textB, label] = fields.map((field) => field.trim());
    if (fields.length !== 3 || !textA || !textB || (label !== '0' && label !== '1')) {
      issues.push({ kind: 'parse', file: options.file, line, message: 'expected text_a, text_b and a 0/1 label separated by tabs' });
      return;
    }
    pairs.push({ id: `${options.idPrefix}-${line}`, textA, textB, label: label === '1' ? 1 : 0 });
  });
  return { pairs, issues };
}

export interface LcqmcConversion {
  faq: Array<{ id: string; question: string; answer: string }>;
  questions: EvalQuestion[];
}

/**
 * Builds the FAQ bank from every pair and asks the sampled pairs (all of them without a limit).
 * Gold and hard negatives are read from every pair of the half, so a sampled question keeps all
 * its known matches.
 */
export function convertLcqmc(options: { pairs: LcqmcPair[]; limit?: number; seed?: number }): LcqmcConversion {
  const { pairs } = options;
  const entryByText = new Map<string, { id: string; question: string; answer: string }>();
  for (const pair of pairs) {
    const key = looseText(pair.textB);
    if (!key || entryByText.has(key)) continue;
    entryByText.set(key, { id: pair.id, question: pair.textB, answer: pair.textB });
  }
  const matchesOf = new Map<string, Set<string>>();
  for (const pair of pairs) {
    const entry = entryByText.get(looseText(pair.textB));
    if (!entry || pair.label !== 1) continue;
    const key = looseText(pair.textA);
    matchesOf.set(key, (matchesOf.get(key) ?? new Set()).add(entry.id));
  }
  const asked = options.limit === undefined || options.limit >= pairs.length
    ? pairs
    : (() => {
        const kept = new Set(seededShuffle(pairs.map((_, index) => index), options.seed ?? DEFAULT_SEED).slice(0, options.limit));
        return pairs.filter((_, index) => kept.has(index));
      })();
  const questions = asked.map((pair): EvalQuestion => {
    const key = looseText(pair.textA);
    const gold = new Set(matchesOf.get(key));
    const same = entryByText.get(key);
    if (same) gold.add(same.id);
    const negative = pair.label === 0 ? entryByText.get(looseText(pair.textB))?.id : undefined;
    return {
      id: pair.id,
      question: pair.textA,
      language: 'zh',
      gold: [...gold].map((faq) => ({ faq })),
      references: [],
      keyPhrases: [],
      expected: gold.size > 0 ? 'answer' : 'refuse',
      ...(negative !== undefined && !gold.has(negative) ? { hardNegativeOf: negative } : {}),
    };
  });
  return { faq: [...entryByText.values()], questions };
}

/** Reads the chosen half (or both), writes the FAQ bank, returns the questions. */
export async function loadLcqmc(options: { sourceDir: string; evalDir: string; split: EvalSplit; limit?: number; seed?: number }): Promise<LoadedDataset> {
  const files = options.split === 'all' ? ['dev', 'test'] : [options.split];
  const pairs: LcqmcPair[] = [];
  const issues: DatasetIssue[] = [];
  for (const half of files) {
    const file = path.join(options.sourceDir, `${half}.txt`);
    requireFile(file, 'lcqmc');
    const parsed = parseLcqmc(await readFile(file, 'utf8'), { file: `${half}.txt`, idPrefix: half });
    pairs.push(...parsed.pairs);
    issues.push(...parsed.issues);
  }
  if (pairs.length === 0) throw new KefuError('DATASET_INVALID', { detail: `lcqmc: no pairs in ${files.map((half) => `${half}.txt`).join(', ')}` });
  const converted = convertLcqmc({ pairs, ...(options.limit === undefined ? {} : { limit: options.limit }), seed: options.seed ?? DEFAULT_SEED });
  // each half has its own bank, so each has its own index
  const cacheKey = options.split === 'all' ? 'lcqmc' : `lcqmc-${options.split}`;
  const corpusDir = path.join(options.evalDir, cacheKey, 'corpus');
  await writeIfChanged(path.join(corpusDir, LCQMC_FAQ_FILE), `${JSON.stringify(converted.faq, null, 1)}\n`);
  return {
    name: 'lcqmc',
    cacheKey,
    corpusDir,
    questions: converted.questions,
    issues,
    faqIdByQuestion: new Map(converted.faq.map((entry) => [entry.question, entry.id])),
    splitApplied: options.split,
    ...(options.limit === undefined ? {} : { limitApplied: { sampled: converted.questions.length, of: pairs.length, unit: 'pairs' } }),
  };
}
