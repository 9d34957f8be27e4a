/**
 * Splits a parsed document into chunks for embedding and search. Section text is the Markdown subset
 * (`src/text/markdown.ts`), and the chunker cuts between its blocks:
 * - prose breaks at sentence ends (English and Chinese), each chunk starting with a sentence or two of the
 *   previous one as overlap (prose only: never a table row or a list item twice);
 * - a list, a table or a code block that fits in a chunk stays whole, with the sentence introducing it
 *   ("…as follows:"); a longer one is cut between items, rows or lines, never inside one;
 * - a long table is chunked by rows, every chunk repeating its header row;
 * - chunks aim at `targetTokens` and never exceed `maxTokens`: a sentence (or item) longer than that, a
 *   wall of Chinese without punctuation, is cut by size.
 * A chunk never crosses a section (heading or page) boundary. Each FAQ entry is exactly one chunk.
 *
 * Tokens are counted on the plain text that is embedded (`toPlainText(…, { tables: 'records' })`), once per
 * sentence, item or row and once per finished chunk (to verify), never per growing chunk: a 2,000-row
 * table costs 2,000 tokenizer calls plus one per chunk, and time linear in its rows.
 */
import { splitSentences } from '../src/text/index.ts';
import { blocksToPlainText, parseBlocks, renderBlocks, type Block, type ListItem } from '../src/text/markdown.ts';
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

/** One piece a chunk is packed from: a sentence, a list item, a table row or a code line. */
interface Unit {
  kind: 'sentence' | 'item' | 'row' | 'code';
  /** Index of the block the unit comes from, within its section. */
  block: number;
  text: string;
  tokens: number;
  /** Between this unit and the previous one of the same block and kind: ' ', '' (Chinese) or '\n' (code). */
  joiner: string;
  /** Units of one keep-together group (a list or table that fits, with its introduction) share this id. */
  group: number;
  /** List items: depth and number; pieces of one cut item share `item`. */
  depth?: number;
  number?: number;
  item?: number;
  /** Table rows: the cells. */
  cells?: string[];
}

function sentenceJoiner(previous: string): string {
  // After a Chinese sentence (ending in 。！？； or a character) the next follows without a space.
  return CJK.test(previous.at(-1) ?? '') ? '' : ' ';
}

/**
 * Cuts one over-long text into pieces of at most maxTokens, preferring a comma or space near the cut.
 * Joining the pieces with their joiners gives back the text, so nothing is lost.
 */
function cutLongText(text: string, tokens: number, countTokens: (text: string) => number, maxTokens: number): { text: string; tokens: number; joiner: string }[] {
  const pieces: { text: string; tokens: number; joiner: string }[] = [];
  let rest = text;
  let restTokens = tokens;
  let joiner = '';
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
    pieces.push({ text: piece.trim(), tokens: pieceTokens, joiner });
    const remainder = rest.slice(piece.length);
    joiner = /^\s/.test(remainder) || /\s$/.test(piece) ? ' ' : '';
    rest = remainder.trim();
    restTokens = countTokens(rest);
  }
  if (rest) pieces.push({ text: rest, tokens: restTokens, joiner });
  return pieces;
}

/** The plain text a unit is embedded as (what its tokens are counted on). */
function plainOf(block: Block, unit: Pick<Unit, 'text' | 'depth' | 'cells'>): string {
  switch (block.kind) {
    case 'paragraph':
      return blocksToPlainText([{ kind: 'paragraph', text: unit.text }]);
    case 'list':
      return blocksToPlainText([{ kind: 'list', ordered: block.ordered, items: [{ text: unit.text, depth: 0 }] }]);
    case 'table':
      return blocksToPlainText([{ kind: 'table', header: block.header, rows: [unit.cells ?? []] }], { tables: 'records' });
    case 'code':
      return unit.text;
  }
}

