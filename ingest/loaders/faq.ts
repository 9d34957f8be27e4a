/**
 * FAQ loaders: CSV, XLSX and JSON sheets of question/answer pairs. Columns are found by header
 * name, case-insensitively, in English or Chinese (question/q/问题/提问, answer/a/答案/回答,
 * alternates/similar questions/相似问题/其他问法, category/分类, id). One FaqEntry per row; rows
 * with an empty question or answer are skipped and reported as warnings.
 */
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FaqEntry, ParsedDocument } from '../types.ts';
import { listNumbers, loaderError, titleFromPath } from './shared.ts';

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

/** "Similar Questions (EN):" → "similar questions". */
export function normalizeHeader(header: string): string {
  return header
    .replace(/^\ufeff/, '')
    .trim()
    .toLowerCase()
    .replace(/\s*[(（][^)）]*[)）]\s*$/u, '')
    .replace(/[:：]$/u, '')
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

function fieldOf(header: string): FaqField | undefined {
  const normalized = normalizeHeader(header);
  for (const [field, names] of Object.entries(HEADER_NAMES) as [FaqField, readonly string[]][]) {
    if (names.includes(normalized)) return field;
  }
  return undefined;
}

/** Column index of each field in a header row, or undefined if question or answer is missing. */
function matchHeader(cells: readonly string[]): Partial<Record<FaqField, number>> | undefined {
  const columns: Partial<Record<FaqField, number>> = {};
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

function buildDocument({ path, rows, locationLabel }: { path: string; rows: RawRow[]; locationLabel: string }): ParsedDocument {
  const faq: FaqEntry[] = [];
  const skipped: number[] = [];
  const duplicateIds: string[] = [];
  const ids = new Set<string>();
  for (const { values, row, location } of rows) {
    const question = text(values.question).replace(/\s+/g, ' ');
    const answer = text(values.answer);
    if (!question && !answer && !text(values.alternates) && !text(values.category)) continue; // a blank line
    if (!question || !answer) {
      skipped.push(location);
      continue;
    }
    let id = text(values.id) || `row-${row}`;
    if (ids.has(id)) {
      duplicateIds.push(id);
      id = `${id}-row-${row}`;
    }
    ids.add(id);
    const category = text(values.category);
    faq.push({
      id,
      question,
      answer,
      alternates: splitAlternates(text(values.alternates), question),
      ...(category ? { category } : {}),
      row,
    });
  }
  const warnings: string[] = [];
  if (skipped.length > 0) {
    warnings.push(`Skipped ${skipped.length} row${skipped.length === 1 ? '' : 's'} with an empty question or answer (${locationLabel} ${listNumbers(skipped)}).`);
  }
  if (duplicateIds.length > 0) warnings.push(`Duplicate ids made unique by adding the row number: ${[...new Set(duplicateIds)].slice(0, 10).join(', ')}.`);
  if (faq.length === 0) {
    throw loaderError('INGEST_EMPTY', path, skipped.length > 0 ? `no row has both a question and an answer; ${skipped.length} rows lack one` : 'the sheet has a header but no rows');
  }
  return { type: 'faq', title: titleFromPath(path), sections: [], faq, ...(warnings.length > 0 ? { warnings } : {}) };
}

function columnsError(path: string, found: readonly string[]): Error {
  const names = found.map((name) => name.trim()).filter(Boolean);
  const problem = names.length > 0 ? `columns found: ${names.slice(0, 12).map((name) => `"${name}"`).join(', ')}` : 'no header row found';
  return loaderError('INGEST_FAQ_COLUMNS', path, problem);
}

/**
 * Turns a table (rows of cells, with their sheet row numbers) into FAQ rows. The header is the first
 * of the first five non-empty rows that names a question and an answer column, so a title row above
 * the header is fine.
 */
function tableToRows({ path, table }: { path: string; table: { cells: string[]; sheetRow: number }[] }): RawRow[] {
  const nonEmpty = table.filter((line) => line.cells.some((cell) => cell.trim()));
  for (const header of nonEmpty.slice(0, 5)) {
    const columns = matchHeader(header.cells);
    if (!columns) continue;
    const headerPosition = table.indexOf(header);
    return table.slice(headerPosition + 1).map((line, index) => {
      const values: RawRow['values'] = {};
      for (const [field, column] of Object.entries(columns) as [FaqField, number][]) values[field] = line.cells[column] ?? '';
      return { values, row: index + 1, location: line.sheetRow };
    });
  }
  throw columnsError(path, nonEmpty[0]?.cells ?? []);
}

/** Picks the most frequent of , ; and tab in the header line (outside quotes): Excel in many locales writes ";". */
function detectDelimiter(text: string): string {
  const firstLine = text.split('\n', 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t', '，'].map((delimiter) => ({ delimiter, count: unquoted.split(delimiter).length - 1 }));
  counts.sort((first, second) => second.count - first.count);
  return counts[0] && counts[0].count > 0 ? counts[0].delimiter : ',';
}

/**
 * Reads a CSV FAQ sheet (already decoded to text).
 *
 * @example
 *   loadFaqCsv({ path: 'faq.csv', text: '问题,答案\n退款多久到账？,3-5 个工作日。' }).faq?.[0]?.answer // '3-5 个工作日。'
 */
export function loadFaqCsv({ path, text: csvText }: { path: string; text: string }): ParsedDocument {
  let records: string[][];
  try {
    records = parseCsv(csvText, { delimiter: detectDelimiter(csvText), bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: false });
  } catch (error) {
    const line = typeof error === 'object' && error !== null && 'lines' in error ? String(error.lines) : '?';
    throw loaderError('INGEST_CORRUPT', path, `the CSV could not be parsed near line ${line}; check for an unclosed quote`, error);
  }
  const rows = tableToRows({ path, table: records.map((cells, index) => ({ cells, sheetRow: index + 1 })) });
  return buildDocument({ path, rows, locationLabel: 'sheet rows' });
}

/**
 * Reads an XLSX FAQ workbook: the first worksheet with question and answer columns.
 *
 * @example
 *   const document = await loadFaqXlsx({ path: 'faq.xlsx', bytes });
 *   document.faq?.length // number of question/answer rows
 */
export async function loadFaqXlsx({ path, bytes }: { path: string; bytes: Buffer }): Promise<ParsedDocument> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs's declared Buffer type predates Node's generic Buffer<ArrayBufferLike>.
    await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw loaderError('INGEST_CORRUPT', path, 'the workbook could not be opened; it may be cut off or not a real .xlsx', error);
  }
  let firstColumnsError: Error | undefined;
  for (const worksheet of workbook.worksheets) {
    const table: { cells: string[]; sheetRow: number }[] = [];
    const columnCount = worksheet.columnCount;
    for (let rowNumber = 1; rowNumber <= worksheet.rowCount; rowNumber++) {
      const row = worksheet.getRow(rowNumber);
      const cells: string[] = [];
      for (let column = 1; column <= columnCount; column++) cells.push(row.getCell(column).text ?? '');
      table.push({ cells, sheetRow: rowNumber });
    }
    if (!table.some((line) => line.cells.some((cell) => cell.trim()))) continue;
    try {
      const rows = tableToRows({ path, table });
      const document = buildDocument({ path, rows, locationLabel: `rows of sheet "${worksheet.name}":` });
      return workbook.worksheets.length > 1 ? { ...document, title: `${document.title} — ${worksheet.name}` } : document;
    } catch (error) {
      firstColumnsError ??= error instanceof Error ? error : undefined;
    }
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
 * Reads a JSON FAQ: an array of objects, or an object with the array under "faq" (or "faqs", "items").
 *
 * @example
 *   loadFaqJson({ path: 'faq.json', text: '[{"q":"Hi?","a":"Hello."}]' }).faq?.[0]?.question // 'Hi?'
 */
export function loadFaqJson({ path, text: jsonText }: { path: string; text: string }): ParsedDocument {
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
  const rows: RawRow[] = list.map((item, index) => {
    const values: RawRow['values'] = {};
    if (isRecord(item)) {
      for (const [key, value] of Object.entries(item)) {
        const field = fieldOf(key);
        if (field && values[field] === undefined) values[field] = jsonValue(value);
      }
    }
    return { values, row: index + 1, location: index + 1 };
  });
  return buildDocument({ path, rows, locationLabel: 'items' });
}
