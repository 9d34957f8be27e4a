/**
 * Dataset adapters. Each one reads a labeled dataset as published, writes its corpus as ordinary
 * files under `<data dir>/eval/<name>/corpus/` (so the normal ingestion pipeline indexes it), and
 * returns the questions in kefu's own evaluation format (see eval/README.md).
 *
 * @example
 *   const dataset = await loadDataset({ dataset: 'northwind', evalDir: '/data/eval', sharedDataDir: '../shared/eval-data' });
 */
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KefuError } from '../src/errors/index.ts';
import type { Turn } from '../src/answer/types.ts';
import { copyIfChanged, readJson, requireFile, writeIfChanged } from './corpus-files.ts';
import { loadLcqmc } from './lcqmc.ts';
import { DEFAULT_SEED, seededShuffle, type EvalSplit } from './splits.ts';
import type { DatasetIssue, EvalQuestion, ExpectedOutcome, GoldSource, LoadedDataset } from './types.ts';

/** `../shared/eval-data` beside the project folder: where the real datasets live on developer machines and CI. */
export const DEFAULT_SHARED_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'eval-data');

export const BUILT_IN_DATASETS = ['northwind', 'stackfaq', 'cmrc2018', 'lcqmc'] as const;

export interface LoadDatasetOptions {
  /** A built-in name or a path to a dataset folder / .jsonl file. */
  dataset: string;
  /** `<data dir>/eval`: corpora and indexes of built-in datasets are cached here. */
  evalDir: string;
  /** Folder holding northwind/, stackfaq/, cmrc2018/. */
  sharedDataDir?: string;
  /**
   * cmrc2018 only: index just the first n paragraphs (file order) and ask only their questions, so a
   * gate finishes in minutes. Cached in its own folder, so it never disturbs the full index.
   */
  corpusLimit?: number;
  /** lcqmc only: dev.txt, test.txt or both (other datasets are split by group after loading). */
  split?: EvalSplit;
  /** lcqmc only: sample this many pairs (the FAQ bank stays whole). */
  limit?: number;
  seed?: number;
}

// ---------------------------------------------------------------- the generic JSONL format

const GOLD_TAG = /\[([^\]#[]+?)#page=(\d+)\]/g;

/** Parses "file.pdf#page=3" or "file.md" into a gold source. */
export function parseGoldString(value: string): GoldSource {
  const match = /^(.*?)#page=(\d+)$/.exec(value.trim());
  return match ? { document: match[1] ?? '', page: Number(match[2]) } : { document: value.trim() };
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function asStringList(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value] : [];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item.trim() !== '');
  return [];
}

function parseGold(value: unknown): GoldSource[] | string {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const gold: GoldSource[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      gold.push(parseGoldString(item));
      continue;
    }
    if (!item || typeof item !== 'object') return 'each gold source must be an object or a "file#page=N" string';
    const record = item as Record<string, unknown>;
    const source: GoldSource = {};
    const document = asString(record.document ?? record.doc);
    if (document !== undefined) source.document = document;
    if (record.page !== undefined) {
      const page = Number(record.page);
      if (!Number.isInteger(page) || page < 1) return `gold page ${JSON.stringify(record.page)} is not a page number`;
      source.page = page;
    }
    const chunk = asString(record.chunk ?? record.chunkId);
    if (chunk !== undefined) source.chunk = chunk;
    const faq = asString(record.faq ?? record.faqId);
    if (faq !== undefined) source.faq = faq;
    if (Object.keys(source).length === 0) return 'a gold source needs document, page, chunk or faq';
    if (source.page !== undefined && source.document === undefined) return 'a gold page needs its document';
    gold.push(source);
  }
  return gold;
}

function parseHistory(value: unknown): Turn[] | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return 'history must be an array of {role, text}';
  const turns: Turn[] = [];
  for (const item of value) {
    const record = (item ?? {}) as Record<string, unknown>;
    const text = asString(record.text ?? record.content);
    if ((record.role !== 'user' && record.role !== 'assistant') || text === undefined) return 'each history turn needs role "user" or "assistant" and text';
    turns.push({ role: record.role, text });
  }
  return turns;
}