function sectionUnits(section: Section, countTokens: (text: string) => number, maxTokens: number): { blocks: Block[]; units: Unit[] } {
  const blocks = parseBlocks(section.text);
  const units: Unit[] = [];
  let group = 0;
  let itemId = 0;
  const add = (unit: Omit<Unit, 'tokens' | 'group'>, block: Block, groupId: number): void => {
    const tokens = countTokens(plainOf(block, unit));
    if (tokens <= maxTokens) {
      units.push({ ...unit, tokens, group: groupId });
      return;
    }
    if (unit.kind === 'row') {
      // A row too long for any chunk is kept as its plain "Header: cell; …" text, cut by size.
      const plain = plainOf(block, unit);
      for (const piece of cutLongText(plain, tokens, countTokens, maxTokens)) units.push({ kind: 'sentence', block: -1 - units.length, text: piece.text, tokens: piece.tokens, joiner: ' ', group: groupId });
      return;
    }
    const id = itemId++;
    for (const [index, piece] of cutLongText(unit.text, tokens, countTokens, maxTokens).entries()) {
      units.push({ ...unit, text: piece.text, tokens: piece.tokens, joiner: index === 0 ? unit.joiner : piece.joiner, group: groupId, ...(unit.kind === 'item' ? { item: id } : {}) });
    }
  };
  blocks.forEach((block, blockIndex) => {
    switch (block.kind) {
      case 'paragraph': {
        let previous = '';
        for (const sentence of splitSentences(block.text)) {
          add({ kind: 'sentence', block: blockIndex, text: sentence, joiner: sentenceJoiner(previous) }, block, ++group);
          previous = sentence;
        }
        break;
      }
      case 'list':
      case 'table':
      case 'code': {
        // The sentence introducing a list or table ("You can pay with:") stays with it.
        const last = units.at(-1);
        const id = last && last.kind === 'sentence' && /[:：](\*\*)?$/.test(last.text) && last.block === blockIndex - 1 ? last.group : ++group;
        if (block.kind === 'list') {
          for (const item of block.items) add({ kind: 'item', block: blockIndex, text: item.text, joiner: ' ', item: itemId++, depth: item.depth, ...(item.number === undefined ? {} : { number: item.number }) }, block, id);
        } else if (block.kind === 'table') {
          for (const row of block.rows) add({ kind: 'row', block: blockIndex, text: '', cells: row, joiner: '' }, block, id);
        } else {
          for (const line of block.text.split('\n')) add({ kind: 'code', block: blockIndex, text: line, joiner: '\n' }, block, id);
        }
        break;
      }
    }
  });
  return { blocks, units };
}

/** Renders the units of one chunk back into the Markdown subset: a table's rows under its header, items as a list. */
function renderUnits(units: readonly Unit[], blocks: readonly Block[]): string {
  const out: Block[] = [];
  let previous: Unit | undefined;
  for (const unit of units) {
    const source = blocks[unit.block];
    const current = out.at(-1);
    const sameBlock = previous !== undefined && previous.block === unit.block && previous.kind === unit.kind && current !== undefined;
    if (unit.kind === 'sentence') {
      if (sameBlock && current?.kind === 'paragraph') current.text += unit.joiner + unit.text;
      else out.push({ kind: 'paragraph', text: unit.text });
    } else if (unit.kind === 'item' && source?.kind === 'list') {
      const lastItem = current?.kind === 'list' ? current.items.at(-1) : undefined;
      if (sameBlock && current?.kind === 'list' && lastItem && previous?.item === unit.item) lastItem.text += unit.joiner + unit.text;
      else {
        const item: ListItem = { text: unit.text, depth: unit.depth ?? 0, ...(unit.number === undefined ? {} : { number: unit.number }) };
        if (sameBlock && current?.kind === 'list') current.items.push(item);
        else out.push({ kind: 'list', ordered: source.ordered, items: [item] });
      }
    } else if (unit.kind === 'row' && source?.kind === 'table') {
      if (sameBlock && current?.kind === 'table') current.rows.push(unit.cells ?? []);
      else out.push({ kind: 'table', header: source.header, rows: [unit.cells ?? []] });
    } else if (unit.kind === 'code') {
      if (sameBlock && current?.kind === 'code') current.text += `\n${unit.text}`;
      else out.push({ kind: 'code', text: unit.text });
    }
    previous = unit;
  }
  // A list cut after a nested item starts its next chunk at depth 0 (renderBlocks needs a parent for each depth).
  for (const block of out) {
    if (block.kind !== 'list') continue;
    let allowed = 0;
    for (const item of block.items) {
      item.depth = Math.min(item.depth, allowed);
      allowed = item.depth + 1;
    }
  }
  return renderBlocks(out);
}

