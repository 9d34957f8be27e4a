/**
 * Headings and page furniture read from the raw corpus, independently of kefu's own ingestion, so
 * the evaluation can tell when an answer quotes a heading or a running page header as if it were
 * content (`headingShare`, which should be 0).
 *
 * Where headings come from:
 * - Markdown: `#` headings and setext headings (a line underlined with `===` / `---`);
 * - HTML and DOCX (through mammoth's HTML): `h1`–`h6` and the page `<title>`;
 * - plain text: setext headings and a short first line standing alone (a title);
 * - PDF: the outline (bookmarks) when it has one; lines that recur on at least a quarter of the
 *   pages (running headers and footers, digits generalised so "Page 3 of 40" is one line); and,
 *   because PDFs rarely mark headings, lines with the shapes headings take in a page's text: a line
 *   repeated within the next three lines (word processors print headings twice), an upper-case
 *   line, "SECTION: Topic" lines, and title-like lines (capitalised, no closing punctuation, at most
 *   eight words) found on three or more pages.
 *
 * @example
 *   const furniture = pdfFurniture({ pages: ['COVERED SERVICES\nAcupuncture\nAt Contoso, ...', ...] });
 *   findHeading('COVERED SERVICES Acupuncture At Contoso we cover it.', furniture) // 'COVERED SERVICES'
 */
import { parse } from 'node-html-parser';
import { hasHan, splitSentences } from '../src/text/index.ts';

export interface Furniture {
  /** Heading texts, whitespace collapsed. */
  headings: string[];
  /** Lines recurring across many pages of one PDF; `#` stands for any number. */
  runningLines: string[];
}

/** Bump when a rule below changes: cached catalogues are then read again. */
export const FURNITURE_VERSION = 3;

export const EMPTY_FURNITURE: Furniture = { headings: [], runningLines: [] };

const MAX_HEADING_WORDS = 12;

function clean(line: string): string {
  return line.replace(/\s+/g, ' ').trim();
}

const MAX_HAN_HEADING_CHARS = 40;

function usable(heading: string): boolean {
  const letters = heading.replace(/[^\p{L}]/gu, '');
  if (hasHan(heading)) return letters.length >= 2 && heading.length <= MAX_HAN_HEADING_CHARS;
  return letters.length >= 3 && heading.split(' ').length <= MAX_HEADING_WORDS;
}

function unique(lines: Iterable<string>): string[] {
  return [...new Set([...lines].map(clean).filter(usable))];
}

const SETEXT_UNDERLINE = /^\s*(=+|-+)\s*$/;

