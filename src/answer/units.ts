/**
 * The pieces an extractive answer is made of. A passage (chunk text in the Markdown subset of
 * src/text/markdown.ts) is read as blocks and cut into *units*: a run of sentences of one paragraph,
 * a whole list (with the sentence that introduces it), or table rows under their header. Page
 * furniture never becomes a unit: heading-like and repeated lines, decoration lines, questions (a
 * document's own questions are headings or FAQ questions), text addressed to an assistant.
 *
 * @example
 *   const contents = readPassages({ passages });
 *   contents[0].blocks[0] // { kind: 'paragraph', sentences: [...] }
 */
import type { Candidate } from '../retrieval/index.ts';
import { parseBlocks, renderBlocks, stripInline, type ListItem } from '../text/markdown.ts';
import { hasHan, splitSentences } from '../text/index.ts';
import { isInstructionToAssistant } from './safety.ts';

/** A block of a passage after cleaning, ready to be cut into units. */
export type ContentBlock =
  | { kind: 'paragraph'; sentences: string[] }
  | { kind: 'list'; intro?: string; ordered: boolean; items: ListItem[] }
  | { kind: 'table'; intro?: string; header: string[]; rows: string[][] }
  | { kind: 'code'; text: string };

export interface PassageContent {
  /** Index into the passages given to the composer. */
  passageIndex: number;
  blocks: ContentBlock[];
}

