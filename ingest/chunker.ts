/**
 * Splits a parsed document into chunks for embedding and search. A chunk never crosses a section
 * (heading or page) boundary, breaks at sentence ends (English and Chinese), aims at `targetTokens`
 * model tokens, repeats a sentence or two of the previous chunk as overlap, and never exceeds
 * `maxTokens`: a sentence longer than that (a wall of Chinese without punctuation) is cut by size.
 * Each FAQ entry is exactly one chunk, never split.
 *
 * Tokens are counted once per sentence (and once per finished chunk, to verify), never per growing
 * chunk, so a 100-page PDF costs about one tokenizer call per sentence.
 */
import { splitSentences } from '../src/text/index.ts';
import type { ChunkDraft, ParsedDocument, Section } from './types.ts';

export interface ChunkOptions {
  document: ParsedDocument;
  /** Model tokens in a text; production passes the embedding model's tokenizer, tests `estimateTokens`. */
  countTokens: (text: string) => number;
  /** Aim for chunks of about this many tokens (default 220). */
  targetTokens?: number;
  /** Repeat about this many tokens of whole sentences from the previous chunk (default 30). */
  overlapTokens?: number;
  /** Hard ceiling per passage chunk (default the larger of 256 and targetTokens). */
  maxTokens?: number;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u;

/**
 * A cheap token estimate for tests and callers without a tokenizer: about one token per Chinese
 * (or other CJK) character, 1.3 per English word or number, one per punctuation mark.
 *
 * @example
 *   estimateTokens('退款多久到账？') // 7
 *   estimateTokens('How long do refunds take?') // 8
 */
export function estimateTokens(text: string): number {
  const cjk = text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu)?.length ?? 0;
  const words = text.match(/[\p{L}\p{N}]+/gu)?.filter((word) => !CJK.test(word)).length ?? 0;
  const punctuation = text.match(/[^\p{L}\p{N}\s]/gu)?.length ?? 0;
  return Math.ceil(cjk + words * 1.3 + punctuation);
}

/** A sentence (or a piece of a cut sentence) with its token count and how it joins the one before. */
interface Unit {
  text: string;
  tokens: number;
  /** Put between this unit and the previous one in the same chunk: '\n' (new line or paragraph), ' ' or ''. */
  joiner: string;
}

function sentenceJoiner(previous: string): string {
  // After a Chinese sentence (ending in 。！？； or a character) the next follows without a space.
  return CJK.test(previous.at(-1) ?? '') ? '' : ' ';
}

/**
 * Cuts one over-long sentence into pieces of at most maxTokens, preferring a comma or space near the
 * cut. Joining the pieces with their joiners gives back the sentence, so nothing is lost.
 */
function cutLongSentence(unit: Unit, countTokens: (text: string) => number, maxTokens: number): Unit[] {
  const pieces: Unit[] = [];
  let rest = unit.text;
  let restTokens = unit.tokens;
  let joiner = unit.joiner;
  while (restTokens > maxTokens && rest.length > 1) {
    const charactersPerToken = rest.length / Math.max(1, restTokens);
    let length = Math.max(1, Math.floor(maxTokens * charactersPerToken * 0.95));
    let piece = '';
    let pieceTokens = Number.POSITIVE_INFINITY;
    while (length >= 1) {
      let cut = Math.min(length, rest.length - 1);
      // Prefer a natural break in the last fifth of the piece.
      const window = rest.slice(Math.floor(cut * 0.8), cut);
      const breakAt = Math.max(window.lastIndexOf('，'), window.lastIndexOf('、'), window.lastIndexOf(','), window.lastIndexOf(' '));
      if (breakAt >= 0) cut = Math.floor(cut * 0.8) + breakAt + 1;
      // Never cut a surrogate pair in half.
      if (/[\ud800-\udbff]/.test(rest[cut - 1] ?? '')) cut += cut < rest.length - 1 ? 1 : -1;
      piece = rest.slice(0, cut);
      pieceTokens = countTokens(piece.trim());
      if (pieceTokens <= maxTokens || cut <= 1) break;
      length = Math.floor(cut * 0.85);
    }
    const trimmed = piece.trimEnd();
    pieces.push({ text: trimmed.trimStart(), tokens: pieceTokens, joiner });
    const remainder = rest.slice(piece.length);
    joiner = /^\s/.test(remainder) || /\s$/.test(piece) ? ' ' : '';
    rest = remainder.trim();
    restTokens = countTokens(rest);
  }
  if (rest) pieces.push({ text: rest, tokens: restTokens, joiner });
  return pieces;
}

/** Paragraph and list-item boundaries, as splitSentences draws them, so chunks keep their line breaks. */
const BLOCK_BOUNDARY = /\n\s*\n|\n(?=\s*(?:[-*•·]|\d+[.)、]|[（(]?[一二三四五六七八九十]+[)）、.]))/u;

