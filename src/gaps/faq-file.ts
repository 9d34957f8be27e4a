/**
 * Changes an FAQ CSV in the ingest folder safely while people may edit it too.
 *
 * - **One kefu writer at a time**: a lock file beside it (`.<name>.lock`, created exclusively; a lock older than
 *   30 s is left by a crashed process and taken over), shared by the server and the command line.
 * - **Nothing a person saved is lost**: every change re-reads the current file under the lock, changes only the
 *   rows it means to (cells of other rows and columns are written back as they were), writes a temporary file
 *   (`.<name>.<random>.tmp`: the sync ignores dot files) and fsyncs it, then checks that the file is byte for byte
 *   what it read; if someone saved meanwhile it starts again from their version, else it renames the temporary file
 *   over the original (atomic: a reader, the sync included, sees the old file or the new one, never half).
 * - **Nothing is duplicated**: rows are found by id (the `id` column; `row-N` for a sheet without one), so applying
 *   a change twice changes nothing the second time.
 *
 * The check and the rename are back to back (synchronous, microseconds apart): an editor saving in exactly that
 * window is the one case this cannot see; README.md says so.
 *
 * @example
 *   await changeFaqFile({ path: '/srv/kefu/inbox/kefu-answers.csv', change: (table) => upsertRows(table, [entry]) });
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { KefuError } from '../errors/index.ts';
import { normalizeHeader } from '../formats/sheet-header.ts';

/** The columns of an FAQ sheet kefu reads and writes (the ingest FAQ loader accepts these names too). */
export type FaqColumn = 'id' | 'question' | 'answer' | 'alternates' | 'category';

/**
 * Header names per column, as the FAQ loader (ingest/loaders/faq.ts) reads them; kefu must find the same columns
 * the loader does, so keep the two lists alike.
 */
const HEADER_NAMES: Record<FaqColumn, readonly string[]> = {
  question: ['question', 'questions', 'q', 'faq', 'standard question', '问题', '提问', '问', '标准问题', '常见问题'],
  answer: ['answer', 'answers', 'a', 'reply', 'response', '答案', '回答', '答复', '解答', '答'],
  alternates: ['alternates', 'alternate', 'alternate questions', 'alternative questions', 'alternatives', 'similar questions', 'variants', 'paraphrases', 'synonyms', '相似问题', '其他问法', '其它问法', '相似问法', '相似问', '同义问题'],
  category: ['category', 'categories', 'topic', 'section', 'group', '分类', '类别', '类目', '主题'],
  id: ['id', 'faq id', 'key', '编号', '序号', 'id号'],
};

export const KEFU_FAQ_HEADER: readonly FaqColumn[] = ['id', 'question', 'answer', 'alternates', 'category'];

/** A parsed CSV: its rows of cells, where the header is, which column is which, and how to write it back. */
export interface FaqTable {
  rows: string[][];
  headerRow: number;
  columns: Partial<Record<FaqColumn, number>>;
  delimiter: string;
  newline: string;
  bom: boolean;
}

export interface FaqRow {
  id: string;
  question: string;
  answer: string;
  alternates: string[];
  category: string;
}

function detectDelimiter(text: string): string {
  const firstLine = text.split('\n', 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((delimiter) => ({ delimiter, count: unquoted.split(delimiter).length - 1 }));
  counts.sort((first, second) => second.count - first.count);
  return counts[0] && counts[0].count > 0 ? counts[0].delimiter : ',';
}

/** UTF-8 (with or without a byte-order mark), else GB18030 when the bytes are not UTF-8 (Excel in China). */
function decode(bytes: Buffer): { text: string; bom: boolean } {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), bom };
  } catch {
    return { text: iconv.decode(body, 'gb18030'), bom: true };
  }
}

