/**
 * Siblings and versions. Knowledge bases hold documents that say nearly the same thing: two plans with
 * near-identical text, one page published by several agencies, the same report for several quarters or
 * years. Mixing them gives wrong answers. Before composing:
 * - **versions** (same document family, different period in the file name or title: "2023", "Q3 2024",
 *   "FY2022", "2024年", "第三季度"): the period the question names wins; "most recent", "latest", "this year",
 *   "last quarter" (最新, 今年, 上季度…) are resolved; with no period named the newest version is used;
 * - **siblings** (different documents whose passages for this question are near-identical): the one the
 *   question names (its distinctive title words) is used alone; when it names none and their passages differ,
 *   the answer is given per document, labelled.
 *
 * @example
 *   const plan = planSiblings({ question, terms, passages, corpus, now: new Date() });
 *   if (plan.kind === 'per-document') for (const group of plan.groups) compose(group.passages);
 */
import path from 'node:path';
import type { CorpusStats } from '../retrieval/corpus-stats.ts';
import type { Candidate } from '../retrieval/index.ts';
import { jaccard } from '../text/index.ts';
import type { Citation } from './types.ts';

export interface Period {
  year: number;
  /** 1..4 when a quarter is named; months become their quarter. */
  quarter?: number;
}

export type SiblingPlan =
  | { kind: 'single'; passages: Candidate[]; note?: string }
  | { kind: 'per-document'; groups: Array<{ label: string; docPath: string; passages: Candidate[] }> };

/** Passages this similar (keyword Jaccard) from two documents make them siblings for a question. */
const SIBLING_OVERLAP = 0.6;
/** How many top passages are looked at. */
const WINDOW = 6;
/** A passage counts as evidence for sibling detection only within this share of the best passage's fused score (a rule: "about as good as the best", not fitted). */
const SIBLING_SCORE_SHARE = 0.5;

const QUARTER_WORDS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, 一: 1, 二: 2, 三: 3, 四: 4 };

/**
 * The period a text names, if any: "Q3 2023", "2023 Q3", "3Q23", "FY2022", "third quarter of 2021",
 * "2024年第一季度", "2023年".
 */
export function parsePeriod(text: string): Period | undefined {
  const lower = text.toLowerCase().replace(/[_]+/g, ' ');
  const year = (value: string) => (value.length === 2 ? 2000 + Number(value) : Number(value));
  let match = /\bq([1-4])[\s-]*(?:fy)?((?:19|20)\d{2})\b/.exec(lower) ?? /\b((?:19|20)\d{2})[\s-]*q([1-4])\b/.exec(lower);
  if (match) {
    const [a, b] = [match[1] ?? '', match[2] ?? ''];
    return a.length === 4 ? { year: Number(a), quarter: Number(b) } : { year: Number(b), quarter: Number(a) };
  }
  match = /\b([1-4])q[\s-]*(\d{2}|(?:19|20)\d{2})\b/.exec(lower);
  if (match) return { year: year(match[2] ?? ''), quarter: Number(match[1]) };
  match = /\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?(?:fiscal\s+(?:year\s+)?)?((?:19|20)\d{2})\b/.exec(lower);
  if (match) return { year: Number(match[2]), quarter: QUARTER_WORDS[match[1] ?? ''] ?? 1 };
  match = /((?:19|20)\d{2})\s*年\s*(?:第?\s*([一二三四1-4])\s*季度)?/u.exec(text);
  if (match) return match[2] ? { year: Number(match[1]), quarter: QUARTER_WORDS[match[2]] ?? Number(match[2]) } : { year: Number(match[1]) };
  match = /\bfy\s*'?((?:19|20)?\d{2})\b/.exec(lower) ?? /\b((?:19|20)\d{2})\b/.exec(lower);
  if (match) return { year: year(match[1] ?? '') };
  return undefined;
}

