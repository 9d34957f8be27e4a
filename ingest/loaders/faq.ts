/**
 * FAQ loaders: CSV, XLSX and JSON sheets of question/answer pairs. Columns are found by header
 * name, case-insensitively, in English or Chinese (question/q/问题/提问, answer/a/答案/回答,
 * alternates/similar questions/相似问题/其他问法, category/分类, id). One FaqEntry per row; rows
 * with an empty question or answer are skipped and reported as warnings, and so are repeated questions.
 *
 * Sheets are read as streams and handed on in batches (`streamFaq`), so a 200,000-row sheet never sits in
 * memory whole: CSV through csv-parse's stream, XLSX through exceljs' streaming WorkbookReader, JSON (which
 * must be parsed whole, and is bounded by the file size limit) sliced after parsing.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { parse as createCsvParser } from 'csv-parse';
import type ExcelJS from 'exceljs';
import type { FaqEntry, ParsedDocument } from '../types.ts';
import { listNumbers, loaderError, titleFromPath } from './shared.ts';
import { normalizeHeader } from '../../src/formats/sheet-header.ts';

type FaqField = 'question' | 'answer' | 'alternates' | 'category' | 'id';

const HEADER_NAMES: Record<FaqField, readonly string[]> = {
  question: ['question', 'questions', 'q', 'faq', 'standard question', '问题', '提问', '问', '标准问题', '常见问题'],
  answer: ['answer', 'answers', 'a', 'reply', 'response', '答案', '回答', '答复', '解答', '答'],
  alternates: [
    'alternates', 'alternate', 'alternate questions', 'alternative questions', 'alternatives', 'similar questions',
    'variants', 'paraphrases', 'synonyms', '相似问题', '其他问法', '其它问法', '相似问法', '相似问', '同义问题',
  ],
  category: ['category', 'categories', 'topic', 'section', 'group', '分类', '类别', '类目', '主题'],
  id: ['id', 'faq id', 'key', '编号', '序号', 'id号'],
};

/** Rows handed on per batch by `streamFaq` unless the caller says otherwise. */
export const DEFAULT_FAQ_BATCH_ROWS = 1000;

function fieldOf(header: string): FaqField | undefined {
  const normalized = normalizeHeader(header);
  for (const [field, names] of Object.entries(HEADER_NAMES) as [FaqField, readonly string[]][]) {
    if (names.includes(normalized)) return field;
  }
  return undefined;
}

type Columns = Partial<Record<FaqField, number>>;

/** Column index of each field in a header row, or undefined if question or answer is missing. */
function matchHeader(cells: readonly string[]): Columns | undefined {
  const columns: Columns = {};
  cells.forEach((cell, index) => {
    const field = fieldOf(cell);
    if (field && columns[field] === undefined) columns[field] = index;
  });
  return columns.question !== undefined && columns.answer !== undefined ? columns : undefined;
}

/** Alternate questions in one cell, one per line or separated by "|", "；" or ";". */
export function splitAlternates(value: string, question: string): string[] {
  const seen = new Set([question.trim()]);
  const alternates: string[] = [];
  for (const piece of value.split(/\r?\n|[|；;]/u)) {
    const alternate = piece.trim();
    if (alternate && !seen.has(alternate)) {
      seen.add(alternate);
      alternates.push(alternate);
    }
  }
  return alternates;
}

interface RawRow {
  /** Field values by name; alternates may already be a list (JSON). */
  values: Partial<Record<FaqField, string | string[]>>;
  /** 1-based data row, header excluded. */
  row: number;
  /** Where a person finds it: "sheet row 5", "item 4". */
  location: number;
}

function text(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value.join('\n') : value).trim();
}

/** What a finished stream reports: problems worth telling the sheet's owner, and how many entries it gave. */
export interface FaqStreamEnd {
  warnings: string[];
  entries: number;
}

/** One batch of entries and the document title they belong to (for a workbook: the sheet that was read). */
export interface FaqBatch {
  title: string;
  entries: FaqEntry[];
}