/** Parses an FAQ CSV; an empty file becomes a table with kefu's header. Throws FAQ_FILE_INVALID naming the file. */
export function parseFaqTable(bytes: Buffer, file: string): FaqTable {
  const { text, bom } = decode(bytes);
  if (text.trim() === '') return { rows: [[...KEFU_FAQ_HEADER]], headerRow: 0, columns: { id: 0, question: 1, answer: 2, alternates: 3, category: 4 }, delimiter: ',', newline: '\r\n', bom: true };
  const delimiter = detectDelimiter(text);
  let rows: string[][];
  try {
    rows = parseCsv(text, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: false }) as string[][];
  } catch (error) {
    throw new KefuError('FAQ_FILE_INVALID', { detail: `${file} is not a readable CSV (an unclosed quote?)`, cause: error });
  }
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const nonEmpty = rows.map((row, index) => ({ row, index })).filter(({ row }) => row.some((cell) => cell.trim()));
  for (const { row, index } of nonEmpty.slice(0, 5)) {
    const columns: Partial<Record<FaqColumn, number>> = {};
    row.forEach((cell, column) => {
      const name = normalizeHeader(cell);
      for (const [field, names] of Object.entries(HEADER_NAMES) as Array<[FaqColumn, readonly string[]]>) {
        if (names.includes(name) && columns[field] === undefined) columns[field] = column;
      }
    });
    if (columns.question !== undefined && columns.answer !== undefined) return { rows, headerRow: index, columns, delimiter, newline, bom };
  }
  throw new KefuError('FAQ_FILE_INVALID', { detail: `${file} has no header row with question and answer columns` });
}