/** Relative periods a question may name, resolved against the family's versions and today. */
function requestedPeriod(question: string, available: readonly Period[], now: Date): Period | 'latest' | undefined {
  const named = parsePeriod(question);
  if (named) return named;
  const lower = question.toLowerCase();
  const currentYear = now.getFullYear();
  const currentQuarter = Math.floor(now.getMonth() / 3) + 1;
  if (/\b(last|previous|prior) quarter\b|上季度|上个季度/u.test(lower)) {
    return currentQuarter === 1 ? { year: currentYear - 1, quarter: 4 } : { year: currentYear, quarter: currentQuarter - 1 };
  }
  if (/\b(last|previous|prior) year\b|去年|上一年/u.test(lower)) return { year: currentYear - 1 };
  if (/\bthis year\b|今年|本年/u.test(lower)) return available.some((period) => period.year === currentYear) ? { year: currentYear } : 'latest';
  if (/\b(most recent|latest|newest|current|recent)\b|最新|最近|当前|目前/u.test(lower)) return 'latest';
  return undefined;
}

function comparePeriods(a: Period, b: Period): number {
  return a.year - b.year || (a.quarter ?? 0) - (b.quarter ?? 0);
}

function matchesPeriod(period: Period, wanted: Period): boolean {
  return period.year === wanted.year && (wanted.quarter === undefined || period.quarter === undefined || period.quarter === wanted.quarter);
}