const OUTCOMES = new Set<ExpectedOutcome>(['answer', 'refuse', 'handoff']);

/**
 * Parses kefu's evaluation JSONL. A line that is not JSON, or lacks a question, becomes an issue
 * with its line number; the other lines are still returned.
 */
export function parseJsonlQuestions(text: string, file = 'questions.jsonl'): { questions: EvalQuestion[]; issues: DatasetIssue[] } {
  const questions: EvalQuestion[] = [];
  const issues: DatasetIssue[] = [];
  const ids = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    const problem = (message: string) => issues.push({ kind: 'parse', file, line, message });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      problem('not valid JSON');
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return problem('not a JSON object');
    const record = parsed as Record<string, unknown>;
    const question = asString(record.question);
    if (!question?.trim()) return problem('no "question"');
    const gold = parseGold(record.gold);
    if (typeof gold === 'string') return problem(gold);
    const history = parseHistory(record.history);
    if (typeof history === 'string') return problem(history);
    const expected = (record.expected ?? 'answer') as ExpectedOutcome;
    if (!OUTCOMES.has(expected)) return problem(`"expected" must be answer, refuse or handoff, not ${JSON.stringify(record.expected)}`);
    let id = asString(record.id) ?? `line-${line}`;
    if (ids.has(id)) {
      problem(`duplicate id ${JSON.stringify(id)}; renamed to line-${line}`);
      id = `line-${line}`;
    }
    ids.add(id);
    const language = record.language;
    const group = asString(record.group);
    questions.push({
      id,
      question,
      ...(history ? { history } : {}),
      ...(language === 'en' || language === 'zh' || language === 'other' ? { language } : {}),
      gold,
      references: asStringList(record.reference ?? record.references),
      keyPhrases: asStringList(record.keyPhrases),
      expected,
      line,
      ...(group?.trim() ? { group: group.trim() } : {}),
    });
  });
  return { questions, issues };
}

// ---------------------------------------------------------------- corpus helpers

// ---------------------------------------------------------------- Northwind

/** Reads one Northwind JSONL file: `{question, truth}` with `[file.pdf#page=N]` tags ending the truth. */
export function parseNorthwindLines(text: string, options: { file: string; answerable: boolean; idPrefix: string }): { questions: EvalQuestion[]; issues: DatasetIssue[] } {
  const questions: EvalQuestion[] = [];
  const issues: DatasetIssue[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      issues.push({ kind: 'parse', file: options.file, line, message: 'not valid JSON' });
      return;
    }
    const question = asString(record?.question);
    if (!question?.trim()) {
      issues.push({ kind: 'parse', file: options.file, line, message: 'no "question"' });
      return;
    }
    const truth = asString(record.truth) ?? '';
    const id = `${options.idPrefix}-${line}`;
    if (!options.answerable) {
      // unanswerable questions have no page to share: each is its own group
      questions.push({ id, question, language: 'en', gold: [], references: [], keyPhrases: [], expected: 'refuse', line });
      return;
    }
    const gold: GoldSource[] = [];
    for (const match of truth.matchAll(GOLD_TAG)) {
      const source = { document: (match[1] ?? '').trim(), page: Number(match[2]) };
      if (!gold.some((known) => known.document === source.document && known.page === source.page)) gold.push(source);
    }
    if (gold.length === 0) issues.push({ kind: 'gold', file: options.file, line, questionId: id, message: 'no [file.pdf#page=N] source in "truth"' });
    const reference = truth.replace(GOLD_TAG, '').trim();
    // questions citing the same page stay in one half: tuning on one would teach the other
    const first = gold[0];
    questions.push({
      id, question, language: 'en', gold, references: reference ? [reference] : [], keyPhrases: [], expected: 'answer', line,
      ...(first ? { group: `${first.document}#page=${first.page}` } : {}),
    });
  });
  return { questions, issues };
}