/** The plain text embedded for a chunk's units, for the final token check. */
function plainUnits(units: readonly Unit[], blocks: readonly Block[]): string {
  return blocksToPlainText(parseBlocks(renderUnits(units, blocks)), { tables: 'records' });
}

function sumTokens(units: readonly Unit[]): number {
  return units.reduce((total, unit) => total + unit.tokens, 0);
}

interface Window {
  units: Unit[];
  /** Index of the first unit that is new in this chunk (units before it are overlap). */
  freshFrom: number;
}

/** The units of each keep-together group, in order. */
function groupsOf(units: readonly Unit[]): Unit[][] {
  const groups: Unit[][] = [];
  for (const unit of units) {
    const last = groups.at(-1);
    if (last && last[0]?.group === unit.group) last.push(unit);
    else groups.push([unit]);
  }
  return groups;
}

/**
 * Greedy packing into chunks of about targetTokens. A group that fits in a chunk is never split: when it
 * does not fit in the current chunk, a new chunk starts with it. Each chunk after the first starts with
 * overlap (whole trailing sentences of the chunk before) when both sides of the cut are prose.
 */
function packSection(units: readonly Unit[], settings: { targetTokens: number; overlapTokens: number; maxTokens: number }): Window[] {
  const { targetTokens, overlapTokens, maxTokens } = settings;
  const windows: Window[] = [];
  let current: Window = { units: [], freshFrom: 0 };
  let currentTokens = 0;
  const close = (next: Unit | undefined, nextTokens: number): void => {
    windows.push(current);
    const overlap: Unit[] = [];
    let overlapSize = 0;
    if (next?.kind === 'sentence') {
      for (let index = current.units.length - 1; index >= current.freshFrom; index--) {
        const candidate = current.units[index];
        if (!candidate || candidate.kind !== 'sentence' || overlapSize + candidate.tokens > overlapTokens || overlapSize + candidate.tokens + nextTokens > maxTokens) break;
        overlap.unshift(candidate);
        overlapSize += candidate.tokens;
      }
    }
    current = { units: overlap, freshFrom: overlap.length };
    currentTokens = overlapSize;
  };
  const hasFresh = (): boolean => current.units.length > current.freshFrom;
  for (const group of groupsOf(units)) {
    const groupTokens = sumTokens(group);
    if (group.length > 1 && groupTokens <= maxTokens) {
      // A list or table that fits stays whole, even a little over the target.
      if (hasFresh() && currentTokens + groupTokens > targetTokens) close(group[0], groupTokens);
      if (!hasFresh() && currentTokens + groupTokens > maxTokens) {
        current = { units: [], freshFrom: 0 };
        currentTokens = 0;
      }
      current.units.push(...group);
      currentTokens += groupTokens;
      continue;
    }
    for (const unit of group) {
      if (hasFresh() && currentTokens + unit.tokens > targetTokens) close(unit, unit.tokens);
      current.units.push(unit);
      currentTokens += unit.tokens;
    }
  }
  if (hasFresh()) {
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
function enforceMaximum(units: readonly Unit[], blocks: readonly Block[], countTokens: (text: string) => number, maxTokens: number): Unit[][] {
  if (units.length <= 1 || countTokens(plainUnits(units, blocks)) <= maxTokens) return [[...units]];
  const middle = Math.ceil(units.length / 2);
  return [...enforceMaximum(units.slice(0, middle), blocks, countTokens, maxTokens), ...enforceMaximum(units.slice(middle), blocks, countTokens, maxTokens)];
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
    const { blocks, units } = sectionUnits(section, countTokens, ceiling);
    for (const window of packSection(units, { targetTokens: target, overlapTokens: overlap, maxTokens: ceiling })) {
      for (const piece of enforceMaximum(window.units, blocks, countTokens, ceiling)) {
        const text = renderUnits(piece, blocks).trim();
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