export type FaqStream = AsyncGenerator<FaqBatch, FaqStreamEnd>;

export interface FaqStreamOptions {
  path: string;
  /** Entries per batch. */
  batchRows?: number;
  /** More entries than this fail the file with INGEST_LIMIT (KEFU_MAX_CHUNKS_PER_FILE). */
  maxEntries?: number;
}

/**
 * Turns raw rows into entries: skips and counts rows without a question or answer, makes ids unique, notes
 * repeated questions. Warnings are built at the end from counts, so memory stays small for any number of rows.
 */
function createCollector(options: { path: string; locationLabel: string; maxEntries: number }) {
  const skipped: number[] = [];
  let skippedCount = 0;
  const duplicateIds: string[] = [];
  const ids = new Set<string>();
  const questionRows = new Map<string, number>();
  const repeated: string[] = [];
  let repeatedCount = 0;
  let entries = 0;
  return {
    add({ values, row, location }: RawRow): FaqEntry | undefined {
      const question = text(values.question).replace(/\s+/g, ' ');
      const answer = text(values.answer);
      if (!question && !answer && !text(values.alternates) && !text(values.category)) return undefined; // a blank line
      if (!question || !answer) {
        skippedCount++;
        if (skipped.length < 10) skipped.push(location);
        return undefined;
      }
      let id = text(values.id) || `row-${row}`;
      if (ids.has(id)) {
        if (duplicateIds.length < 10) duplicateIds.push(id);
        id = `${id}-row-${row}`;
      }
      ids.add(id);
      const key = createHash('sha1').update(question.toLowerCase()).digest('base64');
      const first = questionRows.get(key);
      if (first === undefined) questionRows.set(key, location);
      else {
        repeatedCount++;
        if (repeated.length < 5) repeated.push(`${location} repeats ${first}`);
      }
      entries++;
      if (entries > options.maxEntries) {
        throw loaderError('INGEST_LIMIT', options.path, `more than ${options.maxEntries} question/answer rows; limit KEFU_MAX_CHUNKS_PER_FILE=${options.maxEntries}`);
      }
      const category = text(values.category);
      return { id, question, answer, alternates: splitAlternates(text(values.alternates), question), ...(category ? { category } : {}), row };
    },
    finish(): FaqStreamEnd {
      const warnings: string[] = [];
      if (skippedCount > 0) {
        const more = skippedCount > skipped.length ? ` and ${skippedCount - skipped.length} more` : '';
        warnings.push(`Skipped ${skippedCount} row${skippedCount === 1 ? '' : 's'} with an empty question or answer (${options.locationLabel} ${listNumbers(skipped)}${more}).`);
      }
      if (duplicateIds.length > 0) warnings.push(`Duplicate ids made unique by adding the row number: ${[...new Set(duplicateIds)].join(', ')}.`);
      if (repeatedCount > 0) {
        warnings.push(`${repeatedCount} row${repeatedCount === 1 ? ' repeats' : 's repeat'} an earlier question (${options.locationLabel} ${repeated.join(', ')}${repeatedCount > repeated.length ? ', …' : ''}); merge them so customers get one answer.`);
      }
      if (entries === 0) {
        throw loaderError('INGEST_EMPTY', options.path, skippedCount > 0 ? `no row has both a question and an answer; ${skippedCount} rows lack one` : 'the sheet has a header but no rows');
      }
      return { warnings, entries };
    },
  };
}

function columnsError(path: string, found: readonly string[]): Error {
  const names = found.map((name) => name.trim()).filter(Boolean);
  const problem = names.length > 0 ? `columns found: ${names.slice(0, 12).map((name) => `"${name}"`).join(', ')}` : 'no header row found';
  return loaderError('INGEST_FAQ_COLUMNS', path, problem);
}

interface TableRow {
  cells: string[];
  /** Sheet row (XLSX) or CSV record number, 1-based, for messages. */
  sheetRow: number;
}

/**
 * Reads a table as it streams: the header is the first of the first five non-empty rows that names a question
 * and an answer column (so a title row above it is fine); every later row becomes an entry.
 */
