/**
 * kefu's FAQ file writer on real files: rows added and replaced by id, markup kept as text, a person's edits and
 * kefu's appends interleaved (nothing lost, nothing duplicated), concurrent writers, sheets without an id column.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../records/index.ts';
import type { KnowledgeChange, RecordsStore } from '../records/types.ts';
import { addWordingsToRow, changeFaqFile, parseFaqTable, upsertRows } from './faq-file.ts';
import { createKnowledgeFiles, KEFU_FAQ_FILE } from './knowledge-files.ts';

let directory: string;
let records: RecordsStore;

beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-faq-file-'));
  records = openSqliteRecords({ path: ':memory:' });
});

afterEach(async () => {
  await records.close();
  await rm(directory, { recursive: true, force: true });
});

/** The file as the FAQ loader reads it: rows of cells (BOM removed). */
async function rowsOf(file: string): Promise<string[][]> {
  return parseCsv(await readFile(file, 'utf8'), { bom: true, relax_column_count: true }) as string[][];
}

function entryChange(index: number, overrides: Partial<KnowledgeChange> = {}): Omit<KnowledgeChange, 'createdAt' | 'updatedAt'> {
  return { id: randomUUID(), kind: 'faq-entry', file: KEFU_FAQ_FILE, entryId: `kefu-${index}`, question: `Question ${index}?`, answer: `Answer ${index}.`, wordings: [`wording ${index}`], category: '', status: 'live', ...overrides };
}