/** A document's name without its period: the key that groups versions of one document. */
function familyKey(docPath: string, title: string): string {
  const name = path.basename(docPath).replace(/\.[^.]+$/, '');
  const strip = (text: string) =>
    text
      .toLowerCase()
      .replace(/\bq[1-4]\b|\b[1-4]q\d{2}\b|\bfy\s*'?\d{2,4}\b|(?:19|20)\d{2}|\b(first|second|third|fourth)\s+quarter\b|第?[一二三四1-4]季度|年/gu, ' ')
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
  return strip(name) || strip(title);
}

function labelOf(passage: Candidate, others: readonly Candidate[]): string {
  const title = passage.chunk.title.trim();
  const clash = others.some((other) => other.chunk.docPath !== passage.chunk.docPath && other.chunk.title.trim() === title);
  return !title || clash ? path.basename(passage.chunk.docPath).replace(/\.[^.]+$/, '').replace(/[_]+/g, ' ') : title;
}

/** Decides which documents' passages an answer is composed from. */
export function planSiblings(options: { question: string; terms: readonly string[]; passages: readonly Candidate[]; corpus: CorpusStats; now?: Date }): SiblingPlan {
  const { question, terms, corpus } = options;
  const now = options.now ?? new Date();
  let passages = [...options.passages];
  const top = passages.slice(0, WINDOW).filter((passage) => passage.chunk.kind !== 'faq');

  // 1. Versions of one document: keep the asked-for period, else the newest.
  const families = new Map<string, Map<string, Period>>();
  for (const passage of top) {
    const period = parsePeriod(`${path.basename(passage.chunk.docPath)} ${passage.chunk.title}`);
    if (!period) continue;
    const key = familyKey(passage.chunk.docPath, passage.chunk.title);
    if (!key) continue;
    const members = families.get(key) ?? new Map<string, Period>();
    members.set(passage.chunk.docPath, period);
    families.set(key, members);
  }
  const dropped = new Set<string>();
  for (const members of families.values()) {
    if (members.size < 2) continue;
    const periods = [...members.values()];
    const wanted = requestedPeriod(question, periods, now);
    let keep: string[];
    if (wanted && wanted !== 'latest') keep = [...members].filter(([, period]) => matchesPeriod(period, wanted)).map(([docPath]) => docPath);
    else keep = [];
    if (keep.length === 0) {
      const newest = periods.reduce((best, period) => (comparePeriods(period, best) > 0 ? period : best));
      keep = [...members].filter(([, period]) => comparePeriods(period, newest) === 0).map(([docPath]) => docPath);
    }
    for (const docPath of members.keys()) if (!keep.includes(docPath)) dropped.add(docPath);
  }
  if (dropped.size > 0) passages = passages.filter((passage) => !dropped.has(passage.chunk.docPath));

  // 2. Siblings: near-identical passages from different documents among the top ones (400 look-alike notes
  // below the one passage that answers must not turn the answer into one per note: see the check below).
  const window = passages.slice(0, WINDOW).filter((passage) => passage.chunk.kind !== 'faq');
  const words = new Map(window.map((passage) => [passage.chunk.id, new Set(passage.chunk.keywords.split(' '))]));
  const siblingDocs = new Set<string>();
  for (let i = 0; i < window.length; i++) {
    for (let j = i + 1; j < window.length; j++) {
      const a = window[i];
      const b = window[j];
      if (!a || !b || a.chunk.docPath === b.chunk.docPath) continue;
      if (jaccard(words.get(a.chunk.id) ?? new Set(), words.get(b.chunk.id) ?? new Set()) >= SIBLING_OVERLAP) {
        siblingDocs.add(a.chunk.docPath);
        siblingDocs.add(b.chunk.docPath);
      }
    }
  }
  // Only siblings that are themselves the best evidence count: the best passage is one of theirs, and each
  // has a passage within SIBLING_SCORE_SHARE of it.
  const bestScore = window[0]?.score ?? 0;
  for (const docPath of siblingDocs) {
    if (!window.some((passage) => passage.chunk.docPath === docPath && passage.score >= bestScore * SIBLING_SCORE_SHARE)) siblingDocs.delete(docPath);
  }
  if (siblingDocs.size < 2 || !siblingDocs.has(window[0]?.chunk.docPath ?? '')) return { kind: 'single', passages };

  // The question names one of them: that one alone.
  // A title word counts only when it tells the siblings apart (every plan's title says "plan").
  const termSet = new Set(terms);
  const matchedWords = new Map([...siblingDocs].map((docPath) => [docPath, [...(corpus.titleWords.get(docPath) ?? [])].filter((word) => termSet.has(word))]));
  const sharedByAll = (word: string) => [...matchedWords.values()].every((words) => words.includes(word));
  const named = [...siblingDocs].filter((docPath) => (matchedWords.get(docPath) ?? []).some((word) => !sharedByAll(word)));
  if (named.length === 1) {
    const others = new Set([...siblingDocs].filter((docPath) => docPath !== named[0]));
    return { kind: 'single', passages: passages.filter((passage) => !others.has(passage.chunk.docPath)) };
  }

  // Names none: per document, labelled — unless their best passages say the same thing.
  const groups = [...siblingDocs]
    .map((docPath) => ({ docPath, passages: passages.filter((passage) => passage.chunk.docPath === docPath) }))
    .sort((a, b) => (b.passages[0]?.score ?? 0) - (a.passages[0]?.score ?? 0))
    .slice(0, 3);
  const bestTexts = groups.map((group) => (group.passages[0]?.chunk.text ?? '').replace(/\s+/g, ' ').trim());
  if (new Set(bestTexts).size === 1) return { kind: 'single', passages };
  const firsts = groups.flatMap((group) => (group.passages[0] ? [group.passages[0]] : []));
  return {
    kind: 'per-document',
    groups: groups.map((group) => ({ label: group.passages[0] ? labelOf(group.passages[0], firsts) : group.docPath, docPath: group.docPath, passages: group.passages })),
  };
}

/** The parts of per-document answers that are joined: each composed from its own document's passages. */
export interface LabelledAnswer {
  label: string;
  markdown: string;
  pieces: string[];
  citations: Citation[];
}

/**
 * Joins per-document answers under their labels ("**Northwind Standard:** …"), renumbering the second and
 * later answers' citations so every [n] stays unique.
 */
export function joinLabelled(parts: readonly LabelledAnswer[]): { markdown: string; pieces: string[]; citations: Citation[] } {
  const pieces: string[] = [];
  const citations: Citation[] = [];
  for (const part of parts) {
    const offset = citations.length;
    const renumber = (text: string) => text.replace(/\[(\d+)\]/g, (_, n: string) => `[${Number(n) + offset}]`);
    pieces.push(`${pieces.length > 0 ? '\n\n' : ''}**${part.label.replace(/[*_[\]]/g, '')}**\n\n`);
    pieces.push(...part.pieces.map(renumber));
    citations.push(...part.citations.map((citation) => ({ ...citation, n: citation.n + offset })));
  }
  return { markdown: pieces.join(''), pieces, citations };
}
