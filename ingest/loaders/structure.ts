/**
 * Building blocks the loaders share to write a document as sections of the Markdown subset
 * (`src/text/markdown.ts`): a section builder that keeps the heading path and merges list items into
 * lists, table normalisation (merged cells, a missing header row) and escaping of literal text so it
 * never turns into markup.
 *
 * @example
 *   const builder = createSectionBuilder();
 *   builder.heading({ level: 1, text: 'Returns' });
 *   builder.paragraph('You have 30 days.');
 *   builder.listItem({ text: 'Keep the receipt.', depth: 0, ordered: true });
 *   builder.sections() // [{ text: 'You have 30 days.\n\n1. Keep the receipt.', headingPath: ['Returns'] }]
 */
import { renderBlocks, type Block, type ListItem } from '../../src/text/markdown.ts';
import type { Section } from '../types.ts';
import { hasWords } from './shared.ts';

type ListBlock = Extract<Block, { kind: 'list' }>;

export interface HeadingSeen {
  level: number;
  text: string;
  /** True when no body text came before this heading (the headings that open a document: its title block). */
  opening: boolean;
}

export interface SectionBuilder {
  /** Closes the current section and sets the heading path: headings of this level or deeper are replaced. */
  heading(options: { level: number; text: string }): void;
  /** A paragraph of inline Markdown (already escaped). */
  paragraph(text: string): void;
  /** One list item; consecutive items form one list, nested by `depth`. */
  listItem(options: { text: string; depth: number; ordered: boolean; number?: number }): void;
  /** Any other block (table, code). */
  block(block: Block): void;
  /** A new page (paged formats): the current section ends, the heading path goes on. */
  page(page: number): void;
  /** The current heading path, outermost first. */
  headingPath(): string[];
  sections(): Section[];
  headings(): HeadingSeen[];
}

