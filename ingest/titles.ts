/**
 * Choosing a document's title among the candidates its loader found (metadata title, the headings that open
 * it, a short first line, the file name). A candidate is not a title when it is shared by unrelated documents
 * of the same folder: every plan PDF of one company saying "Contoso Electronics" in its metadata or on its
 * cover names the company, not the document. Documents are unrelated when the rest of their candidates differ
 * (two copies of one document may share their title). Sync keeps the candidates of each folder's documents
 * in the index, so a later run that reads one file still sees the others.
 *
 * @example
 *   const book = new Map([['a.pdf', ['Contoso', 'Standard Plan']], ['b.pdf', ['Contoso', 'Plus Plan']]]);
 *   chooseTitle({ path: 'a.pdf', candidates: [{ text: 'Contoso', source: 'heading' }, { text: 'Standard Plan', source: 'heading' }, { text: 'a', source: 'file-name' }], book })
 *   // 'Standard Plan'
 */
import type { ChunkStore } from '../src/store/index.ts';
import type { DocumentRecord } from '../src/store/types.ts';
import { titleFromPath } from './loaders/shared.ts';
import type { ParsedDocument, TitleCandidate } from './types.ts';

/** Candidate texts per document path (file names left out), for one folder. */
export type TitleBook = Map<string, string[]>;

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** The candidate texts a document contributes to its folder's book (the file name is its own). */
export function bookEntry(candidates: readonly TitleCandidate[]): string[] {
  return candidates.filter((candidate) => candidate.source !== 'file-name').map((candidate) => candidate.text);
}

/** The first candidate not shared by an unrelated document of the book; the file name when all are. */
export function chooseTitle({ path, candidates, book }: { path: string; candidates: readonly TitleCandidate[]; book: ReadonlyMap<string, readonly string[]> }): string {
  const own = bookEntry(candidates).map(normalise);
  for (const candidate of candidates) {
    if (candidate.source === 'file-name') return candidate.text;
    const key = normalise(candidate.text);
    const rest = own.filter((text) => text !== key).join('\n');
    const shared = [...book.entries()].some(([otherPath, texts]) => {
      if (otherPath === path) return false;
      const other = texts.map(normalise);
      return other.includes(key) && other.filter((text) => text !== key).join('\n') !== rest;
    });
    if (!shared) return candidate.text;
  }
  return candidates.at(-1)?.text ?? path;
}

/** Reads a folder's book as kept in the index (an empty book for none or for damaged data). */
export function parseBook(json: string | undefined): TitleBook {
  if (!json) return new Map();
  try {
    const value: unknown = JSON.parse(json);
    if (!value || typeof value !== 'object') return new Map();
    const book: TitleBook = new Map();
    for (const [path, texts] of Object.entries(value as Record<string, unknown>)) {
      if (Array.isArray(texts)) book.set(path, texts.filter((text): text is string => typeof text === 'string'));
    }
    return book;
  } catch {
    return new Map();
  }
}

export function serializeBook(book: TitleBook): string {
  return JSON.stringify(Object.fromEntries([...book.entries()].sort(([a], [b]) => a.localeCompare(b))));
}

/** The title candidates of one folder's documents, kept in the index between runs, and the titles chosen from them. */
export interface FolderTitles {
  /** Records a parsed document's candidates and returns its title. */
  choose(key: string, parsed: ParsedDocument): string;
  forget(key: string): void;
  /** Indexed documents whose title, decided with every document of the folder known, is not the one they carry. */
  outdated(options: { records: ReadonlyMap<string, DocumentRecord>; removed: ReadonlySet<string> }): string[];
  save(): Promise<void>;
}

/**
 * Opens the title book of one folder (meta key `title-candidates:<folder>`).
 *
 * @example
 *   const titles = await openTitles({ store, root: '/srv/inbox' });
 *   const title = titles.choose('plans/standard.pdf', parsed);
 *   await titles.save();
 */
export async function openTitles({ store, root }: { store: ChunkStore; root: string }): Promise<FolderTitles> {
  const key = `title-candidates:${root}`;
  const stored = await store.getMeta(key);
  const book: TitleBook = parseBook(stored);
  /** Titles written in this run. */
  const chosen = new Map<string, string>();
  const candidatesOf = (path: string): TitleCandidate[] => [
    ...(book.get(path) ?? []).map((text): TitleCandidate => ({ text, source: 'heading' })),
    { text: titleFromPath(path), source: 'file-name' },
  ];
  return {
    choose(path, parsed) {
      if (!parsed.titleCandidates) {
        book.delete(path);
        chosen.set(path, parsed.title);
        return parsed.title;
      }
      book.set(path, bookEntry(parsed.titleCandidates));
      const title = chooseTitle({ path, candidates: parsed.titleCandidates, book });
      chosen.set(path, title);
      return title;
    },
    forget(path) {
      book.delete(path);
      chosen.delete(path);
    },
    outdated({ records, removed }) {
      const result: string[] = [];
      for (const path of [...book.keys()]) {
        const record = records.get(path);
        if (removed.has(path) || (!record && !chosen.has(path))) {
          book.delete(path);
          continue;
        }
        const current = chosen.get(path) ?? (record?.status === 'indexed' ? record.title : undefined);
        if (current !== undefined && chooseTitle({ path, candidates: candidatesOf(path), book }) !== current) result.push(path);
      }
      return result;
    },
    async save() {
      const serialized = serializeBook(book);
      if (serialized !== (stored ?? serializeBook(new Map()))) await store.setMeta(key, serialized);
    },
  };
}
