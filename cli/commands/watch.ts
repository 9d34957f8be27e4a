import type { Command } from 'commander';
import { watchFolder } from '../../ingest/watch.ts';
import { hostname } from 'node:os';
import { loadConfig } from '../../src/config/index.ts';
import { KefuError } from '../../src/errors/index.ts';
import { acquireWriterRole } from '../../src/records/index.ts';
import { createEmbedder } from '../../src/embeddings/index.ts';
import { indexLocation, openStore } from '../../src/store/index.ts';

function stamp(): string {
  return new Date().toISOString().slice(11, 19);
}

export function register(program: Command): void {
  program
    .command('watch')
    .description('follow the inbox (KEFU_INBOX) and keep the index in sync as files are added, changed or deleted')
    .option('--folder <path>', 'follow this folder instead of the inbox')
    .addHelpText('after', `
Watches first, then runs a full sync, then re-syncs after each burst of changes: it waits KEFU_WATCH_DEBOUNCE_MS
(default 1500 ms) of quiet, but never longer than KEFU_WATCH_MAX_WAIT_MS (default 5000 ms) after a change, and
waits for files still being copied. Hundreds of files dropped at once become one sync; a file added during a
sync is synced right after it. A failed sync is retried. Each outcome (indexed, failed with its reason, removed)
is logged with the time from the change to answerable. The inbox is created if missing. While another kefu
process writes the index, the sync waits for it (one writer at a time).
Stop with Ctrl-C: the document being written is finished first, and the index stays consistent.`)
    .action(async (options: { folder?: string }) => {
      const config = loadConfig();
      if (config.role === 'reader') throw new KefuError('INDEX_READ_ONLY', { detail: 'kefu watch writes the index; it runs as the writer (unset KEFU_ROLE or set KEFU_ROLE=writer)' });
      // With replicas on PostgreSQL, one writer across hosts: a second `kefu watch` (or a writer `kefu serve`) refuses.
      const writerRole = config.databaseUrl ? await acquireWriterRole({ url: config.databaseUrl, holder: `kefu watch pid ${process.pid} on ${hostname()}`, onLost: (error) => console.error('kefu: lost the database connection holding the writer role', error) }) : undefined;
      const store = await openStore(indexLocation(config));
      const logger = {
        info: (message: string) => console.log(`${stamp()} ${message}`),
        warn: (message: string) => console.log(`${stamp()} ${message}`),
        error: (message: string) => console.error(`${stamp()} ${message}`),
      };
      const embedder = await createEmbedder({ config, logger });
      // Ctrl-C and SIGTERM are handled from the start: watching begins before the first sync, which may be long.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      const watcher = await watchFolder({ config, store, embedder, logger, owner: 'kefu watch', ...(options.folder ? { root: options.folder } : {}) });
      logger.info(`syncing ${watcher.root} …`);
      await Promise.race([watcher.ready, stopped]);
      await stopped;
      logger.info('stopping…');
      await watcher.close();
      await embedder.dispose();
      await store.close();
      await writerRole?.release();
    });
}