function sectionUnits(section: Section, countTokens: (text: string) => number, maxTokens: number): Unit[] {
  const units: Unit[] = [];
  for (const block of section.text.split(BLOCK_BOUNDARY)) {
    let first = true;
    let previous = '';
    for (const sentence of splitSentences(block)) {
      const unit: Unit = { text: sentence, tokens: countTokens(sentence), joiner: first ? '\n' : sentenceJoiner(previous) };
      if (unit.tokens > maxTokens) units.push(...cutLongSentence(unit, countTokens, maxTokens));
      else units.push(unit);
      first = false;
      previous = sentence;
    }
  }
  return units;
}

function joinUnits(units: readonly Unit[]): string {
  return units.map((unit, index) => (index === 0 ? unit.text : unit.joiner + unit.text)).join('');
}

function sumTokens(units: readonly Unit[]): number {
  return units.reduce((total, unit) => total + unit.tokens, 0);
}

interface Window {
  units: Unit[];
  /** Index of the first unit that is new in this chunk (units before it are overlap). */
  freshFrom: number;
}

/** Greedy packing of sentences into chunks of about targetTokens, each starting with overlap from the last. */
function packSection(units: readonly Unit[], settings: { targetTokens: number; overlapTokens: number; maxTokens: number }): Window[] {
  const { targetTokens, overlapTokens, maxTokens } = settings;
  const windows: Window[] = [];
  let current: Window = { units: [], freshFrom: 0 };
  let currentTokens = 0;
  for (const unit of units) {
    const hasFresh = current.units.length > current.freshFrom;
    if (hasFresh && currentTokens + unit.tokens > targetTokens) {
      windows.push(current);
      // Overlap: whole trailing sentences of the chunk just closed, up to overlapTokens, leaving room for this unit.
      const overlap: Unit[] = [];
      let overlapSize = 0;
      for (let index = current.units.length - 1; index >= current.freshFrom; index--) {
        const candidate = current.units[index];
        if (!candidate || overlapSize + candidate.tokens > overlapTokens || overlapSize + candidate.tokens + unit.tokens > maxTokens) break;
        overlap.unshift(candidate);
        overlapSize += candidate.tokens;
      }
      current = { units: overlap, freshFrom: overlap.length };
      currentTokens = overlapSize;
    }
    current.units.push(unit);
    currentTokens += unit.tokens;
  }
  if (current.units.length > current.freshFrom) {
    const previous = windows.at(-1);
    const fresh = current.units.slice(current.freshFrom);
    const freshTokens = sumTokens(fresh);
    // A tiny tail reads better as the end of the previous chunk than as a chunk of its own.
    if (previous && freshTokens < targetTokens / 4 && sumTokens(previous.units) + freshTokens <= maxTokens) previous.units.push(...fresh);
    else windows.push(current);
  }
  return windows;
}

/** Splits a window whose real token count exceeds maxTokens (a tokenizer that is not additive) in halves. */
function enforceMaximum(units: readonly Unit[], countTokens: (text: string) => number, maxTokens: number): Unit[][] {
  const text = joinUnits(units);
  if (units.length <= 1 || countTokens(text) <= maxTokens) return [[...units]];
  const middle = Math.ceil(units.length / 2);
  return [...enforceMaximum(units.slice(0, middle), countTokens, maxTokens), ...enforceMaximum(units.slice(middle), countTokens, maxTokens)];
}

/**
 * Chunks a parsed document.
 *
 * @example
 *   const drafts = chunkDocument({ document, countTokens: estimateTokens, targetTokens: 220, overlapTokens: 30 });
 *   drafts[0] // { ordinal: 0, kind: 'passage', text: '…', headingPath: ['Returns'], page: 1 }
 */
export function chunkDocument({ document, countTokens, targetTokens = 220, overlapTokens = 30, maxTokens }: ChunkOptions): ChunkDraft[] {
  const ceiling = Math.max(1, maxTokens ?? Math.max(256, targetTokens));
  const target = Math.max(1, Math.min(targetTokens, ceiling));
  const overlap = Math.max(0, Math.min(overlapTokens, Math.floor(target / 2)));
  const drafts: ChunkDraft[] = [];
  for (const section of document.sections) {
    const units = sectionUnits(section, countTokens, ceiling);
    for (const window of packSection(units, { targetTokens: target, overlapTokens: overlap, maxTokens: ceiling })) {
      for (const piece of enforceMaximum(window.units, countTokens, ceiling)) {
        const text = joinUnits(piece).trim();
        if (!text) continue;
        drafts.push({
          ordinal: drafts.length,
          kind: 'passage',
          text,
          headingPath: [...section.headingPath],
          ...(section.page === undefined ? {} : { page: section.page }),
        });
      }
    }
  }
  for (const entry of document.faq ?? []) {
    drafts.push({
      ordinal: drafts.length,
      kind: 'faq',
      text: `${entry.question}\n${entry.answer}`,
      headingPath: entry.category ? [entry.category] : [],
      faq: {
        id: entry.id,
        question: entry.question,
        answer: entry.answer,
        alternates: [...entry.alternates],
        ...(entry.category === undefined ? {} : { category: entry.category }),
      },
    });
  }
  return drafts;
}
