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
import type { TitleCandidate } from './types.ts';

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