/** `# Heading` lines and setext headings. */
export function markdownHeadings(markdown: string): string[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const headings: string[] = [];
  let fenced = false;
  lines.forEach((line, index) => {
    if (/^\s{0,3}(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) return;
    const atx = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (atx?.[1]) headings.push(atx[1].replace(/[*_`]/g, ''));
    const next = lines[index + 1] ?? '';
    if (line.trim() && !/^\s*[-*+|>]/.test(line) && SETEXT_UNDERLINE.test(next) && next.trim().length >= 3) headings.push(line);
  });
  return unique(headings);
}

/** `h1`–`h6` and `<title>` of an HTML page. */
export function htmlHeadings(html: string): string[] {
  const root = parse(html, { comment: false, blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  return unique(root.querySelectorAll('h1, h2, h3, h4, h5, h6, title').map((element) => element.text));
}

/** Setext headings, and a short first line that stands alone (the title of a text file). */
export function textHeadings(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const headings = markdownHeadings(text);
  const firstIndex = lines.findIndex((line) => line.trim() !== '');
  const first = lines[firstIndex] ?? '';
  if (first && (lines[firstIndex + 1] ?? '').trim() === '' && !/[.!?。！？:：;；,，]$/.test(first.trim())) headings.push(first);
  return unique(headings);
}

const RUNNING_SHARE = 0.25;
const REPEAT_WINDOW = 3;
const MIN_PAGES = 3;

function generaliseDigits(line: string): string {
  return line.replace(/\d+/g, '#');
}

/** An upper-case line that reads like a heading (not a wrapped "(MHPAEA)." fragment). */
function upperCaseLine(line: string): boolean {
  const letters = line.replace(/[^\p{L}]/gu, '');
  return letters.length >= 4 && /^\p{Lu}/u.test(line) && !/\p{Ll}/u.test(letters) && !/[.,;]$/.test(line);
}

/** Upper-case headings of several words are found anywhere in an answer; single words may be acronyms (COBRA). */
function upperCasePhrase(heading: string): boolean {
  return upperCaseLine(heading) && heading.includes(' ') && heading.replace(/[^\p{L}]/gu, '').length >= 8;
}

/** Capitalised, no sentence ending, short: how a heading looks (a question mark or colon may end one). */
function headingShaped(line: string): boolean {
  return /^[\p{Lu}\p{Script=Han}\d]/u.test(line) && !/[.,;。，；]$/u.test(line) && line.split(' ').length <= 10;
}

function titleLike(line: string): boolean {
  return /^[\p{Lu}\p{Script=Han}]/u.test(line) && !/[.,;:!?。，；：！？]$/u.test(line) && line.split(' ').length <= 8;
}

/** Headings and running lines of a PDF from its page texts (and outline titles when it has any). */
export function pdfFurniture(options: { pages: string[]; outline?: string[] }): Furniture {
  const { pages } = options;
  const headings: string[] = [...(options.outline ?? [])];
  const pagesWith = new Map<string, number>();
  for (const page of pages) {
    const lines = page.split('\n').map(clean).filter(Boolean);
    for (const line of new Set(lines.map(generaliseDigits))) pagesWith.set(line, (pagesWith.get(line) ?? 0) + 1);
    lines.forEach((line, index) => {
      // PDFs from word processors often print a heading twice (text and bookmark layer): "A, B, A, B"
      if (headingShaped(line) && lines.slice(index + 1, index + 1 + REPEAT_WINDOW).includes(line)) headings.push(line);
      if (upperCaseLine(line)) headings.push(line);
      const section = /^(.+?):\s*(.+)$/.exec(line);
      if (section?.[1] && upperCaseLine(section[1]) && lines.slice(Math.max(0, index - 3), index).includes(section[1])) headings.push(line, section[2] ?? '');
    });
  }
  const runningLimit = Math.max(MIN_PAGES, Math.ceil(pages.length * RUNNING_SHARE));
  const runningLines: string[] = [];
  for (const [line, count] of pagesWith) {
    if (count >= runningLimit && (line.includes(' ') || hasHan(line) || line.includes('#'))) runningLines.push(line);
    else if (count >= MIN_PAGES && titleLike(line) && !line.includes('#')) headings.push(line);
  }
  return { headings: unique(headings), runningLines: [...new Set(runningLines)] };
}

/** Merges the furniture of several documents. */
export function mergeFurniture(parts: Furniture[]): Furniture {
  return {
    headings: [...new Set(parts.flatMap((part) => part.headings))],
    runningLines: [...new Set(parts.flatMap((part) => part.runningLines))],
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stripEnd(text: string): string {
  return text.replace(/[\s:：.。?？!！;；,，]+$/u, '');
}

/** Prepared matchers, so a run checks thousands of answers against one corpus cheaply. */
export interface HeadingMatcher {
  find(answer: string): string | undefined;
}

/**
 * Finds a heading or a running line used as a sentence of an answer (plain text): a sentence or line
 * that is a heading; one that starts with a heading glued to what follows (an English heading
 * followed by a capitalised word, a Chinese one by a space); an upper-case heading of several words
 * anywhere; a running header or footer anywhere.
 */
export function headingMatcher(furniture: Furniture): HeadingMatcher {
  const exact = new Map(furniture.headings.map((heading) => [stripEnd(heading).toLowerCase(), heading]));
  const prefixes = furniture.headings.map((heading) => ({ heading, pattern: new RegExp(`^${escapeRegExp(heading)}${hasHan(heading) ? '\\s+\\S' : '\\s+[\\p{Lu}\\d]'}`, 'u') }));
  const upper = furniture.headings.filter(upperCasePhrase).map((heading) => ({ heading, pattern: new RegExp(`(?<![\\p{L}])${escapeRegExp(heading)}(?![\\p{L}])`, 'u') }));
  const running = furniture.runningLines.map((line) => ({ heading: line, pattern: new RegExp(escapeRegExp(line).replace(/#/g, '\\d+'), 'u') }));
  return {
    find(answer) {
      const pieces = answer.split('\n').flatMap((line) => splitSentences(line.replace(/^\s*(?:[-*]|\d+\.)\s+/, '')));
      for (const piece of pieces) {
        const sentence = clean(piece);
        const whole = exact.get(stripEnd(sentence).toLowerCase());
        if (whole) return whole;
        for (const { heading, pattern } of prefixes) if (pattern.test(sentence)) return heading;
      }
      const text = clean(answer);
      for (const { heading, pattern } of [...upper, ...running]) if (pattern.test(text)) return heading;
      return undefined;
    },
  };
}