async function loadNorthwind(sourceDir: string, cacheDir: string): Promise<LoadedDataset> {
  const pdfDir = path.join(sourceDir, 'pdfs');
  const answerableFile = path.join(sourceDir, 'qa.jsonl');
  const unanswerableFile = path.join(sourceDir, 'qa_dontknows.jsonl');
  for (const file of [pdfDir, answerableFile, unanswerableFile]) requireFile(file, 'northwind');
  const corpusDir = path.join(cacheDir, 'corpus');
  // Copies, not links: ingestion refuses links that point outside the folder it syncs.
  for (const name of (await readdir(pdfDir)).filter((file) => file.toLowerCase().endsWith('.pdf')).sort()) {
    await copyIfChanged(path.join(pdfDir, name), path.join(corpusDir, name));
  }
  const answerable = parseNorthwindLines(await readFile(answerableFile, 'utf8'), { file: 'qa.jsonl', answerable: true, idPrefix: 'qa' });
  const unanswerable = parseNorthwindLines(await readFile(unanswerableFile, 'utf8'), { file: 'qa_dontknows.jsonl', answerable: false, idPrefix: 'dontknow' });
  return {
    name: 'northwind',
    corpusDir,
    questions: [...answerable.questions, ...unanswerable.questions],
    issues: [...answerable.issues, ...unanswerable.issues],
  };
}

// ---------------------------------------------------------------- StackFAQ

export const STACKFAQ_FILE = 'stackfaq.json';

/**
 * StackFAQ: each thread becomes one FAQ entry (id = thread index, answers joined); each paraphrase
 * in `rephr` is a test query whose gold is its own thread. Paraphrases are not indexed as
 * alternates, or the test would look itself up.
 */
export function convertStackFaq(data: unknown): { faq: Array<{ id: string; question: string; answer: string }>; questions: EvalQuestion[]; issues: DatasetIssue[] } {
  const pairs = (data as { root?: { qapair?: unknown } } | null)?.root?.qapair;
  if (!Array.isArray(pairs)) throw new KefuError('DATASET_INVALID', { detail: 'stackfaq: expected {"root": {"qapair": [...]}}' });
  const faq: Array<{ id: string; question: string; answer: string }> = [];
  const questions: EvalQuestion[] = [];
  const issues: DatasetIssue[] = [];
  pairs.forEach((pair: unknown, index) => {
    const record = (pair ?? {}) as Record<string, unknown>;
    const question = asString(record.question);
    const answer = asStringList(record.answer).join('\n\n');
    if (!question?.trim() || !answer.trim()) {
      issues.push({ kind: 'parse', questionId: `thread-${index}`, message: `thread ${index} has no question or answer` });
      return;
    }
    const id = String(index);
    faq.push({ id, question: question.trim(), answer });
    const rephrasings = Array.isArray(record.rephr) ? record.rephr : [];
    rephrasings.forEach((rephrasing: unknown, position) => {
      if (typeof rephrasing !== 'string' || !rephrasing.trim() || rephrasing.trim() === '*') return;
      questions.push({
        id: `thread-${index}-${position}`,
        question: rephrasing.trim(),
        language: 'en',
        gold: [{ faq: id }],
        references: [answer],
        keyPhrases: [],
        expected: 'answer',
        group: `thread-${index}`,
      });
    });
  });
  return { faq, questions, issues };
}

async function loadStackFaq(sourceDir: string, cacheDir: string): Promise<LoadedDataset> {
  const converted = convertStackFaq(await readJson(path.join(sourceDir, 'stackExchange-FAQ.json'), 'stackfaq'));
  const corpusDir = path.join(cacheDir, 'corpus');
  await writeIfChanged(path.join(corpusDir, STACKFAQ_FILE), `${JSON.stringify(converted.faq, null, 1)}\n`);
  return {
    name: 'stackfaq',
    corpusDir,
    questions: converted.questions,
    issues: converted.issues,
    faqIdByQuestion: new Map(converted.faq.map((entry) => [entry.question, entry.id])),
  };
}

// ---------------------------------------------------------------- CMRC 2018