async function* entriesFromTable(options: {
  path: string;
  title: string;
  rows: AsyncIterable<TableRow>;
  locationLabel: string;
  batchRows: number;
  maxEntries: number;
  /** Finds what is wrong with a row (the CSV reader spots broken quoting with it); undefined when nothing is. */
  checkRow?: (row: TableRow, columns: Columns | undefined) => Error | undefined;
}): FaqStream {
  const { path, title, batchRows } = options;
  const collector = createCollector({ path, locationLabel: options.locationLabel, maxEntries: options.maxEntries });
  let columns: Columns | undefined;
  let headerRow = 0;
  let firstNonEmpty: string[] | undefined;
  let nonEmptySeen = 0;
  let batch: FaqEntry[] = [];
  // A broken row above the header (a quote that swallowed it) explains a missing header better than its columns do.
  let brokenBeforeHeader: Error | undefined;
  for await (const line of options.rows) {
    if (!columns) {
      brokenBeforeHeader ??= options.checkRow?.(line, undefined);
      if (!line.cells.some((cell) => cell.trim())) continue;
      firstNonEmpty ??= line.cells;
      nonEmptySeen++;
      columns = matchHeader(line.cells);
      if (columns) headerRow = line.sheetRow;
      else if (nonEmptySeen >= 5) throw brokenBeforeHeader ?? columnsError(path, firstNonEmpty);
      continue;
    }
    const broken = options.checkRow?.(line, columns);
    if (broken) throw broken;
    const values: RawRow['values'] = {};
    for (const [field, column] of Object.entries(columns) as [FaqField, number][]) values[field] = line.cells[column] ?? '';
    const entry = collector.add({ values, row: line.sheetRow - headerRow, location: line.sheetRow });
    if (!entry) continue;
    batch.push(entry);
    if (batch.length >= batchRows) {
      yield { title, entries: batch };
      batch = [];
    }
  }
  if (!columns) throw brokenBeforeHeader ?? columnsError(path, firstNonEmpty ?? []);
  const end = collector.finish();
  if (batch.length > 0) yield { title, entries: batch };
  return end;
}

/** Picks the most frequent of , ; and tab in the header line (outside quotes): Excel in many locales writes ";". */
function detectDelimiter(text: string): string {
  const firstLine = text.slice(0, 64 * 1024).split('\n', 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t', '，'].map((delimiter) => ({ delimiter, count: unquoted.split(delimiter).length - 1 }));
  counts.sort((first, second) => second.count - first.count);
  return counts[0] && counts[0].count > 0 ? counts[0].delimiter : ',';
}

/** The text in slices, so the CSV parser streams it with backpressure instead of taking it whole. */
function* slices(source: string, size = 256 * 1024): Iterable<string> {
  for (let start = 0; start < source.length; start += size) yield source.slice(start, start + size);
}

/**
 * Spots a quote that swallowed rows. csv-parse accepts a quote opened in one row and closed rows later as one long
 * cell; the rows in between vanish without an error (the sheet then looked empty, or lost rows silently). A
 * question or header cell that runs over several lines, a later one holding the delimiter, is such a swallow; so
 * is an answer cell with a later line holding a whole row's worth of delimiters.
 */
function brokenQuoting(options: { path: string; delimiter: string; startLine: number; endLine: number; row: TableRow; columns: Columns | undefined }): Error | undefined {
  const { row, columns, delimiter } = options;
  const columnCount = Math.max(2, row.cells.length);
  const suspicious = row.cells.some((cell, index) => {
    if (!cell.includes('\n')) return false;
    const later = cell.split(/\r?\n/).slice(1);
    const strict = !columns || index === columns.question;
    const needed = strict ? 1 : Math.max(2, columnCount - 1);
    return later.some((line) => line.split(delimiter).length - 1 >= needed);
  });
  if (!suspicious) return undefined;
  return loaderError('INGEST_CORRUPT', options.path, `a quote opened on line ${options.startLine} closes only on line ${options.endLine}, so the rows between were read as one cell; check for a missing or extra quote`);
}

/**
 * Streams a CSV FAQ sheet (already decoded to text).
 *
 * @example
 *   for await (const batch of streamFaqCsv({ path: 'faq.csv', text })) console.log(batch.entries.length);
 */
export function streamFaqCsv(options: FaqStreamOptions & { text: string }): FaqStream {
  const { path, text: csvText } = options;
  const delimiter = detectDelimiter(csvText);
  const parser = Readable.from(slices(csvText)).pipe(
    createCsvParser({ delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false, info: true }),
  );
  let previousEnd = 0;
  let currentStart = 1;
  let currentEnd = 1;
  async function* rows(): AsyncIterable<TableRow> {
    let record = 0;
    try {
      for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        record++;
        currentStart = previousEnd + 1;
        currentEnd = item.info.lines;
        previousEnd = currentEnd;
        yield { cells: item.record, sheetRow: record };
      }
    } catch (error) {
      const line = typeof error === 'object' && error !== null && 'lines' in error ? String(error.lines) : '?';
      throw loaderError('INGEST_CORRUPT', path, `the CSV could not be parsed near line ${line}; check for an unclosed quote`, error);
    }
  }
  return entriesFromTable({
    path,
    title: titleFromPath(path),
    rows: rows(),
    locationLabel: 'sheet rows',
    batchRows: options.batchRows ?? DEFAULT_FAQ_BATCH_ROWS,
    maxEntries: options.maxEntries ?? Number.POSITIVE_INFINITY,
    checkRow: (row, columns) => brokenQuoting({ path, delimiter, startLine: currentStart, endLine: currentEnd, row, columns }),
  });
}

