/**
 * Reading a PDF's layout: positioned text items (from pdf.js) → lines → page furniture removed →
 * headings, paragraphs, lists and tables → sections of the Markdown subset. Pure functions over the
 * items, so every rule is tested without a PDF library.
 *
 * The rules are mechanisms, never lists of phrases:
 * - **Running headers and footers**: among the three top and three bottom lines of each page, a line that
 *   recurs (digits and spaces normalised) on at least 3 pages and either 40 % of the pages with text or 3
 *   consecutive pages at the same height is furniture. Page numbers ("3", "- 3 -", "Page 3 of 40",
 *   "第3页", "iv") at those places are furniture too. An occurrence set in a larger type than the others
 *   (the same words as a cover title) stays.
 * - **Headings**: body text is the size with the most characters; a short line in a type at least 15 %
 *   larger, or of body size but wholly in another (rare) font and standing apart from the line above, is a
 *   heading. Consecutive heading lines of one style are one heading (a title over two lines). Levels come
 *   from the styles: larger type is a higher level. Headings on cover pages (pages with nothing but headings,
 *   before any body text) name the document and stay out of the heading path. A body line right after a
 *   heading that repeats a heading of the current path is dropped (a heading echoed as text).
 * - **Paragraphs** are runs of lines closer than 1.35 × the usual line spacing; wrapped lines are joined
 *   (a line-end hyphen is dropped only when the joined word occurs elsewhere in the document).
 * - **Lists**: a paragraph opening with a bullet glyph or "1." is a list item, nested by its indentation.
 * - **Tables** (conservative): at least 3 consecutive lines made of 2 or more cells (items separated by a
 *   gap of 1.5 × the type size) whose cells line up in the same columns (left, right or centre within 4 pt);
 *   a line with fewer cells just below a row continues that row's cells.
 */
import type { CleanupCounts, Section, TitleCandidate } from '../types.ts';
import { hasWords } from './shared.ts';
import { createSectionBuilder, escapeInline, escapeLineStart, tableBlock, type TableCell } from './structure.ts';

export interface PdfTextItem {
  text: string;
  /** Left edge, in PDF units (points), from the page's left. */
  x: number;
  /** Baseline, in points from the page's bottom (larger is higher on the page). */
  y: number;
  width: number;
  /** Type size in points. */
  size: number;
  /** pdf.js font id; only compared within a document. */
  font: string;
}

export interface PdfPageText {
  /** 1-based. */
  page: number;
  /** In content-stream order (the reading order pdf.js reports). */
  items: PdfTextItem[];
}

interface Segment {
  text: string;
  x: number;
  right: number;
}

export interface PdfLine {
  page: number;
  text: string;
  x: number;
  right: number;
  y: number;
  /** The size and font of most of the line's characters. */
  size: number;
  font: string;
  /** Share of the line's characters in `font`. */
  fontShare: number;
  /** Pieces separated by a wide gap: table cells, when lines line up. */
  segments: Segment[];
}

export interface PdfLayout {
  sections: Section[];
  /** Opening headings (cover page, or before the first body text), then the first heading if none. */
  headingCandidates: TitleCandidate[];
  /** The first short body line, for documents without headings. */
  firstLine?: TitleCandidate;
  cleanup: CleanupCounts;
  /** Every heading found, in order (for reports and tests). */
  headings: { text: string; level: number; page: number }[];
  tables: number;
}

const BULLET_GLYPHS = '•●▪■◦○◆◇▶►➢✓✔\u2023\u2043\uf0b7\uf0a7\uf076\uf0d8\uf0fc';
const BULLET = new RegExp(`^(?:[${BULLET_GLYPHS}]\\s*|[-–*]\\s+)(?=\\S)`, 'u');
/** A cell that is only a list marker belongs to the text after it (a bullet set apart by a tab). */
const MARKER_ONLY = new RegExp(`^(?:[${BULLET_GLYPHS}]|[-–*]|\\d{1,2}[.)])$`, 'u');
const NUMBERED = /^(\d{1,2})[.)]\s+(?=\S)/;
const SENTENCE_PUNCTUATION_END = /[,;，；、]$|(?<![A-Z][a-z]{0,3}|\d)\.$/u;
const HEADING_SIZE_RATIO = 1.15;
const PARAGRAPH_GAP = 1.35;
const CELL_GAP = 1.5;
const ALIGN_TOLERANCE = 4;
const EDGE_LINES = 3;
const MAX_HEADING_CHARACTERS = 150;
const MAX_HEADING_WORDS = 20;
const MAX_BODY_SIZE_HEADING_WORDS = 10;