describe('changeFaqFile', () => {
  it('starts a file with kefu\'s header and a byte-order mark, keeps markup as text, replaces rows by id', async () => {
    const file = path.join(directory, KEFU_FAQ_FILE);
    const hostile = 'Use the <b>form</b>. <script>alert(1)</script>, "quoted", a,comma\nand a second line';
    await changeFaqFile({ path: file, change: (table) => ({ changed: true, result: upsertRows(table, [{ id: 'kefu-1', question: 'How?', answer: hostile, alternates: ['how do i', 'what way'], category: '' }]) }) });
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(await rowsOf(file)).toEqual([
      ['id', 'question', 'answer', 'alternates', 'category'],
      ['kefu-1', 'How?', hostile, 'how do i\nwhat way', ''],
    ]);
    await changeFaqFile({ path: file, change: (table) => ({ changed: true, result: upsertRows(table, [{ id: 'kefu-1', question: 'How?', answer: 'New answer', alternates: [], category: 'x' }]) }) });
    expect((await rowsOf(file)).slice(1)).toEqual([['kefu-1', 'How?', 'New answer', '', 'x']]);
  });

  it('keeps a person\'s delimiter, columns and rows, and finds rows of a sheet without ids by number', async () => {
    const file = path.join(directory, 'faq.csv');
    await writeFile(file, '问题;答案;备注\n怎么退款？;在订单页申请。;keep me\n运费多少？;满99包邮。;\n');
    await changeFaqFile({ path: file, change: (table) => ({ changed: true, result: addWordingsToRow(table, 'row-2', ['邮费怎么算', '运费多少？']) }) });
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')[0]).toBe('问题;答案;备注;alternates');
    const table = parseFaqTable(Buffer.from(text), 'faq.csv');
    expect(table.rows[1]).toEqual(['怎么退款？', '在订单页申请。', 'keep me']);
    expect(table.rows[2]).toEqual(['运费多少？', '满99包邮。', '', '邮费怎么算']);
    expect(() => addWordingsToRow(table, 'row-9', ['x'])).toThrow(/no longer in the file/);
  });

  it('refuses a file it cannot read as an FAQ sheet, changing nothing', async () => {
    const file = path.join(directory, KEFU_FAQ_FILE);
    await writeFile(file, 'name,notes\nx,y\n');
    await expect(changeFaqFile({ path: file, change: (table) => ({ changed: true, result: upsertRows(table, []) }) })).rejects.toMatchObject({ code: 'FAQ_FILE_INVALID' });
    expect(await readFile(file, 'utf8')).toBe('name,notes\nx,y\n');
    await writeFile(file, 'question,answer\nq,a\n');
    await expect(changeFaqFile({ path: file, change: (table) => ({ changed: true, result: upsertRows(table, [{ id: 'k', question: 'q', answer: 'a', alternates: [], category: '' }]) }) })).rejects.toThrow(/no "id" column/);
  });

  it('writes each of 20 concurrent changes exactly once (one writer at a time)', async () => {
    const files = createKnowledgeFiles({ inboxDir: directory, records });
    const changes = await Promise.all(Array.from({ length: 20 }, (_, index) => records.recordKnowledgeChange({ change: entryChange(index) })));
    await Promise.all(changes.map((change) => files.apply(change)));
    const ids = (await rowsOf(path.join(directory, KEFU_FAQ_FILE))).slice(1).map((row) => row[0]);
    expect(ids.sort()).toEqual(changes.map((change) => change.entryId).sort());
  });

  it('loses and duplicates no line while a person edits the file by hand as kefu appends', async () => {
    const file = path.join(directory, KEFU_FAQ_FILE);
    await writeFile(file, 'id,question,answer,alternates,category\n');
    const files = createKnowledgeFiles({ inboxDir: directory, records });
    const personLines: string[] = [];
    // A person saving like an editor does: read, think, write a temporary file, rename it over the original.
    const person = (async () => {
      for (let index = 0; index < 40; index += 1) {
        const before = await readFile(file, 'utf8');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 6));
        const line = `person-${index},Person question ${index}?,Person answer ${index},,`;
        personLines.push(line);
        // Also edit an earlier line of their own (the answer of the previous one).
        const edited = before.replace(`Person answer ${index - 1},`, `Person answer ${index - 1} (edited),`);
        const temporary = path.join(directory, `.edit-${index}.tmp`);
        await writeFile(temporary, `${edited.endsWith('\n') ? edited : `${edited}\n`}${line}\n`);
        await rename(temporary, file);
      }
    })();
    const kefu = (async () => {
      for (let index = 0; index < 40; index += 1) {
        const change = await records.recordKnowledgeChange({ change: entryChange(index) });
        await files.apply(change);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      }
    })();
    await Promise.all([person, kefu]);
    // A person's save from a stale copy may drop kefu's newest rows: kefu puts them back from its journal.
    await files.restoreMissing();
    const rows = (await rowsOf(file)).slice(1);
    const ids = rows.map((row) => row[0]);
    for (let index = 0; index < 40; index += 1) {
      expect(ids.filter((id) => id === `kefu-${index}`), `kefu-${index}`).toHaveLength(1);
      expect(ids.filter((id) => id === `person-${index}`), `person-${index}`).toHaveLength(1);
    }
    expect(rows).toHaveLength(80);
    // The person's last state of their own rows is what the file holds (kefu never wrote over a save).
    expect(rows.find((row) => row[0] === 'person-38')?.[2]).toBe('Person answer 38 (edited)');
  });

  it('leaves kefu rows a person edited as the person wrote them', async () => {
    const files = createKnowledgeFiles({ inboxDir: directory, records });
    const first = await records.recordKnowledgeChange({ change: entryChange(1) });
    await files.apply(first);
    const file = path.join(directory, KEFU_FAQ_FILE);
    await writeFile(file, (await readFile(file, 'utf8')).replace('Answer 1.', 'Answer 1 (corrected by hand).'));
    await files.apply(await records.recordKnowledgeChange({ change: entryChange(2) }));
    const rows = (await rowsOf(file)).slice(1);
    expect(rows.map((row) => [row[0], row[2]])).toEqual([
      ['kefu-1', 'Answer 1 (corrected by hand).'],
      ['kefu-2', 'Answer 2.'],
    ]);
  });
});
