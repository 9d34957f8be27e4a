/**
 * The documents customers may open from a citation, and nothing else:
 * - GET /api/documents/<docPath>: the original file of an indexed document, read-only. Anything that is not an
 *   indexed document (a `.env`, `.git/config`, a temp file, a file that failed to ingest or was never indexed)
 *   answers 404, as do paths that leave the document's folder (`..`, symlinks pointing out). Text formats are
 *   sent as text/plain inside a sandbox, so a document containing `<script>` is shown, never run.
 * - GET /api/document-view?path=<docPath>&chunk=<chunkId>: the document's text as sections (headings and
 *   Markdown-subset text) for the readable view page (web/view.html), with the section holding the cited passage.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import Type from 'typebox';
import { KefuError } from '../../errors/index.ts';
import { formatOf } from '../../formats/index.ts';
import type { KefuApp } from '../app.ts';
import type { DocumentAccess, DocumentReader, DocumentSection, PassageInfo } from '../document-access.ts';
import { DocumentViewQuery, DocumentViewResponse } from '../schemas.ts';

/** Resolves a document path inside `root`, or undefined when it is outside or missing. */
export async function resolveDocument(root: string, documentPath: string): Promise<string | undefined> {
  if (!documentPath || documentPath.includes('\0') || path.isAbsolute(documentPath)) return undefined;
  try {
    const realRoot = await realpath(root);
    const candidate = await realpath(path.resolve(realRoot, documentPath));
    if (!candidate.startsWith(realRoot + path.sep)) return undefined;
    return (await stat(candidate)).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/** The URL that opens a document's original file (PDFs at the page). */
export function originalUrl(documentPath: string, page?: number): string {
  return `/api/documents/${documentPath.split('/').map(encodeURIComponent).join('/')}${page ? `#page=${page}` : ''}`;
}

const normalise = (text: string) => text.replace(/[*_`|#>\-\s]+/g, ' ').trim().toLowerCase();

/**
 * The section a passage came from: same heading path (and page), then the one sharing the most of the
 * passage's opening words (a heading can repeat, and a long section is cut into several chunks).
 */
export function sectionOfPassage(sections: readonly DocumentSection[], passage: PassageInfo): number | undefined {
  const candidates = sections
    .map((section, index) => ({ section, index }))
    .filter(({ section }) => section.headingPath.join(' > ') === passage.headingPath && (passage.page === undefined || section.page === undefined || section.page === passage.page));
  const pool = candidates.length > 0 ? candidates : sections.map((section, index) => ({ section, index }));
  const words = normalise(passage.text).split(' ').slice(0, 40);
  let best: { index: number; score: number } | undefined;
  for (const { section, index } of pool) {
    const text = normalise(section.text);
    // The longest run of the passage's opening words found in the section.
    let score = 0;
    for (let length = Math.min(words.length, 12); length >= 2 && score === 0; length -= 1) {
      for (let start = 0; start + length <= words.length; start += 1) {
        if (text.includes(words.slice(start, start + length).join(' '))) {
          score = length;
          break;
        }
      }
    }
    if (!best || score > best.score) best = { index, score };
  }
  if (!best) return undefined;
  return best.score > 0 || candidates.length > 0 ? best.index : undefined;
}

export function registerDocumentRoutes({ app, documents, reader }: { app: KefuApp; documents: DocumentAccess; reader: DocumentReader | undefined }): void {
  app.get(
    '/api/documents/*',
    {
      schema: {
        tags: ['documents'],
        summary: 'Open a cited document (PDFs open at #page=N in the browser viewer); only indexed documents',
        params: Type.Object({ '*': Type.String({ maxLength: 1000 }) }),
        response: { 404: { $ref: 'ErrorBody#' } },
      },
    },
    async (request, reply) => {
      const documentPath = request.params['*'];
      const document = await documents.lookup(documentPath);
      const file = document ? await resolveDocument(document.root, document.path) : undefined;
      if (!document || !file) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: documentPath });
      const format = formatOf(file);
      const fileName = encodeURIComponent(path.basename(file));
      if (format && !format.textBased) {
        reply.type(format.mimeType);
        reply.header('content-disposition', `${format.id === 'pdf' ? 'inline' : 'attachment'}; filename*=UTF-8''${fileName}`);
      } else {
        // HTML, Markdown, CSV, JSON, text: shown as text, with scripts and plugins disabled.
        reply.type('text/plain; charset=utf-8');
        reply.header('content-disposition', `inline; filename*=UTF-8''${fileName}`);
        reply.header('content-security-policy', "sandbox; default-src 'none'");
      }
      reply.header('cache-control', 'no-cache');
      return reply.send(createReadStream(file));
    },
  );

  app.get(
    '/api/document-view',
    {
      schema: {
        tags: ['documents'],
        summary: 'A cited document as readable sections (for the view page), with the section of the cited passage',
        querystring: DocumentViewQuery,
        response: { 200: DocumentViewResponse, 400: { $ref: 'ErrorBody#' }, 404: { $ref: 'ErrorBody#' }, 422: { $ref: 'ErrorBody#' } },
      },
    },
    async (request) => {
      const { path: documentPath, chunk } = request.query;
      const document = await documents.lookup(documentPath);
      if (!document || !reader) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: documentPath });
      const content = await reader.read(document);
      const passage = chunk ? await documents.passage(chunk) : undefined;
      const focusSection = passage && passage.docPath === document.path ? sectionOfPassage(content.sections, passage) : undefined;
      return {
        path: document.path,
        title: content.title || document.title,
        type: content.type,
        original: originalUrl(document.path, passage?.page),
        sections: content.sections,
        ...(focusSection !== undefined && passage ? { focus: { section: focusSection, text: passage.text } } : {}),
      };
    },
  );
}
