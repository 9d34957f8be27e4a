import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import { KefuError } from '../../src/errors/index.ts';
import { describeHolder, indexLocation, openStore } from '../../src/store/index.ts';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.min(50, Math.max(...rows.map((row) => (row[column] ?? '').length)))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function register(program: Command): void {
  const docs = program
    .command('docs')
    .description('list the documents in the index, or remove one from it');

  docs
    .command('list')
    .description('list indexed and failed documents: path, type, status, chunks, pages, reason, indexed at')
    .option('--json', 'print the document records as JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig();
      const store = await openStore({ ...indexLocation(config), ...(config.role === 'reader' ? { readOnly: { refreshMs: 0 } } : {}) });
      try {
        const documents = await store.listDocuments();
        if (options.json) {
          console.log(JSON.stringify(documents, null, 2));
          return;
        }
        if (documents.length === 0) {
          console.log(`No documents indexed yet. Put files in ${config.inboxDir} and run \`npx kefu ingest\`.`);
          return;
        }
        console.log(table([
          ['path', 'type', 'status', 'chunks', 'pages', 'indexed at', 'reason'],
          ...documents.map((document) => [document.path, document.type, document.status, String(document.chunkCount), String(document.pageCount || '-'), document.indexedAt.slice(0, 19).replace('T', ' '), document.reason]),
        ]));
        const failed = documents.filter((document) => document.status !== 'indexed').length;
        console.log(`\n${documents.length} documents (${documents.length - failed} indexed, ${failed} not indexed), ${await store.countChunks()} chunks; model ${(await store.modelId()) ?? 'none yet'}`);
      } finally {
        await store.close();
      }
    });

  docs
    .command('remove')
    .description('remove a document and its chunks from the index (the file itself is not deleted)')
    .argument('<path>', 'the document path as `kefu docs list` shows it, or the path of the file itself')
    .addHelpText('after', `
The file on disk is left alone. If it is still in the inbox, the next \`kefu ingest\` (or \`kefu watch\`)
indexes it again: to keep it out for good, move it out of the inbox instead.`)
    .action(async (given: string) => {
      const config = loadConfig();
      const store = await openStore({ ...indexLocation(config), ...(config.role === 'reader' ? { readOnly: { refreshMs: 0 } } : {}) });
      try {
        const asInboxKey = path.relative(config.inboxDir, path.resolve(given)).split(path.sep).join('/');
        const candidates = [given.split(path.sep).join('/'), asInboxKey];
        let found: string | undefined;
        for (const candidate of candidates) if (!found && (await store.getDocument(candidate))) found = candidate;
        // A file path of a document ingested from another folder (its record keeps that folder as `root`).
        found ??= (await store.listDocuments()).find((document) => document.root && path.resolve(document.root, document.path) === path.resolve(given))?.path;
        if (!found) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: given });
        const document = await store.getDocument(found);
        // One writer at a time (a watching `kefu serve` may be indexing).
        const lock = await store.lockForWriting({ owner: 'kefu docs remove', activity: `removing ${found}`, timeoutMs: config.ingest.lockTimeoutMs, onWait: (holder) => console.error(`Waiting for ${describeHolder(holder)}…`) });
        try {
          await store.removeDocument(found);
          await store.optimize();
        } finally {
          lock.release();
        }
        console.log(`Removed ${found} (${document?.chunkCount ?? 0} chunks) from the index. The file itself was not touched.`);
      } finally {
        await store.close();
      }
    });
}