/** The number of worksheets an .xlsx holds, from its part names (the streaming reader learns it too late). */
function worksheetCount(bytes: Buffer): number {
  const names = bytes.toString('latin1').match(/xl\/worksheets\/sheet\d+\.xml/g) ?? [];
  return new Set(names).size;
}

/**
 * Streams an XLSX FAQ workbook: the first worksheet with question and answer columns.
 *
 * @example
 *   for await (const batch of streamFaqXlsx({ path: 'faq.xlsx', bytes })) console.log(batch.entries.length);
 */
export async function* streamFaqXlsx(options: FaqStreamOptions & { bytes: Buffer }): FaqStream {
  const { path, bytes } = options;
  const { default: excel } = await import('exceljs');
  const reader = new excel.stream.xlsx.WorkbookReader(Readable.from([bytes]), {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache', // dates and numbers are shown as formatted
    worksheets: 'emit',
    entries: 'emit',
  } as ConstructorParameters<typeof ExcelJS.stream.xlsx.WorkbookReader>[1]);
  const baseTitle = titleFromPath(path);
  const several = worksheetCount(bytes) > 1;
  let firstColumnsError: Error | undefined;
  let anyCells = false;
  const corrupt = (error: unknown) => loaderError('INGEST_CORRUPT', path, 'the workbook could not be opened; it may be cut off or not a real .xlsx', error);
  try {
    for await (const worksheet of reader as AsyncIterable<ExcelJS.stream.xlsx.WorksheetReader & { name: string }>) {
      async function* rows(): AsyncIterable<TableRow> {
        for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
          const cells: string[] = [];
          for (let column = 1; column <= row.cellCount; column++) cells.push(row.getCell(column).text ?? '');
          if (cells.some((cell) => cell.trim())) anyCells = true;
          yield { cells, sheetRow: row.number };
        }
      }
      const title = several ? `${baseTitle} — ${worksheet.name}` : baseTitle;
      const sheetRows = rows();
      const entries = entriesFromTable({ path, title, rows: sheetRows, locationLabel: `rows of sheet "${worksheet.name}":`, batchRows: options.batchRows ?? DEFAULT_FAQ_BATCH_ROWS, maxEntries: options.maxEntries ?? Number.POSITIVE_INFINITY });
      let given = false;
      try {
        for (;;) {
          const step = await entries.next();
          if (step.done) return step.value;
          given = true;
          yield step.value;
        }
      } catch (error) {
        // A sheet without the columns (a cover sheet, a price list): try the next one, remembering why this failed.
        if (given || !(error instanceof Error) || !('code' in error) || (error.code !== 'INGEST_FAQ_COLUMNS' && error.code !== 'INGEST_EMPTY')) throw error;
        if (error.code === 'INGEST_FAQ_COLUMNS' && anyCells) firstColumnsError ??= error;
        for await (const _row of sheetRows) {
          // the rest of this sheet is read past, not kept
        }
      }
    }
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('INGEST_')) throw error;
    throw corrupt(error);
  }
  throw firstColumnsError ?? loaderError('INGEST_EMPTY', path, 'the workbook has no filled cells');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonValue(value: unknown): string | string[] {
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Streams a JSON FAQ: an array of objects, or an object with the array under "faq" (or "faqs", "items").
 *
 * @example
 *   for await (const batch of streamFaqJson({ path: 'faq.json', text: '[{"q":"Hi?","a":"Hello."}]' })) batch.entries[0]?.question // 'Hi?'
 */
export async function* streamFaqJson(options: FaqStreamOptions & { text: string }): FaqStream {
  const { path, text: jsonText } = options;
  let data: unknown;
  try {
    data = JSON.parse(jsonText);
  } catch (error) {
    throw loaderError('INGEST_CORRUPT', path, 'not valid JSON', error);
  }
  const list = Array.isArray(data) ? data : isRecord(data) ? (data.faq ?? data.faqs ?? data.FAQ ?? data.items ?? data.questions) : undefined;
  if (!Array.isArray(list) || !list.some(isRecord)) {
    const keys = isRecord(data) ? Object.keys(data) : [];
    throw loaderError(
      'INGEST_FAQ_COLUMNS',
      path,
      `expected an array of {question, answer} objects or {"faq": [...]}${keys.length > 0 ? `; top-level keys found: ${keys.slice(0, 12).map((key) => `"${key}"`).join(', ')}` : ''}`,
    );
  }
  const allKeys = [...new Set(list.filter(isRecord).flatMap((item) => Object.keys(item)))];
  if (!matchHeader(allKeys)) throw columnsError(path, allKeys);
  const title = titleFromPath(path);
  const batchRows = options.batchRows ?? DEFAULT_FAQ_BATCH_ROWS;
  const collector = createCollector({ path, locationLabel: 'items', maxEntries: options.maxEntries ?? Number.POSITIVE_INFINITY });
  let batch: FaqEntry[] = [];
  for (const [index, item] of list.entries()) {
    const values: RawRow['values'] = {};
    if (isRecord(item)) {
      for (const [key, value] of Object.entries(item)) {
        const field = fieldOf(key);
        if (field && values[field] === undefined) values[field] = jsonValue(value);
      }
    }
    const entry = collector.add({ values, row: index + 1, location: index + 1 });
    if (!entry) continue;
    batch.push(entry);
    if (batch.length >= batchRows) {
      yield { title, entries: batch };
      batch = [];
    }
  }
  const end = collector.finish();
  if (batch.length > 0) yield { title, entries: batch };
  return end;
}

/**
 * Reads a whole FAQ stream into one document (small sheets, tests, evaluation).
 *
 * @example
 *   const document = await collectFaq(streamFaqCsv({ path: 'faq.csv', text: '问题,答案\n退款多久到账？,3-5 个工作日。' }));
 *   document.faq?.[0]?.answer // '3-5 个工作日。'
 */
export async function collectFaq(stream: FaqStream, fallbackTitle = ''): Promise<ParsedDocument> {
  const faq: FaqEntry[] = [];
  let title = fallbackTitle;
  for (;;) {
    const step = await stream.next();
    if (step.done) {
      return { type: 'faq', title, sections: [], faq, ...(step.value.warnings.length > 0 ? { warnings: step.value.warnings } : {}) };
    }
    title = step.value.title;
    faq.push(...step.value.entries);
  }
}
