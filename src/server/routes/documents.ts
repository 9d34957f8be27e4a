/**
 * GET /api/documents/<docPath>: the original file a source cites, read-only from the documents folder.
 * Paths that leave the folder (`..`, absolute paths, symlinks pointing out) answer 404. Text formats are
 * sent as text/plain inside a sandbox, so a document containing `<script>` is shown, never run.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import Type from 'typebox';
import { KefuError } from '../../errors/index.ts';
import { formatOf } from '../../formats/index.ts';
import type { KefuApp } from '../app.ts';


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

export function registerDocumentRoutes({ app, documentsDir }: { app: KefuApp; documentsDir: string }): void {
  app.get(
    '/api/documents/*',
    {
      schema: {
        tags: ['documents'],
        summary: 'Open a cited document (PDFs open at #page=N in the browser viewer)',
        params: Type.Object({ '*': Type.String() }),
        response: { 404: { $ref: 'ErrorBody#' } },
      },
    },
    async (request, reply) => {
      const documentPath = request.params['*'];
      const file = await resolveDocument(documentsDir, documentPath);
      if (!file) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: documentPath });
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
}