/** CMRC 2018 (SQuAD v1 layout): one text file per paragraph; a question's gold is its paragraph. */
export function convertSquad(data: unknown): { paragraphs: Array<{ id: string; context: string }>; questions: EvalQuestion[]; issues: DatasetIssue[] } {
  const articles = (data as { data?: unknown } | null)?.data;
  if (!Array.isArray(articles)) throw new KefuError('DATASET_INVALID', { detail: 'cmrc2018: expected SQuAD layout {"data": [{"paragraphs": [...]}]}' });
  const paragraphs: Array<{ id: string; context: string }> = [];
  const questions: EvalQuestion[] = [];
  const issues: DatasetIssue[] = [];
  articles.forEach((article: unknown, articleIndex) => {
    const list = (article as { paragraphs?: unknown } | null)?.paragraphs;
    if (!Array.isArray(list)) return;
    list.forEach((paragraph: unknown, paragraphIndex) => {
      const record = (paragraph ?? {}) as Record<string, unknown>;
      const id = (asString(record.id) ?? `P${articleIndex}_${paragraphIndex}`).replace(/[^\w.-]/g, '_');
      const context = asString(record.context);
      if (!context?.trim()) {
        issues.push({ kind: 'parse', questionId: id, message: `paragraph ${id} has no context` });
        return;
      }
      paragraphs.push({ id, context });
      const qas = Array.isArray(record.qas) ? record.qas : [];
      for (const qa of qas as Array<Record<string, unknown>>) {
        const question = asString(qa?.question);
        const questionId = asString(qa?.id) ?? `${id}-q${questions.length}`;
        if (!question?.trim()) {
          issues.push({ kind: 'parse', questionId, message: `question ${questionId} has no text` });
          continue;
        }
        const spans = [...new Set((Array.isArray(qa.answers) ? qa.answers : [])
          .map((answer: unknown) => asString((answer as { text?: unknown } | null)?.text)?.trim())
          .filter((text): text is string => Boolean(text)))];
        const shortest = [...spans].sort((left, right) => left.length - right.length)[0];
        questions.push({
          id: questionId,
          question: question.trim(),
          language: 'zh',
          gold: [{ document: `${id}.txt` }],
          references: spans,
          keyPhrases: shortest ? [shortest] : [],
          expected: 'answer',
          group: id,
        });
      }
    });
  });
  return { paragraphs, questions, issues };
}

async function loadCmrc(sourceDir: string, evalDir: string, corpusLimit: number | undefined): Promise<LoadedDataset> {
  const converted = convertSquad(await readJson(path.join(sourceDir, 'cmrc2018_dev.json'), 'cmrc2018'));
  const cacheKey = corpusLimit === undefined ? 'cmrc2018' : `cmrc2018-first${corpusLimit}`;
  const corpusDir = path.join(evalDir, cacheKey, 'corpus');
  const paragraphs = corpusLimit === undefined ? converted.paragraphs : converted.paragraphs.slice(0, corpusLimit);
  const kept = new Set(paragraphs.map((paragraph) => `${paragraph.id}.txt`));
  for (const paragraph of paragraphs) await writeIfChanged(path.join(corpusDir, `${paragraph.id}.txt`), `${paragraph.context}\n`);
  const questions = converted.questions.filter((question) => question.gold.every((source) => source.document === undefined || kept.has(source.document)));
  return { name: 'cmrc2018', cacheKey, corpusDir, questions, issues: converted.issues };
}

// ---------------------------------------------------------------- dispatch

export const DATASET_SETTINGS_FILE = 'dataset.json';

/**
 * The corpus folder named by an optional `dataset.json` beside the questions (`{"corpus": "../docs"}`,
 * resolved relative to that folder), so a dataset can evaluate documents kept elsewhere in the
 * repository (such as data/sample) without a copy that would drift from them.
 */
async function corpusFromSettings(datasetDir: string): Promise<string | undefined> {
  const file = path.join(datasetDir, DATASET_SETTINGS_FILE);
  if (!existsSync(file)) return undefined;
  const corpus = ((await readJson(file, path.basename(datasetDir))) as { corpus?: unknown } | null)?.corpus;
  if (corpus === undefined) return undefined;
  if (typeof corpus !== 'string' || !corpus.trim()) {
    throw new KefuError('DATASET_INVALID', { detail: `${file}: "corpus" must be a folder path` });
  }
  return path.resolve(datasetDir, corpus);
}

