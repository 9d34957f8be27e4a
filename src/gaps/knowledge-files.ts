/**
 * Where kefu's knowledge changes land in the ingest folder, and how they get there: FAQ entries in kefu's own FAQ
 * file (`kefu-answers.csv`), wordings added to an entry of any FAQ CSV, uploaded documents. A change for a running
 * gradual release goes to the staging folder (`kefu-release/`, the same relative path), which the normal sync
 * indexes like any folder; the release decides which customers see the staged copy and which the live one.
 *
 * The folder stays the source of truth: everything here is a file operation, and the normal sync (or watcher)
 * brings the index in step.
 *
 * @example
 *   const files = createKnowledgeFiles({ inboxDir, records });
 *   await files.apply(change);          // live or staged, by change.status
 */
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KefuError } from '../errors/index.ts';
import type { KnowledgeChange, RecordsStore } from '../records/types.ts';
import { addWordingsToRow, changeFaqFile, findEntryRow, readEntry, readFaqTable, upsertRows, type FaqRow } from './faq-file.ts';

/** kefu's own FAQ file, at the top of the ingest folder. */
export const KEFU_FAQ_FILE = 'kefu-answers.csv';
/** The folder (inside the ingest folder) holding a running release's staged files. */
export const STAGING_DIR = 'kefu-release';

/** Rejects paths that leave the folder, are hidden, or name the staging folder itself. */
export function checkRelativePath(file: string): string {
  const normalized = file.replaceAll('\\', '/').replace(/^\/+/, '');
  const parts = normalized.split('/');
  if (!normalized || normalized.length > 500 || parts.some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.') || /[\u0000-\u001f]/.test(part))) {
    throw new KefuError('UPLOAD_INVALID', { detail: `"${file}" is not a plain path inside the ingest folder` });
  }
  if (parts[0] === STAGING_DIR) throw new KefuError('UPLOAD_INVALID', { detail: `"${file}" is inside ${STAGING_DIR}/, which kefu manages for releases` });
  return normalized;
}

export function stagedPath(file: string): string {
  return `${STAGING_DIR}/${file}`;
}

/** The live path a staged document path stands for, or undefined for a path outside the staging folder. */
export function liveOfStaged(docPath: string): string | undefined {
  return docPath.startsWith(`${STAGING_DIR}/`) ? docPath.slice(STAGING_DIR.length + 1) : undefined;
}

export interface KnowledgeFiles {
  readonly inboxDir: string;
  /** Writes a change into its file: the live one, or the staged copy when the change is staged. */
  apply(change: KnowledgeChange): Promise<void>;
  /** Puts kefu's entries that are missing from kefu's FAQ file back (a stale copy was saved over them). Returns their ids. */
  restoreMissing(): Promise<string[]>;
  /** Removes an entry's row from kefu's FAQ file (live or staged). */
  removeEntry(options: { entryId: string; staged: boolean }): Promise<void>;
  /** An FAQ entry as its file has it now, or undefined (the file or the row is gone). */
  readEntry(options: { file: string; entryId: string }): Promise<FaqRow | undefined>;
  /** Writes an uploaded document (temporary file, then rename), live or staged. Returns its path in the folder. */
  writeDocument(options: { file: string; bytes: Buffer; staged: boolean }): Promise<string>;
  /** Moves a document out of the ingest folder into `<trash>/<time>/` (never deleted outright). */
  trashDocument(options: { file: string; trashDir: string }): Promise<string>;
  /** Moves a staged file over its live path (promotion of uploads and of staged FAQ copies is done by replaying changes). */
  promoteDocument(file: string): Promise<void>;
  /** Deletes the staging folder. */
  clearStaging(): Promise<void>;
}

function toRow(change: KnowledgeChange): FaqRow {
  return { id: change.entryId, question: change.question, answer: change.answer, alternates: change.wordings, category: change.category };
}

/**
 * @example
 *   const files = createKnowledgeFiles({ inboxDir: config.inboxDir, records });
 */