const round = (value: number): number => Math.round(value * 2) / 2;

/** Groups items into lines: an item joins the line when its baseline is within half its size of the line's. */
export function itemsToLines(page: PdfPageText): PdfLine[] {
  const lines: PdfLine[] = [];
  let current: PdfTextItem[] = [];
  const close = (): void => {
    if (current.length > 0) {
      const line = buildLine(page.page, current);
      if (line) lines.push(line);
    }
    current = [];
  };
  for (const item of page.items) {
    if (!item.text) continue;
    const first = current[0];
    if (first && Math.abs(item.y - first.y) > Math.max(1.5, 0.5 * Math.min(item.size || first.size, first.size || item.size))) close();
    current.push(item);
  }
  close();
  return lines;
}

function buildLine(page: number, items: readonly PdfTextItem[]): PdfLine | undefined {
  const segments: Segment[] = [];
  let text = '';
  let segment: Segment | undefined;
  let previous: PdfTextItem | undefined;
  /** pdf.js reports the gap between two runs of a line as a space item as wide as the gap. */
  let pendingSpace = false;
  const charactersByFont = new Map<string, number>();
  const charactersBySize = new Map<number, number>();
  for (const item of items) {
    const visible = item.text.replace(/\s+/g, '').length;
    if (visible > 0) {
      charactersByFont.set(item.font, (charactersByFont.get(item.font) ?? 0) + visible);
      charactersBySize.set(round(item.size), (charactersBySize.get(round(item.size)) ?? 0) + visible);
    }
    if (!item.text.trim()) {
      pendingSpace = true;
      continue;
    }
    const gap = previous ? item.x - (previous.x + previous.width) : 0;
    const size = Math.max(item.size, previous?.size ?? 0, 1);
    if (!segment || gap > CELL_GAP * size) {
      if (segment) text += ' ';
      segment = { text: '', x: item.x, right: item.x + item.width };
      segments.push(segment);
    } else if ((pendingSpace || gap > 0.15 * size) && !/\s$/.test(segment.text) && !/^\s/.test(item.text)) {
      segment.text += ' ';
      text += ' ';
    }
    pendingSpace = false;
    segment.text += item.text;
    segment.right = Math.max(segment.right, item.x + item.width);
    text += item.text;
    previous = item;
  }
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean) return undefined;
  const [font = '', fontCharacters = 0] = [...charactersByFont.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
  const total = [...charactersByFont.values()].reduce((sum, count) => sum + count, 0);
  const size = [...charactersBySize.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? items[0]?.size ?? 0;
  const kept = segments.map((part) => ({ ...part, text: part.text.replace(/\s+/g, ' ').trim() })).filter((part) => part.text);
  const [head, second] = kept;
  if (head && second && MARKER_ONLY.test(head.text)) kept.splice(0, 2, { text: `${head.text} ${second.text}`, x: head.x, right: second.right });
  return {
    page,
    text: clean,
    x: kept[0]?.x ?? items[0]?.x ?? 0,
    right: Math.max(...kept.map((part) => part.right)),
    y: items[0]?.y ?? 0,
    size,
    font,
    fontShare: total > 0 ? fontCharacters / total : 0,
    segments: kept,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Furniture

const ROMAN = /^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$/;

/** The page number a line shows, if it is nothing but a page number in one of the usual forms. */
export function pageNumberOf(text: string): number | 'roman' | undefined {
  const line = text.replace(/\s+/g, ' ').trim();
  const patterns = [
    /^[-–—~]?\s*(\d{1,4})\s*[-–—~]?$/u,
    /^(?:page|p\.|pg\.?|seite|página|pagina)\s*(\d{1,4})(?:\s*(?:of|\/|von|de|di)\s*\d{1,4})?$/iu,
    /^(\d{1,4})\s*(?:\/|of)\s*\d{1,4}$/iu,
    /^第\s*(\d{1,4})\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$/u,
    /^(?:共\s*\d{1,4}\s*页\s*[,，]?\s*)?第\s*(\d{1,4})\s*页$/u,
    /^[[(（]\s*(\d{1,4})\s*[\])）]$/u,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(line);
    if (match?.[1]) return Number.parseInt(match[1], 10);
  }
  if (ROMAN.test(line) && line.length <= 6) return 'roman';
  return undefined;
}

/**
 * The form a running header or footer keeps from page to page: lower case, spaces collapsed, and a number
 * that could be the page's own (at most 10 below the page's position) replaced by '#'. Other numbers stay,
 * so "Section 3" heading one page is not the same line as "Section 4" on another.
 */
function furnitureKey(text: string, page: number): string {
  return text
    .toLowerCase()
    .replace(/\d+/g, (digits) => {
      const value = Number.parseInt(digits, 10);
      return value <= page && page - value <= 10 ? '#' : digits;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** The lines at the top and bottom edges of a page (highest and lowest baselines). */
function edgeLines(lines: readonly PdfLine[]): Set<PdfLine> {
  const byHeight = [...lines].sort((a, b) => b.y - a.y);
  return new Set([...byHeight.slice(0, EDGE_LINES), ...byHeight.slice(-EDGE_LINES)]);
}

/**
 * Removes running headers, footers and page numbers. Returns the pages' remaining lines and what was removed.
 *
 * @example
 *   removeFurniture(pages).counts // { repeatedLines: 40, pageNumbers: 20, … }
 */
export function removeFurniture(pages: readonly PdfLine[][]): { pages: PdfLine[][]; counts: Pick<CleanupCounts, 'repeatedLines' | 'pageNumbers'> } {
  const withText = pages.filter((lines) => lines.length > 0);
  // Rough styles, furniture included: it is a small share of any real document's text.
  const styles = measureStyles(pages);
  /**
   * Headers and footers stand apart from the text block: set smaller than body text, or separated from the
   * nearest line towards the page's middle by more than a paragraph gap. A repeated sentence inside the text
   * (the last bullet of every page of a form) runs on at normal line spacing.
   */
  const standsApart = (line: PdfLine, lines: readonly PdfLine[]): boolean => {
    if (line.size < styles.bodySize - 0.5) return true;
    const byHeight = [...lines].sort((a, b) => b.y - a.y);
    const position = byHeight.indexOf(line);
    const inner = position < byHeight.length / 2 ? byHeight[position + 1] : byHeight[position - 1];
    return !inner || Math.abs(inner.y - line.y) > PARAGRAPH_GAP * styles.lineSpacing;
  };
  const edges = pages.map(edgeLines);
  const occurrences = new Map<string, { pageIndex: number; line: PdfLine }[]>();
  pages.forEach((lines, pageIndex) => {
    const seenHere = new Set<string>();
    for (const line of edges[pageIndex] ?? []) {
      // Table rows (a header row repeated on each page a table continues on, a template's last rows) are content.
      const position = lines.indexOf(line);
      const neighbours = [lines[position - 1], lines[position + 1]];
      if (line.segments.length >= 2 && neighbours.some((neighbour) => (neighbour?.segments.length ?? 0) >= 2)) continue;
      const key = furnitureKey(line.text, line.page);
      if (!hasWords(key) && !/#/.test(key)) continue;
      if (seenHere.has(key)) continue;
      seenHere.add(key);
      const list = occurrences.get(key) ?? [];
      list.push({ pageIndex, line });
      occurrences.set(key, list);
    }
  });

  const furniture = new Set<PdfLine>();
  let repeatedLines = 0;
  const share = Math.max(3, Math.ceil(0.4 * withText.length));
  for (const list of occurrences.values()) {
    if (list.length < 3) continue;
    let repeated = list.length >= share;
    if (!repeated) {
      // Three consecutive pages with the line at the same height: a header of one chapter.
      let run = 1;
      for (let index = 1; index < list.length && !repeated; index++) {
        const previous = list[index - 1];
        const current = list[index];
        const consecutive = previous && current && current.pageIndex === previous.pageIndex + 1 && Math.abs(current.line.y - previous.line.y) <= 2;
        run = consecutive ? run + 1 : 1;
        if (run >= 3) repeated = true;
      }
    }
    if (!repeated) continue;
    if (list.filter(({ pageIndex, line }) => standsApart(line, pages[pageIndex] ?? [])).length * 2 < list.length) continue;
    const sizes = list.map((entry) => entry.line.size).sort((a, b) => a - b);
    const usual = sizes[Math.floor(sizes.length / 2)] ?? 0;
    for (const { line } of list) {
      // The same words in a clearly larger type (a cover title) are not the running header.
      if (line.size >= usual * HEADING_SIZE_RATIO) continue;
      furniture.add(line);
      repeatedLines++;
    }
  }

  let pageNumbers = 0;
  pages.forEach((lines, pageIndex) => {
    for (const line of edges[pageIndex] ?? []) {
      if (furniture.has(line)) continue;
      const number = pageNumberOf(line.text);
      // A bare number is a page number when it is near the page's position (covers and front matter shift it).
      const physical = (lines[0]?.page ?? pageIndex + 1);
      if (number === undefined) continue;
      if (typeof number === 'number' && !(number <= physical && physical - number <= 10) && !/[^\d\s]/.test(line.text.trim())) continue;
      furniture.add(line);
      pageNumbers++;
    }
  });
  return { pages: pages.map((lines) => lines.filter((line) => !furniture.has(line))), counts: { repeatedLines, pageNumbers } };
}

// ---------------------------------------------------------------------------------------------------------
// Styles and headings

interface Styles {
  bodySize: number;
  /** Body font per page index (the font of most body-size characters there, else of the document). */
  bodyFont: (page: number) => string;
  /** Share of all body-size characters set in a font. */
  fontShare: (font: string) => number;
  /** Usual distance between the baselines of two lines of one paragraph. */
  lineSpacing: number;
}

function measureStyles(pages: readonly PdfLine[][]): Styles {
  const bySize = new Map<number, number>();
  for (const line of pages.flat()) bySize.set(round(line.size), (bySize.get(round(line.size)) ?? 0) + line.text.length);
  const bodySize = [...bySize.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 10;
  const isBody = (line: PdfLine) => Math.abs(line.size - bodySize) <= 0.5;
  const documentFonts = new Map<string, number>();
  const pageFonts = new Map<number, Map<string, number>>();
  for (const line of pages.flat()) {
    if (!isBody(line)) continue;
    documentFonts.set(line.font, (documentFonts.get(line.font) ?? 0) + line.text.length);
    const fonts = pageFonts.get(line.page) ?? new Map<string, number>();
    fonts.set(line.font, (fonts.get(line.font) ?? 0) + line.text.length);
    pageFonts.set(line.page, fonts);
  }
  const top = (fonts: Map<string, number> | undefined) => [...(fonts ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1])[0];
  const documentFont = top(documentFonts)?.[0] ?? '';
  const totalBody = [...documentFonts.values()].reduce((sum, count) => sum + count, 0) || 1;
  const gaps: number[] = [];
  for (const lines of pages) {
    for (let index = 1; index < lines.length; index++) {
      const previous = lines[index - 1];
      const line = lines[index];
      if (!previous || !line || !isBody(previous) || !isBody(line)) continue;
      const gap = previous.y - line.y;
      if (gap > 0 && gap < 3 * bodySize) gaps.push(gap);
    }
  }
  gaps.sort((a, b) => a - b);
  // The lower quartile: lines of one paragraph are the closest pairs (few-line documents have as many
  // paragraph gaps as line gaps). Clamped to what type is set at: 1 to 1.6 times its size.
  const lineSpacing = Math.min(Math.max(gaps[Math.floor(gaps.length / 4)] ?? bodySize * 1.25, bodySize), bodySize * 1.6);
  return {
    bodySize,
    bodyFont: (page) => {
      const best = top(pageFonts.get(page));
      // A page with little body text (a cover, a chart) uses the document's body font.
      const count = [...(pageFonts.get(page)?.values() ?? [])].reduce((sum, value) => sum + value, 0);
      return best && count >= 200 ? best[0] : documentFont;
    },
    fontShare: (font) => (documentFonts.get(font) ?? 0) / totalBody,
    lineSpacing,
  };
}

function looksLikeHeadingText(line: PdfLine): boolean {
  const words = line.text.split(/\s+/).length;
  return (
    hasWords(line.text) &&
    line.text.length <= MAX_HEADING_CHARACTERS &&
    words <= MAX_HEADING_WORDS &&
    line.segments.length === 1 &&
    !BULLET.test(line.text) &&
    !SENTENCE_PUNCTUATION_END.test(line.text)
  );
}

type Kind = 'heading' | 'body';

function classify(line: PdfLine, previous: PdfLine | undefined, previousKind: Kind | undefined, styles: Styles): Kind {
  if (!looksLikeHeadingText(line)) return 'body';
  if (line.size >= styles.bodySize * HEADING_SIZE_RATIO) return 'heading';
  if (Math.abs(line.size - styles.bodySize) > 0.5) return 'body';
  const otherFont = line.font !== styles.bodyFont(line.page) && line.fontShare >= 0.9 && styles.fontShare(line.font) < 0.2;
  // In body size the font alone is weak evidence (a subset of the body face can carry a whole line): the line
  // must also be short and hold no sentence end, as headings do.
  if (!otherFont || line.text.split(/\s+/).length > MAX_BODY_SIZE_HEADING_WORDS || /[.!?。！？]\s+\S/u.test(line.text)) return 'body';
  const apart = !previous || previous.page !== line.page || previousKind === 'heading' || previous.y - line.y > PARAGRAPH_GAP * styles.lineSpacing;
  return apart ? 'heading' : 'body';
}

/** A style key: size, and for body-size headings the fact that the font differs. */
function styleKey(line: PdfLine, styles: Styles): string {
  return `${round(line.size)}${Math.abs(line.size - styles.bodySize) <= 0.5 ? '~' : ''}`;
}

// ---------------------------------------------------------------------------------------------------------
// Paragraph text

/** Lower-case words of a text, for deciding line-end hyphens. */
export function vocabularyOf(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/\p{L}+/gu) ?? []);
}

const HAN_OR_CJK_PUNCTUATION = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u;

/**
 * Joins the wrapped lines of one paragraph. A hyphen at a line end is dropped when the joined word occurs
 * elsewhere in the document ("pro-" + "cessed" when "processed" is used), kept otherwise ("out-" +
 * "of-pocket"); two Chinese characters join without a space.
 *
 * @example
 *   joinWrappedLines(['Refunds are pro-', 'cessed quickly.'], new Set(['processed'])) // 'Refunds are processed quickly.'
 */
export function joinWrappedLines(lines: readonly string[], vocabulary: ReadonlySet<string> = new Set()): string {
  let result = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (!result) {
      result = line;
      continue;
    }
    const previous = result.at(-1) ?? '';
    const next = line[0] ?? '';
    const hyphenated = /(\p{L}+)-$/u.exec(result);
    if (hyphenated && /\p{Ll}/u.test(next)) {
      const joined = `${hyphenated[1] ?? ''}${/^\p{L}+/u.exec(line)?.[0] ?? ''}`.toLowerCase();
      result = vocabulary.has(joined) ? result.slice(0, -1) + line : result + line;
    } else if (HAN_OR_CJK_PUNCTUATION.test(previous) && /\p{Script=Han}/u.test(next)) result += line;
    else result += ` ${line}`;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Tables

interface TableRun {
  rows: TableCell[][];
  /** Lines used, so the caller skips them. */
  length: number;
}

/** Finds the columns of a run of multi-cell lines and maps each line's cells onto them; undefined when they do not line up. */
function alignTable(lines: readonly PdfLine[], styles: Styles): TableRun | undefined {
  const full = Math.max(...lines.map((line) => line.segments.length));
  const template = lines.find((line) => line.segments.length === full);
  if (!template || full < 2) return undefined;
  const columns = template.segments.map((segment) => ({ left: segment.x, right: segment.right, centre: (segment.x + segment.right) / 2 }));
  const columnOf = (segment: Segment): number => {
    const centre = (segment.x + segment.right) / 2;
    let best = -1;
    columns.forEach((column, index) => {
      if (best >= 0) return;
      if (Math.abs(column.left - segment.x) <= ALIGN_TOLERANCE || Math.abs(column.right - segment.right) <= ALIGN_TOLERANCE || Math.abs(column.centre - centre) <= ALIGN_TOLERANCE) best = index;
    });
    return best;
  };
  const rows: TableCell[][] = [];
  let previous: PdfLine | undefined;
  for (const line of lines) {
    const mapped = line.segments.map((segment) => ({ segment, column: columnOf(segment) }));
    if (mapped.some((entry) => entry.column < 0)) return undefined;
    const used = new Set(mapped.map((entry) => entry.column));
    if (used.size !== mapped.length) return undefined;
    const cells: TableCell[] = columns.map(() => ({ text: '' }));
    for (const { segment, column } of mapped) cells[column] = { text: escapeInline(segment.text) };
    const close = previous && previous.y - line.y <= 1.2 * styles.lineSpacing;
    const last = rows.at(-1);
    if (last && close && mapped.length < full) {
      // A wrapped cell: its next line joins the row above.
      for (const { segment, column } of mapped) {
        const cell = last[column];
        if (cell) cell.text = cell.text ? `${cell.text} ${escapeInline(segment.text)}` : escapeInline(segment.text);
      }
    } else {
      rows.push(cells);
    }
    previous = line;
  }
  const complete = rows.filter((row) => row.filter((cell) => cell.text).length === full).length;
  if (rows.length < 3 || complete < Math.ceil((rows.length * 2) / 3)) return undefined;
  // A first row in another font or size than the rows below is the header.
  const first = lines[0];
  const second = lines[1];
  if (first && second && (first.font !== second.font || Math.abs(first.size - second.size) > 0.5)) rows[0] = (rows[0] ?? []).map((cell) => ({ ...cell, header: true }));
  return { rows, length: lines.length };
}

/** The longest run of table lines starting at `start` (lines of one page, close together, most of them with 2+ cells). */
function tableAt(lines: readonly PdfLine[], start: number, styles: Styles): TableRun | undefined {
  const first = lines[start];
  if (!first || first.segments.length < 2) return undefined;
  let end = start + 1;
  while (end < lines.length) {
    const line = lines[end];
    const previous = lines[end - 1];
    if (!line || !previous || line.page !== first.page || previous.y - line.y > 2.5 * styles.lineSpacing || previous.y <= line.y) break;
    // A single-cell line continues the run only as a wrapped cell directly below a row.
    if (line.segments.length < 2 && previous.y - line.y > 1.2 * styles.lineSpacing) break;
    end++;
  }
  // Shrink from the end until the lines line up (a paragraph right after a table is not part of it).
  for (let stop = end; stop - start >= 3; stop--) {
    const aligned = alignTable(lines.slice(start, stop), styles);
    if (aligned) return aligned;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The whole document

const MAX_LABEL_WORDS = 8;

/**
 * A label: a short line standing alone in body type that heads the text below it ("Premiums", "Tips for
 * Managing Your Costs", "Company Values:", "How do I return an item?"); it is kept in bold. It starts with a capital, a digit or a
 * Chinese character, ends without sentence punctuation (a closing colon or question mark is fine), holds no
 * "key: value" pair, and most of its longer words are capitalised (a sentence cut short is not a label).
 */
export function isLabel(text: string): boolean {
  const line = text.trim();
  const words = line.split(/\s+/);
  if (!line || words.length > MAX_LABEL_WORDS || line.length > 80) return false;
  if (!/^[\p{Lu}\p{N}\p{Script=Han}]/u.test(line) || /[.,;!。，；！]$/u.test(line) || /[:：]\s*\S/u.test(line)) return false;
  if (/\p{Script=Han}/u.test(line)) return true;
  const long = words.filter((word) => /^\p{L}{4,}/u.test(word));
  return long.length === 0 || long.filter((word) => /^\p{Lu}/u.test(word)).length * 2 >= long.length;
}

function normalised(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * True when a line only repeats headings of the current path: one of them, or several in a row
 * ("IMPORTANT PLAN INFORMATION: Out-of-Pocket Maximum" under "IMPORTANT PLAN INFORMATION > Out-Of-Pocket Maximum").
 */
export function echoesHeadings(text: string, path: readonly string[]): boolean {
  const line = normalised(text);
  if (!line) return false;
  const parts = path.map(normalised);
  for (let start = 0; start < parts.length; start++) {
    for (let end = start + 1; end <= parts.length; end++) {
      if (parts.slice(start, end).join(' ') === line) return true;
    }
  }
  return false;
}

/**
 * Turns the text items of a PDF's pages into sections of the Markdown subset, without page furniture.
 *
 * @example
 *   const layout = layoutPdf([{ page: 1, items }]);
 *   layout.sections[0] // { text: '…', headingPath: ['Returns'], page: 1 }
 */
export function layoutPdf(pagesText: readonly PdfPageText[]): PdfLayout {
  const rawPages = pagesText.map(itemsToLines);
  const { pages, counts } = removeFurniture(rawPages);
  const styles = measureStyles(pages);
  const vocabulary = vocabularyOf(pages.flat().map((line) => line.text).join(' '));
  const builder = createSectionBuilder();
  const cleanup: CleanupCounts = { ...counts, decorationLines: 0, headingEchoes: 0 };

  // Pass 1: kinds, with consecutive heading lines of one style merged.
  interface Entry {
    kind: Kind;
    lines: PdfLine[];
  }
  const entries: Entry[][] = pages.map((lines) => {
    const result: Entry[] = [];
    let previous: PdfLine | undefined;
    let previousKind: Kind | undefined;
    for (const line of lines) {
      const kind = classify(line, previous, previousKind, styles);
      const last = result.at(-1);
      const lastLine = last?.lines.at(-1);
      if (kind === 'heading' && last?.kind === 'heading' && lastLine && styleKey(lastLine, styles) === styleKey(line, styles) && lastLine.font === line.font && lastLine.y - line.y <= 1.8 * line.size && last.lines.length < 3) {
        last.lines.push(line);
      } else {
        result.push({ kind, lines: [line] });
      }
      previous = line;
      previousKind = kind;
    }
    return result;
  });

  // Heading levels: larger type first; a body-size heading after every larger one.
  const headingStyles = new Map<string, number>();
  for (const entry of entries.flat()) {
    const line = entry.lines[0];
    if (entry.kind === 'heading' && line) headingStyles.set(styleKey(line, styles), line.size - (styleKey(line, styles).endsWith('~') ? 0.25 : 0));
  }
  const levels = new Map([...headingStyles.entries()].sort((a, b) => b[1] - a[1]).map(([key], index) => [key, index + 1]));

  const opening: TitleCandidate[] = [];
  const headings: PdfLayout['headings'] = [];
  let bodySeen = false;
  let firstLine: TitleCandidate | undefined;
  let tables = 0;

  entries.forEach((pageEntries, pageIndex) => {
    const pageNumber = pagesText[pageIndex]?.page ?? pageIndex + 1;
    builder.page(pageNumber);
    const cover = !bodySeen && pageEntries.every((entry) => entry.kind === 'heading');
    // Lines right after a heading that only repeat a heading of the path are echoes.
    let afterHeading = false;
    let paragraph: PdfLine[] = [];
    let item: { depth: number; ordered: boolean; number?: number; lines: string[] } | undefined;
    const bulletIndents: number[] = [];

    /** `label`: more text follows, so a one-line paragraph here may be a label. */
    const endParagraph = (label = false): void => {
      if (paragraph.length > 0) {
        const text = joinWrappedLines(paragraph.map((line) => line.text), vocabulary);
        // A label stays in the text, marked bold: it reads as the label it is, never as a sentence, and the
        // passage it heads stays one chunk (a heading would cut it into many small ones).
        builder.paragraph(label && paragraph.length === 1 && isLabel(text) ? `**${escapeInline(text)}**` : escapeLineStart(escapeInline(text)));
        if (!firstLine && text.length <= 80 && !/[.。!！?？;；:：,，]$/u.test(text)) firstLine = { text, source: 'first-line' };
        bodySeen = true;
      }
      paragraph = [];
    };
    const endItem = (): void => {
      if (item) {
        builder.listItem({ text: escapeInline(joinWrappedLines(item.lines, vocabulary)), depth: item.depth, ordered: item.ordered, ...(item.number === undefined ? {} : { number: item.number }) });
        bodySeen = true;
      }
      item = undefined;
    };

    const bodyLines = pageEntries.flatMap((entry) => (entry.kind === 'body' ? entry.lines.map((line) => ({ line })) : []));
    // Position of the body line after each body line.
    const bodyIndex = new Map(bodyLines.map((entry, index) => [entry.line, index + 1]));
    const skip = new Set<PdfLine>();
    const tableStarts = new Map<PdfLine, TableRun>();
    // Tables are looked for among runs of body lines.
    for (let index = 0; index < bodyLines.length; index++) {
      const candidate = bodyLines[index]?.line;
      if (!candidate || skip.has(candidate) || candidate.segments.length < 2) continue;
      const run = tableAt(bodyLines.map((entry) => entry.line), index, styles);
      if (!run) continue;
      tableStarts.set(candidate, run);
      for (let offset = 0; offset < run.length; offset++) {
        const line = bodyLines[index + offset]?.line;
        if (line) skip.add(line);
      }
      index += run.length - 1;
    }

    let previous: PdfLine | undefined;
    for (const entry of pageEntries) {
      if (entry.kind === 'heading') {
        endParagraph();
        endItem();
        const text = entry.lines.map((line) => line.text).join(' ');
        const first = entry.lines[0] as PdfLine;
        if (cover || !bodySeen) opening.push({ text, source: 'heading' });
        if (!cover) builder.heading({ level: levels.get(styleKey(first, styles)) ?? 1, text });
        headings.push({ text, level: levels.get(styleKey(first, styles)) ?? 1, page: pageNumber });
        afterHeading = true;
        previous = entry.lines.at(-1);
        continue;
      }
      for (const line of entry.lines) {
        const run = tableStarts.get(line);
        if (run) {
          endParagraph(true);
          endItem();
          const block = tableBlock(run.rows);
          if (block) {
            builder.block(block);
            tables++;
          }
          bodySeen = true;
          afterHeading = false;
          previous = line;
          continue;
        }
        if (skip.has(line)) {
          previous = line;
          continue;
        }
        const gap = previous && previous.page === line.page ? previous.y - line.y : Number.POSITIVE_INFINITY;
        const newBlock = gap > PARAGRAPH_GAP * styles.lineSpacing || gap < 0;
        if (afterHeading && echoesHeadings(line.text, builder.headingPath())) {
          const next = bodyLines[bodyIndex.get(line) ?? -1]?.line;
          // Only a line standing alone: a sentence that merely starts with the heading's words stays.
          if (!next || line.y - next.y > PARAGRAPH_GAP * styles.lineSpacing || normalised(next.text) === normalised(line.text) || echoesHeadings(next.text, builder.headingPath())) {
            cleanup.headingEchoes++;
            previous = line;
            continue;
          }
        }
        afterHeading = false;
        const bullet = BULLET.exec(line.text);
        const numbered = NUMBERED.exec(line.text);
        if ((bullet || numbered) && (newBlock || paragraph.length === 0 || item)) {
          endParagraph(true);
          endItem();
          while (bulletIndents.length > 0 && (bulletIndents.at(-1) ?? 0) > line.x + ALIGN_TOLERANCE) bulletIndents.pop();
          if (bulletIndents.length === 0 || (bulletIndents.at(-1) ?? 0) < line.x - ALIGN_TOLERANCE) bulletIndents.push(line.x);
          const marker = bullet ?? numbered;
          const number = numbered ? Number.parseInt(numbered[1] ?? '1', 10) : undefined;
          item = { depth: bulletIndents.length - 1, ordered: number !== undefined, lines: [line.text.slice(marker?.[0].length ?? 0)], ...(number === undefined ? {} : { number }) };
        } else if (item && !newBlock) {
          item.lines.push(line.text);
        } else {
          endItem();
          if (newBlock) endParagraph(true);
          if (newBlock && paragraph.length === 0) bulletIndents.length = 0;
          paragraph.push(line);
        }
        previous = line;
      }
    }
    // A label on the last line of a page heads the next page's text; on the last page it is text.
    endParagraph(pageIndex < entries.length - 1);
    endItem();
  });

  const headingCandidates = opening.length > 0 ? opening.slice(0, 3) : headings.slice(0, 1).map((heading) => ({ text: heading.text, source: 'heading' as const }));
  return { sections: builder.sections(), headingCandidates, ...(firstLine && headings.length === 0 ? { firstLine } : {}), cleanup, headings, tables };
}