async function loadFromPath(target: string): Promise<LoadedDataset> {
  const resolved = path.resolve(target);
  if (!existsSync(resolved)) throw new KefuError('DATASET_UNKNOWN', { detail: `${target} (no such dataset name, file or folder)` });
  let questionsFile = resolved;
  let corpusDir = path.join(path.dirname(resolved), 'corpus');
  if (statSync(resolved).isDirectory()) {
    const candidates = ['questions.jsonl', 'dataset.jsonl', 'qa.jsonl'].map((name) => path.join(resolved, name));
    const found = candidates.find((file) => existsSync(file));
    if (!found) throw new KefuError('DATASET_INVALID', { detail: `${target} has no questions.jsonl` });
    questionsFile = found;
    corpusDir = path.join(resolved, 'corpus');
  } else if (!resolved.endsWith('.jsonl')) {
    throw new KefuError('DATASET_INVALID', { detail: `${target} is not a .jsonl file or a dataset folder` });
  }
  const namedCorpus = await corpusFromSettings(path.dirname(questionsFile));
  if (namedCorpus !== undefined) corpusDir = namedCorpus;
  if (!existsSync(corpusDir) || !statSync(corpusDir).isDirectory()) {
    const detail = namedCorpus === undefined
      ? `no corpus/ folder beside ${path.basename(questionsFile)} (expected ${corpusDir})`
      : `the corpus folder named in ${DATASET_SETTINGS_FILE} does not exist (${corpusDir})`;
    throw new KefuError('DATASET_INVALID', { detail });
  }
  const parsed = parseJsonlQuestions(await readFile(questionsFile, 'utf8'), path.basename(questionsFile));
  const name = path.basename(statSync(resolved).isDirectory() ? resolved : path.dirname(resolved));
  return { name, corpusDir, ...parsed };
}

/** Folder under `<data dir>/eval` where a dataset's corpus copy and index live. */
export function datasetCacheDir(evalDir: string, dataset: LoadedDataset | string): string {
  const name = typeof dataset === 'string' ? dataset : (dataset.cacheKey ?? dataset.name);
  return path.join(evalDir, name.replace(/[^\w.-]/g, '_'));
}

/** Loads a built-in dataset by name, or a dataset folder / .jsonl file by path. */
export async function loadDataset(options: LoadDatasetOptions): Promise<LoadedDataset> {
  const shared = options.sharedDataDir ?? DEFAULT_SHARED_DATA_DIR;
  const name = options.dataset.trim();
  const cacheDir = datasetCacheDir(options.evalDir, name);
  switch (name) {
    case 'northwind':
      return loadNorthwind(path.join(shared, 'northwind'), cacheDir);
    case 'stackfaq':
      return loadStackFaq(path.join(shared, 'stackfaq'), cacheDir);
    case 'cmrc2018':
      return loadCmrc(path.join(shared, 'cmrc2018'), options.evalDir, options.corpusLimit);
    case 'lcqmc':
      return loadLcqmc({
        sourceDir: path.join(shared, 'lcqmc'),
        evalDir: options.evalDir,
        split: options.split ?? 'all',
        ...(options.limit === undefined ? {} : { limit: options.limit }),
        seed: options.seed ?? DEFAULT_SEED,
      });
    default:
      if (!name.includes('/') && !name.includes('.') && !existsSync(name)) {
        throw new KefuError('DATASET_UNKNOWN', { detail: name });
      }
      return loadFromPath(name);
  }
}

/** Deterministic subset: a seeded shuffle, then the first `limit` questions kept in dataset order. */
export function sampleQuestions<T>(questions: T[], limit: number | undefined, seed = DEFAULT_SEED): T[] {
  if (limit === undefined || limit >= questions.length) return questions;
  const kept = new Set(seededShuffle(questions.map((_, index) => index), seed).slice(0, limit));
  return questions.filter((_, index) => kept.has(index));
}