function csvCell(value: string, delimiter: string): string {
  return value.includes(delimiter) || /["\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The table as CSV text (its own delimiter, line ending and byte-order mark). */
export function serializeFaqTable(table: FaqTable): Buffer {
  const text = table.rows.map((row) => row.map((cell) => csvCell(cell, table.delimiter)).join(table.delimiter)).join(table.newline) + table.newline;
  return Buffer.concat([table.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
}

/** Alternate questions in one cell: one per line (the FAQ loader also splits on | ; ；). */
export function joinWordings(wordings: readonly string[]): string {
  return wordings.map((wording) => wording.replace(/[\r\n|;；]+/g, ' ').trim()).filter(Boolean).join('\n');
}

export function splitWordings(cell: string): string[] {
  return cell.split(/\r?\n|[|；;]/u).map((piece) => piece.trim()).filter(Boolean);
}

/** The data row holding an entry: by the id column, or `row-N` (the N-th row after the header) in a sheet without ids. */
export function findEntryRow(table: FaqTable, entryId: string): number | undefined {
  const idColumn = table.columns.id;
  if (idColumn !== undefined) {
    for (let index = table.headerRow + 1; index < table.rows.length; index += 1) if ((table.rows[index]?.[idColumn] ?? '').trim() === entryId) return index;
  }
  const byRow = /(?:^|-)row-(\d+)$/.exec(entryId);
  if (byRow) {
    const index = table.headerRow + Number(byRow[1]);
    if (index < table.rows.length && (idColumn === undefined || entryId.startsWith('row-') || !(table.rows[index]?.[idColumn] ?? '').trim())) return index;
  }
  return undefined;
}

function setCell(table: FaqTable, row: number, column: FaqColumn, value: string): void {
  let index = table.columns[column];
  if (index === undefined) {
    // A sheet without this column gets it, at the end of the header.
    const header = table.rows[table.headerRow] as string[];
    index = header.length;
    header.push(column);
    table.columns[column] = index;
  }
  const cells = table.rows[row] as string[];
  while (cells.length <= index) cells.push('');
  cells[index] = value;
}

/** Reads an entry's fields from its row. */
export function readEntry(table: FaqTable, row: number): FaqRow {
  const cells = table.rows[row] ?? [];
  const cell = (column: FaqColumn) => (table.columns[column] === undefined ? '' : (cells[table.columns[column] as number] ?? ''));
  return { id: cell('id'), question: cell('question'), answer: cell('answer'), alternates: splitWordings(cell('alternates')), category: cell('category') };
}

/**
 * Adds entries, or replaces the ones whose id is already there (other columns of their rows are kept); with
 * `onlyMissing`, an entry already there is left as it is (a person may have edited it). Returns the ids written.
 */
export function upsertRows(table: FaqTable, entries: readonly FaqRow[], options: { onlyMissing?: boolean } = {}): string[] {
  if (table.columns.id === undefined) throw new KefuError('FAQ_FILE_INVALID', { detail: 'the file has no "id" column, so kefu cannot tell its rows apart' });
  const written: string[] = [];
  for (const entry of entries) {
    let row = findEntryRow(table, entry.id);
    if (row !== undefined && options.onlyMissing) continue;
    if (row === undefined) {
      // Never append after a trailing blank line a person left: fill it or add a row.
      const last = table.rows.at(-1);
      if (last && last.every((cell) => !cell.trim()) && table.rows.length - 1 > table.headerRow) row = table.rows.length - 1;
      else {
        table.rows.push([]);
        row = table.rows.length - 1;
      }
      table.rows[row] = [];
    }
    setCell(table, row, 'id', entry.id);
    setCell(table, row, 'question', entry.question);
    setCell(table, row, 'answer', entry.answer);
    setCell(table, row, 'alternates', joinWordings(entry.alternates));
    setCell(table, row, 'category', entry.category);
    written.push(entry.id);
  }
  return written;
}

/** Adds wordings to an entry's alternates (those it already has are not repeated). Returns the wordings added. */
export function addWordingsToRow(table: FaqTable, entryId: string, wordings: readonly string[]): string[] {
  const row = findEntryRow(table, entryId);
  if (row === undefined) throw new KefuError('FAQ_ENTRY_NOT_FOUND', { detail: `${entryId} (it is no longer in the file)` });
  const entry = readEntry(table, row);
  const known = new Set([entry.question.trim(), ...entry.alternates].map((text) => text.toLowerCase()));
  const added = wordings.map((wording) => wording.trim()).filter((wording) => wording && !known.has(wording.toLowerCase()));
  if (added.length > 0) setCell(table, row, 'alternates', joinWordings([...entry.alternates, ...new Set(added)]));
  return [...new Set(added)];
}

/** A lock older than this was left by a process that died. */
const STALE_LOCK_MS = 30_000;

async function takeLock(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid} ${new Date().toISOString()}\n`);
      await handle.close();
      return async () => {
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new KefuError('FAQ_FILE_INVALID', { detail: `cannot create the lock ${path.basename(lockPath)}`, cause: error });
    }
    const info = await stat(lockPath).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_LOCK_MS) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() - started > timeoutMs) throw new KefuError('FAQ_FILE_BUSY', { detail: path.basename(lockPath.replace(/\.lock$/, '').replace(/^\./, '')) });
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 50));
  }
}

const digest = (bytes: Buffer | undefined) => (bytes ? createHash('sha256').update(bytes).digest('hex') : 'missing');

function readIfExists(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface FaqFileChange<T> {
  /** The FAQ file (absolute path). */
  path: string;
  /**
   * Changes the table in place and returns what the caller needs; returning `changed: false` writes nothing. Called
   * again with a fresh table when someone saved the file meanwhile, so it must not have other side effects.
   */
  change: (table: FaqTable) => { changed: boolean; result: T };
  /** Where to start when the file does not exist yet (e.g. the live file, for a release's staged copy). */
  seed?: () => Promise<Buffer | undefined>;
  /** Give up waiting for another kefu process's lock after this long (default 10 s). */
  lockTimeoutMs?: number;
}

/**
 * Re-reads, changes and atomically replaces an FAQ CSV under the lock; see the module comment.
 *
 * @example
 *   const ids = await changeFaqFile({ path, change: (table) => ({ changed: true, result: upsertRows(table, [entry]) }) });
 */
export async function changeFaqFile<T>(options: FaqFileChange<T>): Promise<T> {
  const file = options.path;
  const directory = path.dirname(file);
  const name = path.basename(file);
  await mkdir(directory, { recursive: true });
  const release = await takeLock(path.join(directory, `.${name}.lock`), options.lockTimeoutMs ?? 10_000);
  try {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const current = readIfExists(file);
      const source = current ?? (await options.seed?.()) ?? Buffer.alloc(0);
      const table = parseFaqTable(source, name);
      const { changed, result } = options.change(table);
      if (!changed && current !== undefined) return result;
      const bytes = serializeFaqTable(table);
      const temporary = path.join(directory, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      const descriptor = openSync(temporary, 'wx', 0o644);
      try {
        writeSync(descriptor, bytes);
        fsyncSync(descriptor);
      } finally {
        closeSync(descriptor);
      }
      // No await from here to the rename: the check and the replacement are as close together as they can be.
      if (digest(readIfExists(file)) !== digest(current)) {
        unlinkSync(temporary);
        continue;
      }
      renameSync(temporary, file);
      try {
        const directoryHandle = openSync(directory, 'r');
        fsyncSync(directoryHandle);
        closeSync(directoryHandle);
      } catch {
        // Some file systems cannot fsync a folder; the rename itself is still atomic.
      }
      return result;
    }
    throw new KefuError('FAQ_FILE_BUSY', { detail: `${name} kept changing while kefu tried to write it` });
  } finally {
    await release();
  }
}

/** Reads an FAQ file's table, or undefined when it does not exist. */
export async function readFaqTable(file: string): Promise<FaqTable | undefined> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return bytes === undefined ? undefined : parseFaqTable(bytes, path.basename(file));
}