/** Lower-cased letters and digits only: how two texts are compared for "the same text". */
export function normalizeText(text: string): string {
  return stripInline(text).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

const SENTENCE_END = /[.!?。！？…;；]["'”’)）\]]*$/u;
const DECORATION = /^[\s=\-_*~#+.·•—–]{3,}$/u;
const PAGE_NUMBER = /^(?:page\s+)?\d{1,4}(?:\s*(?:of|\/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$|^第\s*\d+\s*页(?:\s*[，,]?\s*共\s*\d+\s*页)?$/iu;
const LIST_OR_TABLE = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+|^\s*\|/u;
const LATIN_WORD = /[\p{L}\p{N}][\p{L}\p{N}'’&-]*/gu;
/** Short words that stay lower case inside a Title Case heading ("Payment of Benefits"). */
const TITLE_CONNECTORS = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'from', 'in', 'of', 'on', 'or', 'the', 'to', 'with', 'vs', 'via', 'per']);

/** At most this many words for a line to pass as a heading or running head. */
const HEADING_MAX_WORDS = 12;
const HEADING_MAX_HAN = 30;

function wordsOf(text: string): string[] {
  return stripInline(text).match(LATIN_WORD) ?? [];
}

/** Short enough to be a heading or running head, and not a sentence. */
function isShortLabel(text: string): boolean {
  const plain = stripInline(text).trim();
  if (!plain || SENTENCE_END.test(plain) || /[:：,，]$/u.test(plain)) return false;
  if (hasHan(plain)) return (plain.match(/\p{Script=Han}/gu)?.length ?? 0) <= HEADING_MAX_HAN;
  return wordsOf(plain).length <= HEADING_MAX_WORDS;
}

/** ALL CAPS ("COVERED SERVICES") or Title Case ("Benefits For Out-Of-Network Providers"). */
function hasHeadingCase(text: string): boolean {
  const words = wordsOf(text).filter((word) => /\p{L}/u.test(word));
  if (words.length === 0) return false;
  const letters = words.join('');
  if (/\p{Lu}/u.test(letters) && !/\p{Ll}/u.test(letters) && letters.replace(/[^\p{L}]/gu, '').length >= 3) return true;
  // Title Case: every significant word capitalised; a line with figures ("Monday to Friday, 9:00-18:00") is content.
  const significant = words.filter((word) => !TITLE_CONNECTORS.has(word.toLowerCase()));
  return significant.length > 0 && !/\d/.test(text) && significant.every((word) => /^\p{Lu}/u.test(word));
}

export interface FurnitureContext {
  /** Normalised heading-path parts and titles of the passages. */
  headings: ReadonlySet<string>;
  /** Normalised short lines seen more than once across the passages (running heads and feet). */
  repeated: ReadonlySet<string>;
}

/**
 * Removes the lines of a chunk text that are page furniture rather than content: decoration and
 * underline lines (and the setext heading above an underline), page numbers, lines equal to a heading
 * of the passage, short lines repeated across passages (running heads), and heading-shaped lines
 * (short, no sentence end, Title Case or ALL CAPS) standing between two sentence boundaries.
 *
 * @example
 *   removeFurniture('RETURNS POLICY\nYou have 30 days.\nPage 2 of 9', { headings: new Set(), repeated: new Set() })
 *   // 'You have 30 days.'
 */
export function removeFurniture(text: string, context: FurnitureContext): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const drop = new Array<boolean>(lines.length).fill(false);
  let inCode = false;
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (/^(```|~~~)/.test(trimmed)) inCode = !inCode;
    if (inCode || !trimmed || /^(```|~~~)/.test(trimmed)) return;
    if (DECORATION.test(trimmed) && !/^\|/.test(trimmed)) {
      drop[index] = true;
      // A setext heading: the text line right above an underline.
      const above = lines[index - 1]?.trim() ?? '';
      if (/^[=-]{3,}$/.test(trimmed) && above && isShortLabel(above)) drop[index - 1] = true;
      return;
    }
    if (/^#{1,6}\s/.test(trimmed) || PAGE_NUMBER.test(trimmed)) {
      drop[index] = true;
      return;
    }
    if (LIST_OR_TABLE.test(line) || !isShortLabel(trimmed)) return;
    const normalized = normalizeText(trimmed);
    if (context.headings.has(normalized) || context.repeated.has(normalized)) {
      drop[index] = true;
      return;
    }
    // A heading-shaped line is furniture only between two boundaries: otherwise it is a wrapped part of a sentence.
    const before = lines[index - 1]?.trim() ?? '';
    const after = lines[index + 1]?.trim() ?? '';
    const startsClean = !before || SENTENCE_END.test(before) || /[:：]$/u.test(before) || LIST_OR_TABLE.test(before) || drop[index - 1] === true;
    const endsClean = !after || /^[\p{Lu}\p{N}\p{Script=Han}|*#>-]/u.test(after) || LIST_OR_TABLE.test(after);
    if (startsClean && endsClean && hasHeadingCase(trimmed)) drop[index] = true;
  });
  return lines.filter((_, index) => !drop[index]).join('\n');
}

/** Sentence openers: closed-class words that begin an English sentence ("Tips When filing…" → "When filing…"). */
const SENTENCE_OPENERS = new Set([
  'a', 'an', 'the', 'if', 'when', 'while', 'whenever', 'where', 'at', 'in', 'on', 'for', 'to', 'you', 'your', 'we', 'our', 'it', 'its',
  'this', 'that', 'these', 'those', 'there', 'as', 'all', 'some', 'most', 'each', 'every', 'any', 'no', 'by', 'after', 'before',
  'during', 'with', 'without', 'because', 'although', 'however', 'generally', 'please', 'once', 'unless', 'since', 'they', 'he', 'she',
]);

/**
 * Cuts headings glued to the front of a sentence by text extraction ("HOW DO I FILE A CLAIM? Timely
 * Filing At Northwind…" → "At Northwind…"): a leading run of ALL CAPS words, and a Title Case run
 * followed by a sentence opener. The rest is a substring of the sentence, so it stays a quote.
 */
export function stripGluedHeading(sentence: string): string {
  if (hasHan(sentence)) return sentence;
  let text = sentence;
  for (let pass = 0; pass < 4; pass++) {
    const tokens = [...text.matchAll(/\S+/g)];
    if (tokens.length < 4) return text;
    const word = (index: number) => (tokens[index]?.[0] ?? '').replace(/[^\p{L}\p{N}'’-]/gu, '');
    const isCaps = (index: number) => /\p{Lu}/u.test(word(index)) && !/\p{Ll}/u.test(word(index));
    const isCapitalised = (index: number) => /^[\p{Lu}\p{N}]/u.test(word(index));
    // The leading run of heading-shaped words: Title Case or ALL CAPS words and connectors.
    // Dashes, colons and bars between heading parts ("Hospice Care COVERED SERVICES - HOSPICE CARE") belong to it.
    const isPunctuation = (index: number) => /^[-–—:|•·/]+$/u.test(tokens[index]?.[0] ?? '');
    let run = 0;
    while (run < Math.min(tokens.length, 24) && (isPunctuation(run) || (word(run) && (isCapitalised(run) || TITLE_CONNECTORS.has(word(run).toLowerCase()))))) {
      run++;
      if (/[.!?]$/.test(tokens[run - 1]?.[0] ?? '')) break;
    }
    let cut = -1;
    // An ALL CAPS stretch (a running head) inside the run: the heading ends after it.
    // A comma inside an ALL CAPS stretch ("in the US, EU and UK we…") makes it a list of acronyms in a sentence.
    const hasComma = (index: number) => /[,，;；]$/u.test(tokens[index]?.[0] ?? '');
    for (let index = 0; index < run; index++) {
      let end = index;
      while (end < run && (isCaps(end) || (end > index && isPunctuation(end))) && !hasComma(end)) end++;
      while (end > index && isPunctuation(end - 1)) end--;
      const letters = tokens.slice(index, end).map((token) => token[0].replace(/[^\p{L}]/gu, '')).join('');
      const words = tokens.slice(index, end).filter((_, offset) => !isPunctuation(index + offset)).length;
      // Followed by another capitalised word: a stretch followed by lower case is an acronym of the sentence.
      let next = end;
      while (next < run && isPunctuation(next)) next++;
      const followedByCapital = next < run && isCapitalised(next) && !TITLE_CONNECTORS.has(word(next).toLowerCase());
      if (followedByCapital && letters.length >= 4 && (words >= 2 || index === 0)) cut = Math.max(cut, next);
      index = Math.max(index, end);
    }
    // A sentence opener, or a sentence adverb ("Exceptions Unfortunately, the plan…"), after the heading.
    for (let index = Math.max(1, cut + 1); index < Math.min(run + 1, tokens.length); index++) {
      const lower = word(index).toLowerCase();
      if (isCapitalised(index) && (SENTENCE_OPENERS.has(lower) || /^\p{Lu}\p{Ll}+ly,$/u.test(tokens[index]?.[0] ?? ''))) cut = index;
    }
    if (cut > 0 && tokens.length - cut >= 4) {
      text = text.slice(tokens[cut]?.index ?? 0);
      continue;
    }
    return text;
  }
  return text;
}

/** Whether a cleaned sentence can be part of an answer. */
export function isContentSentence(sentence: string): boolean {
  const plain = stripInline(sentence).trim();
  if (!plain || DECORATION.test(plain)) return false;
  // A document's own questions are headings or FAQ questions, never answers.
  if (/[?？]["'”’)）]*$/u.test(plain)) return false;
  if (isInstructionToAssistant(plain)) return false;
  if (hasHan(plain)) return (plain.match(/[\p{Script=Han}\p{L}\p{N}]/gu)?.length ?? 0) >= 4;
  const words = wordsOf(plain);
  if (words.length < 3 && plain.length < 12) return false;
  if (isShortLabel(plain) && hasHeadingCase(plain)) return false;
  // A heading-shaped label with a colon ("Tips For Consumers:") names what follows; alone it says nothing.
  const label = plain.replace(/\s*[:：]$/u, '');
  if (label !== plain && isShortLabel(label) && hasHeadingCase(label)) return false;
  const letters = plain.replace(/[^\p{L}]/gu, '');
  return !(letters.length >= 4 && !/\p{Ll}/u.test(letters));
}

/** Bullets flattened into one line by text extraction ("criteria: • A • B") become list lines again. */
function restoreInlineBullets(text: string): string {
  return text
    .split('\n')
    .map((line) => ((line.match(/\s•\s/g)?.length ?? 0) >= 2 || (/^\s*•\s/.test(line) && /\s•\s/.test(line)) ? line.replace(/\s+•\s+/g, '\n• ') : line))
    .join('\n');
}

/**
 * A list item's content: its sentences up to the first that is not content (text extraction can glue
 * the next heading and paragraph onto the last item of a list); '' when the item is an instruction.
 */
function itemContent(text: string): string {
  const sentences = splitSentences(text);
  const kept: string[] = [];
  for (const sentence of sentences) {
    if (stripGluedHeading(sentence) !== sentence || (kept.length > 0 && !isContentSentence(sentence))) break;
    if (isInstructionToAssistant(stripInline(sentence))) return '';
    kept.push(sentence);
  }
  return kept.length === sentences.length ? text : kept.join(hasHan(text) ? '' : ' ');
}

const PIPE_SEPARATED = /\S\s+\|\s+\S/;

/**
 * Rows written as "a | b" lines (text extraction of a table, or a plain-text table) become a pipe
 * table, the first line its header: two or more consecutive lines with the same number of cells.
 */
function restorePipeTables(text: string): string {
  const lines = text.split('\n');
  const cells = (line: string) => (PIPE_SEPARATED.test(line) && !/^\s*\|/.test(line) ? line.split(/\s+\|\s+/).length : 0);
  const out: string[] = [];
  for (let index = 0; index < lines.length; ) {
    const count = cells(lines[index] ?? '');
    let end = index;
    while (count >= 2 && end < lines.length && cells(lines[end] ?? '') === count) end++;
    if (end - index >= 2) {
      const rows = lines.slice(index, end).map((line) => `| ${line.trim().split(/\s+\|\s+/).join(' | ')} |`);
      out.push(rows[0] ?? '', `| ${Array.from({ length: count }, () => '---').join(' | ')} |`, ...rows.slice(1));
      index = end;
    } else {
      out.push(lines[index] ?? '');
      index++;
    }
  }
  return out.join('\n');
}

function headingsOf(passage: Candidate): string[] {
  return [...passage.chunk.headingPath.split(/\s*>\s*/), passage.chunk.title].map(normalizeText).filter(Boolean);
}

/**
 * An FAQ entry's answer without a copy of its own question in front (FAQ sheets often repeat it:
 * "How long do refunds take? Refunds take 5 days.").
 *
 * @example
 *   faqAnswer({ questions: 'How long do refunds take?', answer: 'How long do refunds take? 5 days.', text: '' }) // '5 days.'
 */
export function faqAnswer(chunk: Pick<Candidate['chunk'], 'questions' | 'answer' | 'text'>): string {
  const answer = (chunk.answer || chunk.text.split('\n').slice(1).join('\n')).trim();
  for (const question of chunk.questions.split('\n').map((line) => line.trim()).filter(Boolean)) {
    const key = normalizeText(question);
    // Walk the answer until its letters and digits equal the question's, then cut there.
    let seen = '';
    for (let index = 0; index < answer.length && seen.length < key.length; index++) {
      seen += normalizeText(answer[index] ?? '');
      if (seen.length === key.length && seen === key) {
        const rest = answer.slice(index + 1).replace(/^[\s?？:：.。!！\-–—]+/u, '');
        if (rest) return rest;
      }
    }
  }
  return answer;
}

/** The text a passage contributes: an FAQ entry's answer (never its question), or the chunk text. */
export function passageBody(passage: Candidate): string {
  const { chunk } = passage;
  if (chunk.kind === 'faq') return faqAnswer(chunk);
  return chunk.text;
}

function repeatedLines(bodies: readonly string[]): Set<string> {
  const counts = new Map<string, number>();
  for (const body of bodies) {
    for (const line of body.split('\n')) {
      const trimmed = line.trim();
      if (!trimmed || LIST_OR_TABLE.test(line) || !isShortLabel(trimmed)) continue;
      const normalized = normalizeText(trimmed);
      if (normalized) counts.set(normalized, (counts.get(normalized) ?? 0) + 1);
    }
  }
  return new Set([...counts].filter(([, count]) => count > 1).map(([line]) => line));
}

const INTRO_END = /[:：]["'”’)）]*$/u;

/** Paragraphs read before, by text: the same passages come back for many questions. Bounded. */
const PARAGRAPH_CACHE_LIMIT = 5_000;
const paragraphCache = new Map<string, readonly string[]>();

/** A paragraph's content sentences: split, glued headings cut, furniture, questions and instructions dropped. */
function paragraphSentences(text: string, dropLeadingFragment: boolean): string[] {
  const key = `${dropLeadingFragment ? 1 : 0}${text}`;
  let sentences = paragraphCache.get(key);
  if (!sentences) {
    const split = splitSentences(text);
    if (dropLeadingFragment && /^\p{Ll}/u.test(split[0] ?? '')) split.shift();
    sentences = split.map(stripGluedHeading).filter(isContentSentence);
    if (paragraphCache.size >= PARAGRAPH_CACHE_LIMIT) {
      const oldest = paragraphCache.keys().next().value;
      if (oldest !== undefined) paragraphCache.delete(oldest);
    }
    paragraphCache.set(key, sentences);
  }
  return [...sentences];
}

/**
 * Reads the passages as cleaned blocks. A sentence already seen in a better-ranked passage is
 * dropped from later ones (the same text twice helps nobody), and so is a repeated list or table.
 */
export function readPassages(options: { passages: readonly Candidate[] }): PassageContent[] {
  const bodies = options.passages.map((passage) => restorePipeTables(passageBody(passage)));
  const repeated = repeatedLines(bodies);
  const seen = new Set<string>();
  const once = (text: string): boolean => {
    const key = normalizeText(text);
    if (!key || seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  return options.passages.map((passage, passageIndex) => {
    const cleaned = restoreInlineBullets(removeFurniture(bodies[passageIndex] ?? '', { headings: new Set(headingsOf(passage)), repeated }));
    const blocks: ContentBlock[] = [];
    parseBlocks(cleaned).forEach((block, blockIndex) => {
      if (block.kind === 'paragraph') {
        // A chunk that starts mid-sentence ("…for any costs that…") starts with a fragment.
        const dropFirst = blockIndex === 0 && passage.chunk.kind !== 'faq';
        const sentences = paragraphSentences(block.text, dropFirst).filter(once);
        if (sentences.length > 0) blocks.push({ kind: 'paragraph', sentences });
        return;
      }
      if (block.kind === 'code') {
        if (block.text.trim() && once(block.text)) blocks.push(block);
        return;
      }
      const items = block.kind === 'list' ? block.items.flatMap((item) => {
        const text = itemContent(item.text);
        return text ? [{ ...item, text }] : [];
      }) : [];
      const rows = block.kind === 'table' ? block.rows.filter((row) => !isInstructionToAssistant(stripInline(row.join(' ')))) : [];
      const key = block.kind === 'list' ? items.map((item) => item.text).join('\n') : [block.kind === 'table' ? block.header.join('|') : '', ...rows.map((row) => row.join('|'))].join('\n');
      if ((block.kind === 'list' ? items.length : rows.length) === 0 || !once(key)) return;
      // The sentence that introduces a list or table ("…as follows:") belongs to it.
      const previous = blocks.at(-1);
      let intro: string | undefined;
      if (previous?.kind === 'paragraph' && INTRO_END.test(previous.sentences.at(-1) ?? '')) {
        intro = previous.sentences.pop();
        if (previous.sentences.length === 0) blocks.pop();
      }
      if (block.kind === 'list') blocks.push({ kind: 'list', ...(intro ? { intro } : {}), ordered: block.ordered, items });
      else if (block.kind === 'table') blocks.push({ kind: 'table', ...(intro ? { intro } : {}), header: block.header, rows });
    });
    return { passageIndex, blocks };
  });
}

/** One candidate piece of an answer, in the document's own shape. */
export interface Unit {
  kind: 'sentences' | 'list' | 'table' | 'code';
  passageIndex: number;
  /** Order of the unit's first piece within its passage (0 = the first sentence or block). */
  position: number;
  /** The sentences of a run (one per piece when streaming); for blocks, the intro sentence if any. */
  sentences: string[];
  /** The block's own Markdown (list, table or code), without its intro; '' for sentence runs. */
  block: string;
  /** Lists: numbered steps. */
  ordered: boolean;
}

export interface CutOptions {
  contents: readonly PassageContent[];
  /** How well a piece of text (a table row, a list item) matches the question; 0 when not at all. */
  relevance: (text: string) => number;
  /** Longest sentence run. */
  maxRun: number;
}

/** Table and list limits: a long table or list is never given whole. */
export const BLOCK_LIMITS = {
  /** A table with at most this many rows may be given whole when the question is about all of it. */
  smallTableRows: 8,
  /** At most this many rows of a table in one answer. */
  maxTableRows: 5,
  /** At most this many top-level items of a list in one answer. */
  maxListItems: 10,
  /** At most this many characters of one block (a list or a table) or one sentence. */
  maxBlockChars: 1200,
  maxSentenceChars: 600,
};

/** A sentence longer than the limit is cut at the last word boundary before it ("…" marks the cut). */
export function capSentence(sentence: string, limit = BLOCK_LIMITS.maxSentenceChars): string {
  if (sentence.length <= limit) return sentence;
  const head = sentence.slice(0, limit);
  const boundary = Math.max(head.lastIndexOf(' '), head.lastIndexOf('，'), head.lastIndexOf(','), head.lastIndexOf('、'));
  return `${head.slice(0, boundary > limit / 2 ? boundary : limit).replace(/[\s,，、;；:：]+$/u, '')}…`;
}

function renderList(items: readonly ListItem[], ordered: boolean): string {
  let counter = 0;
  return items
    .map((item) => {
      if (item.depth === 0) counter++;
      const marker = ordered && item.depth === 0 ? `${item.number ?? counter}.` : '-';
      return `${'  '.repeat(item.depth)}${marker} ${capSentence(item.text)}`;
    })
    .join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}

function renderTable(header: readonly string[], rows: readonly string[][]): string {
  const width = Math.max(header.length, ...rows.map((row) => row.length), 1);
  const line = (cells: readonly string[]) => `| ${Array.from({ length: width }, (_, index) => escapeCell(cells[index] ?? '')).join(' | ')} |`;
  return [line(header), `| ${Array.from({ length: width }, () => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Top-level items with their nested items. */
function groupItems(items: readonly ListItem[]): ListItem[][] {
  const groups: ListItem[][] = [];
  for (const item of items) {
    const last = groups.at(-1);
    if (item.depth > 0 && last) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

/** Keeps groups in order until a limit, preferring the relevant ones when not all fit. */
function fitGroups<T>(groups: readonly T[], options: { size: (group: T) => number; relevance: (group: T) => number; maxCount: number; maxChars: number }): T[] {
  const fits = (chosen: readonly T[]) => chosen.length <= options.maxCount && chosen.reduce((sum, group) => sum + options.size(group), 0) <= options.maxChars;
  if (fits(groups)) return [...groups];
  const scores = groups.map(options.relevance);
  const best = Math.max(0, ...scores);
  const ranked = groups.map((group, index) => ({ group, index, score: scores[index] ?? 0 }))
    .filter((entry) => best === 0 || entry.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const chosen: typeof ranked = [];
  for (const entry of ranked) if (fits([...chosen, entry].map((item) => item.group))) chosen.push(entry);
  return chosen.sort((a, b) => a.index - b.index).map((entry) => entry.group);
}

/**
 * Cuts the passages' blocks into candidate units: every run of 1..maxRun sentences of a paragraph,
 * each list whole (a long one cut to the items that match), and each table as its header with the
 * matching rows (a small table whole when no row or most rows match; a long table never whole).
 */
export function cutUnits(options: CutOptions): Unit[] {
  const units: Unit[] = [];
  for (const content of options.contents) {
    let position = 0;
    for (const block of content.blocks) {
      const base = { passageIndex: content.passageIndex, position, ordered: false, block: '' };
      if (block.kind === 'paragraph') {
        const sentences = block.sentences.map((sentence) => capSentence(sentence));
        for (let start = 0; start < sentences.length; start++) {
          for (let end = start + 1; end <= Math.min(sentences.length, start + options.maxRun); end++) {
            const run = sentences.slice(start, end);
            // A run never ends on an announcement whose list is not part of it.
            if (INTRO_END.test(run.at(-1) ?? '')) continue;
            units.push({ ...base, kind: 'sentences', position: position + start, sentences: run });
          }
        }
        position += sentences.length;
        continue;
      }
      const intro = block.kind === 'code' || !block.intro ? [] : [capSentence(block.intro)];
      if (block.kind === 'code') {
        if (block.text.length <= BLOCK_LIMITS.maxBlockChars) units.push({ ...base, kind: 'code', sentences: [], block: `\`\`\`\n${block.text}\n\`\`\`` });
      } else if (block.kind === 'list') {
        const groups = fitGroups(groupItems(block.items), {
          size: (group) => group.reduce((sum, item) => sum + item.text.length + 4, 0),
          relevance: (group) => options.relevance(group.map((item) => stripInline(item.text)).join(' ')),
          maxCount: BLOCK_LIMITS.maxListItems,
          maxChars: BLOCK_LIMITS.maxBlockChars,
        });
        if (groups.length > 0) units.push({ ...base, kind: 'list', sentences: intro, block: renderList(groups.flat(), block.ordered), ordered: block.ordered });
      } else {
        const rowText = (row: readonly string[]) => row.map((cell) => stripInline(cell)).join(' ');
        const scores = block.rows.map((row) => options.relevance(rowText(row)));
        const best = Math.max(0, ...scores);
        const matching = block.rows.filter((_, index) => best > 0 && (scores[index] ?? 0) >= 0.75 * best);
        const small = block.rows.length <= BLOCK_LIMITS.smallTableRows;
        // All rows of a small table when the question is about the table as a whole (no row or most rows match).
        const whole = small && (matching.length === 0 || matching.length > block.rows.length / 2);
        const chosen = whole ? block.rows : fitGroups(matching, { size: (row) => row.join(' ').length + 4, relevance: (row) => options.relevance(rowText(row)), maxCount: BLOCK_LIMITS.maxTableRows, maxChars: BLOCK_LIMITS.maxBlockChars });
        if (chosen.length > 0) units.push({ ...base, kind: 'table', sentences: intro, block: renderTable(block.header, chosen) });
      }
      position += 1;
    }
  }
  return units;
}

/** What stands in the prompt where a document addressed an assistant. */
export const REMOVED_INSTRUCTION = '[text addressed to an assistant removed]';

/**
 * A passage as an LLM prompt gets it: the same reading as the composer's (furniture dropped, lists and
 * tables kept as Markdown, an FAQ entry as its question and answer), with every sentence, list item or
 * table cell addressed to an assistant replaced by a marker, so such text never reaches the prompt.
 *
 * @example
 *   promptText(passage) // 'Refunds take 5 days. [text addressed to an assistant removed]'
 */
export function promptText(passage: Candidate): string {
  const clean = (text: string): string => {
    const sentences = splitSentences(text);
    if (!sentences.some((sentence) => isInstructionToAssistant(stripInline(sentence)))) return text;
    return sentences.map((sentence) => (isInstructionToAssistant(stripInline(sentence)) ? REMOVED_INSTRUCTION : sentence)).join(hasHan(text) ? '' : ' ');
  };
  const body = restoreInlineBullets(removeFurniture(restorePipeTables(passageBody(passage)), { headings: new Set(headingsOf(passage)), repeated: new Set() }));
  const blocks = parseBlocks(body).map((block) => {
    switch (block.kind) {
      case 'paragraph':
        return { ...block, text: clean(block.text) };
      case 'list':
        return { ...block, items: block.items.map((item) => ({ ...item, text: clean(item.text) })) };
      case 'table':
        return { ...block, header: block.header.map(clean), rows: block.rows.map((row) => row.map(clean)) };
      default:
        return isInstructionToAssistant(block.text) ? { kind: 'paragraph' as const, text: REMOVED_INSTRUCTION } : block;
    }
  });
  const text = renderBlocks(blocks);
  const question = passage.chunk.kind === 'faq' ? passage.chunk.questions.split('\n')[0] : undefined;
  return question ? `${clean(question)}\n\n${text}` : text;
}