/** Heading text as it goes into a heading path: one line, spaces collapsed. */
export function cleanHeading(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function createSectionBuilder(): SectionBuilder {
  const sections: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  const seen: HeadingSeen[] = [];
  let blocks: Block[] = [];
  let list: ListBlock | undefined;
  let page: number | undefined;
  let bodySeen = false;

  const closeList = (): void => {
    if (list && list.items.length > 0) blocks.push(list);
    list = undefined;
  };
  const flush = (): void => {
    closeList();
    const kept = blocks.filter((block) => hasWords(block.kind === 'table' ? [...block.header, ...block.rows.flat()].join(' ') : block.kind === 'list' ? block.items.map((item) => item.text).join(' ') : block.text));
    blocks = [];
    if (kept.length === 0) return;
    sections.push({ text: renderBlocks(kept), headingPath: stack.map((heading) => heading.text), ...(page === undefined ? {} : { page }) });
  };
  const body = (): void => {
    bodySeen = true;
  };

  return {
    heading({ level, text }) {
      const clean = cleanHeading(text);
      if (!hasWords(clean)) return;
      flush();
      while (stack.length > 0 && (stack.at(-1)?.level ?? 0) >= level) stack.pop();
      stack.push({ level, text: clean });
      seen.push({ level, text: clean, opening: !bodySeen });
    },
    paragraph(text) {
      if (!hasWords(text)) return;
      closeList();
      blocks.push({ kind: 'paragraph', text: text.trim() });
      body();
    },
    listItem({ text, depth, ordered, number }) {
      if (!hasWords(text)) return;
      if (list && list.ordered !== ordered && depth === 0) closeList();
      if (!list) list = { kind: 'list', ordered, items: [] };
      // An item can be at most one level deeper than the one before it.
      const deepest = (list.items.at(-1)?.depth ?? -1) + 1;
      const item: ListItem = { text: text.trim(), depth: Math.max(0, Math.min(depth, deepest)) };
      if (ordered && number !== undefined) item.number = number;
      list.items.push(item);
      body();
    },
    block(block) {
      closeList();
      blocks.push(block);
      body();
    },
    page(next) {
      flush();
      page = next;
    },
    headingPath() {
      return stack.map((heading) => heading.text);
    },
    sections() {
      flush();
      return sections;
    },
    headings() {
      return seen;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Escaping: text read from a document is literal; in chunk text it must not turn into markup.

const LINE_START_MARKUP = /^(\s*)(?:([-*+•])(?=\s)|(\d{1,3})([.)])(?=\s)|(\|)|(`{3,}|~{3,}))/u;

/**
 * Escapes literal text for the inside of a paragraph, list item or table cell: `**`, `__`, backticks and
 * link syntax `](` lose their meaning (so `[x](javascript:…)` in a text file stays inert text).
 *
 * @example
 *   escapeInline('Use **kwargs or [x](javascript:alert(1))') // 'Use \\*\\*kwargs or [x]\\(javascript:alert(1))'
 */
export function escapeInline(text: string): string {
  return text
    .replace(/\\(?=[\\`*_[\]()|#+\-.!])/g, '\\\\')
    .replace(/\*\*/g, '\\*\\*')
    .replace(/__/g, '\\_\\_')
    .replace(/`/g, '\\`')
    .replace(/\]\(/g, ']\\(');
}

/** Escapes a line that would otherwise start a list item, a table row or a code fence. */
export function escapeLineStart(line: string): string {
  const match = LINE_START_MARKUP.exec(line);
  if (!match) return line;
  const indent = match[1] ?? '';
  const rest = line.slice(indent.length);
  if (match[2]) return `${indent}\\${rest}`;
  if (match[3]) return `${indent}${match[3]}\\${rest.slice(match[3].length)}`;
  if (match[5]) return `${indent}\\${rest}`;
  return `${indent}${rest.replace(/[`~]/g, '\\$&')}`;
}

/** Literal text (one or more lines) as a paragraph of the subset. */
export function escapeParagraph(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeLineStart(escapeInline(line)))
    .join('\n');
}

/** A link kept in chunk text: only absolute http(s) URLs; anything else (javascript:, data:, relative) is dropped. */
export function safeLinkTarget(href: string | undefined): string | undefined {
  const target = href?.trim() ?? '';
  if (!/^https?:\/\/[^\s<>()]+$/i.test(target)) return undefined;
  try {
    const url = new URL(target);
    return url.protocol === 'http:' || url.protocol === 'https:' ? target : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tables.

export interface TableCell {
  /** Inline Markdown of the cell (already escaped). */
  text: string;
  colspan?: number;
  rowspan?: number;
  /** A <th>, or a cell of a header row (<thead>, Word's "repeat as header row"). */
  header?: boolean;
}

/** A number, an amount or a quantity with a short unit: "12", "$0.096", "4 vCPUs", "2-year", "5–7 days". */
const NUMERIC_CELL = /^[\s$€£¥￥~≈<>+\-–(]*\d[\d\s.,:%/×x\-–)]*(?:\s*\p{L}{1,8}\.?)?$/u;
const MAX_HEADER_CELL_CHARACTERS = 60;

function isNumericCell(text: string): boolean {
  return NUMERIC_CELL.test(text.trim());
}

/** Expands column and row spans so every row has the same width. */
function expandSpans(rows: readonly (readonly TableCell[])[]): { cells: (TableCell | undefined)[][]; width: number } {
  const grid: (TableCell | undefined)[][] = [];
  // Cells carried down by a rowspan: column → { cell, rows left }.
  const carried = new Map<number, { cell: TableCell; left: number }>();
  for (const row of rows) {
    const out: (TableCell | undefined)[] = [];
    let column = 0;
    const place = (): void => {
      while (carried.has(column)) {
        const carry = carried.get(column);
        if (!carry) break;
        out[column] = { ...carry.cell, colspan: 1, rowspan: 1 };
        carry.left--;
        if (carry.left <= 0) carried.delete(column);
        column++;
      }
    };
    for (const cell of row) {
      place();
      const span = Math.max(1, Math.min(cell.colspan ?? 1, 1000));
      const down = Math.max(1, Math.min(cell.rowspan ?? 1, 10_000));
      for (let offset = 0; offset < span; offset++) {
        // A header cell spanning several columns names each of them; a body cell fills the first and blanks the rest.
        const text = offset === 0 || cell.header ? cell.text : '';
        const placed: TableCell = { text, header: cell.header ?? false };
        out[column] = placed;
        if (down > 1) carried.set(column, { cell: placed, left: down - 1 });
        column++;
      }
    }
    place();
    // Rowspans reaching past a short row still fill their columns.
    for (const [carriedColumn, carry] of [...carried.entries()].filter(([key]) => key >= column)) {
      out[carriedColumn] = { ...carry.cell };
      carry.left--;
      if (carry.left <= 0) carried.delete(carriedColumn);
    }
    grid.push(out);
  }
  const width = Math.max(0, ...grid.map((row) => row.length));
  return { cells: grid, width };
}

/**
 * True when the first row of a table without a marked header reads as column names: every cell filled,
 * short and not a number, and either the table has more than two columns or some column holds numbers
 * below a text name (a two-column table of labels and values has no header row).
 */
export function looksLikeHeaderRow(first: readonly string[], rest: readonly (readonly string[])[]): boolean {
  if (rest.length === 0 || first.length === 0) return false;
  if (!first.every((cell) => hasWords(cell) && cell.length <= MAX_HEADER_CELL_CHARACTERS && !isNumericCell(cell))) return false;
  if (new Set(first.map((cell) => cell.toLowerCase())).size < first.length) return false;
  if (first.length > 2) return true;
  return first.some((_, column) => rest.some((row) => isNumericCell(row[column] ?? '')));
}

/**
 * A table of the subset from cells as a document has them: spans expanded, header rows (marked, or a
 * first row that looks like one) merged into one header row, else generic "Column 1…" names.
 *
 * @example
 *   tableBlock([[{ text: 'Plan' }, { text: 'Price' }], [{ text: 'Basic' }, { text: '$5' }]])
 *   // { kind: 'table', header: ['Plan', 'Price'], rows: [['Basic', '$5']] }
 */
export function tableBlock(rows: readonly (readonly TableCell[])[]): Extract<Block, { kind: 'table' }> | undefined {
  const { cells, width } = expandSpans(rows.filter((row) => row.length > 0));
  if (width === 0) return undefined;
  const texts = cells.map((row) => Array.from({ length: width }, (_, column) => cellText(row[column]?.text ?? '')));
  // Leading rows whose filled cells are all header cells form the header (a column of <th> row names does not).
  let headerRows = 0;
  while (headerRows < cells.length - 1) {
    const filled = (cells[headerRows] ?? []).filter((cell) => cell?.text);
    if (filled.length === 0 || !filled.every((cell) => cell?.header)) break;
    headerRows++;
  }
  let body = texts.slice(headerRows).filter((row) => row.some((cell) => hasWords(cell)));
  let header: string[];
  if (headerRows > 0) {
    header = Array.from({ length: width }, (_, column) => {
      const parts: string[] = [];
      for (const row of texts.slice(0, headerRows)) {
        const part = row[column] ?? '';
        if (part && parts.at(-1) !== part) parts.push(part);
      }
      return parts.join(' ');
    });
  } else if (body[0] && looksLikeHeaderRow(body[0], body.slice(1))) {
    header = body[0];
    body = body.slice(1);
  } else {
    header = [];
  }
  if (body.length === 0 && header.length > 0) return { kind: 'table', header: genericHeader(width), rows: [header] };
  if (body.length === 0) return undefined;
  if (!header.some((cell) => hasWords(cell))) header = genericHeader(width);
  else header = header.map((cell, column) => cell || `Column ${column + 1}`);
  return { kind: 'table', header, rows: body };
}

function genericHeader(width: number): string[] {
  return Array.from({ length: width }, (_, column) => `Column ${column + 1}`);
}

/** One line per cell: line breaks inside a cell become spaces. */
function cellText(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[ \t]+/g, ' ').trim();
}

/**
 * Title candidates from headings: the headings that open the document (before any body text; a cover
 * page's title and subtitle), at most three; when the text starts without one, the first outermost heading.
 */
export function headingCandidates(headings: readonly HeadingSeen[]): { text: string; source: 'heading' }[] {
  const opening = headings.filter((heading) => heading.opening).slice(0, 3);
  if (opening.length > 0) return opening.map((heading) => ({ text: heading.text, source: 'heading' }));
  const outermost = Math.min(...headings.map((heading) => heading.level));
  const first = headings.find((heading) => heading.level === outermost);
  return first ? [{ text: first.text, source: 'heading' }] : [];
}
