/**
 * The documents the chat service may show, wired from the index and the loaders (the server's
 * `DocumentAccess` and `DocumentReader` interfaces; `src/` may not import `ingest/`, so this lives in the
 * composition root). Only documents the index holds with status `indexed` exist for customers.
 *
 * @example
 *   const app = await buildApp({ config, answerService, records, ...createDocumentServices({ config, store }) });
 */
import { readFile, stat } from 'node:fs/promises';
import type { Config } from '../src/config/index.ts';
import type { DocumentRecord } from '../src/store/types.ts';
import type { ChunkStore } from '../src/store/index.ts';
import type { DocumentAccess, DocumentContent, DocumentInfo, DocumentReader } from '../src/server/document-access.ts';
import { resolveDocument } from '../src/server/routes/documents.ts';
import { KefuError } from '../src/errors/index.ts';
import { loadFile } from '../ingest/loaders/index.ts';

export interface DocumentServicesOptions {
  config: Config;
  store: ChunkStore;
  /**
   * Whether customers may see an indexed document: the owner console marks documents internal (searchable for
   * agents, never served to customers) and passes its rule here. Default: every indexed document.
   */
  isVisible?: (document: DocumentRecord) => boolean | Promise<boolean>;
}

/** Parsed documents kept for the readable view, so paging through citations does not re-parse a file. */
const CACHE_SIZE = 8;

export function createDocumentServices(options: DocumentServicesOptions): { documents: DocumentAccess; documentReader: DocumentReader } {
  const { config, store } = options;
  const isVisible = options.isVisible ?? (() => true);

  const documents: DocumentAccess = {
    async lookup(documentPath) {
      if (!documentPath || documentPath.length > 1000) return undefined;
      const record = await store.getDocument(documentPath);
      if (!record || record.status !== 'indexed' || !(await isVisible(record))) return undefined;
      return { path: record.path, root: record.root || config.inboxDir, title: record.title, type: record.type };
    },
    async passage(chunkId) {
      if (!chunkId || chunkId.length > 200) return undefined;
      const [chunk] = await store.getChunks([chunkId]);
      if (!chunk) return undefined;
      return { docPath: chunk.docPath, headingPath: chunk.headingPath, ...(chunk.page > 0 ? { page: chunk.page } : {}), text: chunk.text };
    },
  };

  const cache = new Map<string, DocumentContent>();
  const documentReader: DocumentReader = {
    async read(document: DocumentInfo) {
      const file = await resolveDocument(document.root, document.path);
      if (!file) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: document.path });
      const info = await stat(file);
      const key = `${file}\0${info.size}\0${info.mtimeMs}`;
      const cached = cache.get(key);
      if (cached) return cached;
      const parsed = await loadFile({ path: file, bytes: await readFile(file), maxFileBytes: config.ingest.maxFileBytes });
      const content: DocumentContent = {
        title: parsed.title || document.title,
        type: parsed.type,
        sections: parsed.faq
          ? parsed.faq.map((entry) => ({ headingPath: [...(entry.category ? [entry.category] : []), entry.question], text: entry.answer }))
          : parsed.sections.map((section) => ({ headingPath: section.headingPath, text: section.text, ...(section.page ? { page: section.page } : {}) })),
      };
      cache.set(key, content);
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
      return content;
    },
  };

  return { documents, documentReader };
}