export function createKnowledgeFiles(options: { inboxDir: string; records: RecordsStore; lockTimeoutMs?: number }): KnowledgeFiles {
  const { inboxDir, records } = options;
  const absolute = (file: string) => path.join(inboxDir, ...file.split('/'));
  const lock = options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs };
  const readLive = (file: string) => async () => readFile(absolute(file)).catch(() => undefined);

  /** kefu's live entries that should be in its FAQ file (latest change per entry id). */
  async function liveEntries(): Promise<FaqRow[]> {
    const byId = new Map<string, FaqRow>();
    for (const change of await records.listKnowledgeChanges({ file: KEFU_FAQ_FILE, status: 'live' })) if (change.kind === 'faq-entry') byId.set(change.entryId, toRow(change));
    return [...byId.values()];
  }

  return {
    inboxDir,

    async apply(change) {
      const staged = change.status === 'staged';
      const target = absolute(staged ? stagedPath(change.file) : change.file);
      const seed = staged ? readLive(change.file) : undefined;
      if (change.kind === 'faq-entry') {
        const restore = change.file === KEFU_FAQ_FILE && !staged ? (await liveEntries()).filter((entry) => entry.id !== change.entryId) : [];
        await changeFaqFile({
          path: target,
          ...(seed ? { seed } : {}),
          ...lock,
          change: (table) => {
            upsertRows(table, [toRow(change)]);
            upsertRows(table, restore, { onlyMissing: true });
            return { changed: true, result: undefined };
          },
        });
      } else if (change.kind === 'faq-wordings') {
        await changeFaqFile({
          path: target,
          ...(seed ? { seed } : {}),
          ...lock,
          change: (table) => {
            const added = addWordingsToRow(table, change.entryId, change.wordings);
            return { changed: added.length > 0, result: undefined };
          },
        });
      } else if (change.kind === 'upload' && !staged) {
        await this.promoteDocument(change.file);
      }
    },

    async restoreMissing() {
      const entries = await liveEntries();
      if (entries.length === 0) return [];
      return changeFaqFile({
        path: absolute(KEFU_FAQ_FILE),
        ...lock,
        change: (table) => {
          const restored = upsertRows(table, entries, { onlyMissing: true });
          return { changed: restored.length > 0, result: restored };
        },
      });
    },

    async removeEntry({ entryId, staged }) {
      const target = absolute(staged ? stagedPath(KEFU_FAQ_FILE) : KEFU_FAQ_FILE);
      await changeFaqFile({
        path: target,
        ...lock,
        change: (table) => {
          const row = findEntryRow(table, entryId);
          if (row === undefined) return { changed: false, result: undefined };
          table.rows.splice(row, 1);
          return { changed: true, result: undefined };
        },
      }).catch((error: unknown) => {
        if (error instanceof KefuError && error.code === 'FAQ_FILE_INVALID') return undefined;
        throw error;
      });
    },

    async readEntry({ file, entryId }) {
      const table = await readFaqTable(absolute(file)).catch(() => undefined);
      if (!table) return undefined;
      const row = findEntryRow(table, entryId);
      return row === undefined ? undefined : readEntry(table, row);
    },

    async writeDocument({ file, bytes, staged }) {
      const relative = staged ? stagedPath(checkRelativePath(file)) : checkRelativePath(file);
      const target = absolute(relative);
      await mkdir(path.dirname(target), { recursive: true });
      // ".part" files are ignored by the sync until renamed.
      const temporary = `${target}.${process.pid}.${Date.now()}.part`;
      await writeFile(temporary, bytes);
      await rename(temporary, target);
      return relative;
    },

    async trashDocument({ file, trashDir }) {
      const relative = file.replaceAll('\\', '/');
      const source = absolute(relative);
      if (path.relative(inboxDir, source).startsWith('..')) throw new KefuError('UPLOAD_INVALID', { detail: `"${file}" is not inside the ingest folder` });
      const info = await stat(source).catch(() => undefined);
      if (!info?.isFile()) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: file });
      const destination = path.join(trashDir, new Date().toISOString().replace(/[:.]/g, '-'), ...relative.split('/'));
      await mkdir(path.dirname(destination), { recursive: true });
      try {
        await rename(source, destination);
      } catch {
        // Another file system (the trash on another disk): copy, then remove.
        await copyFile(source, destination);
        await rm(source);
      }
      return destination;
    },

    async promoteDocument(file) {
      const source = absolute(stagedPath(file));
      const target = absolute(file);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(source, target).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },

    async clearStaging() {
      await rm(absolute(STAGING_DIR), { recursive: true, force: true });
    },
  };
}
