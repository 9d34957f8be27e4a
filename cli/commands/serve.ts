import type { Command } from 'commander';
import { loadConfig, withAnswerSettings } from '../../src/config/index.ts';
import { promotedSettings } from '../../src/release/index.ts';
import { openSqliteRecords } from '../../src/records/index.ts';
import { buildApp } from '../../src/server/app.ts';
import { listen } from '../../src/server/listen.ts';
import { watchFolder, type FolderWatcher } from '../../ingest/watch.ts';
import { syncFolder } from '../../ingest/sync.ts';
import { openKnowledgeBase, seedInbox } from '../knowledge-base.ts';
import { createDocumentServices } from '../document-services.ts';
import { createOwnerConsole } from '../owner-console.ts';

interface ServeOptions {
  watch: boolean;
  port?: number;
  host?: string;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${value}`);
  return port;
}

/**
 * The composition root of the chat service: config → model + index (synced with the ingest folder,
 * seeded with the sample knowledge base on first start) → records → app → listen.
 */
export function register(program: Command): void {
  program
    .command('serve')
    .description('start the chat service: web chat at http://host:port/, API at /api, docs at /docs')
    .option('--no-watch', 'sync the ingest folder once at start instead of following changes')
    .option('-p, --port <port>', 'port to listen on (default KEFU_PORT, 3000)', portNumber)
    .option('--host <host>', 'address to listen on (default KEFU_HOST, 127.0.0.1)')
    .addHelpText(
      'after',
      '\nOn first start an empty ingest folder (KEFU_INBOX, default <data dir>/inbox) gets a copy of the sample\n' +
        'knowledge base so there is something to ask about. Stop with Ctrl+C: answers in progress finish first.\n\n' +
        'Examples:\n  npx kefu serve\n  KEFU_PORT=8080 KEFU_HOST=0.0.0.0 npx kefu serve\n  npx kefu serve --no-watch',
    )
    .action(async (options: ServeOptions) => {
      const records = openSqliteRecords({ path: loadConfig().databasePath });
      // Answer settings promoted by gradual releases stay in force (over the environment's).
      const config = withAnswerSettings(loadConfig(), await promotedSettings(records));
      const knowledgeBase = await openKnowledgeBase({ config, sync: false });
      const owner = createOwnerConsole({ config, records, store: knowledgeBase.store, embedder: knowledgeBase.embedder, answerService: knowledgeBase.answerService });
      let indexReady = false;
      const app = await buildApp({
        config,
        answerService: knowledgeBase.answerService,
        records,
        owner,
        ...createDocumentServices({ config, store: knowledgeBase.store, isVisible: owner.isVisible }),
        health: async () => ({ checks: { model: true, index: indexReady && (await knowledgeBase.store.version().then(() => true, () => false)) } }),
      });
      const restored = await owner.files.restoreMissing().catch((error: unknown) => {
        app.log.warn({ err: error }, 'could not check kefu-answers.csv against the answers kefu wrote');
        return [];
      });
      if (restored.length > 0) app.log.warn({ restored }, 'answers kefu wrote were missing from kefu-answers.csv (an older copy was saved over them): put back');
      const seeded = await seedInbox(config);
      if (seeded) app.log.info({ inbox: config.inboxDir }, 'copied the sample knowledge base into the empty ingest folder');
      app.log.info({ inbox: config.inboxDir }, 'bringing the index in step with the ingest folder');
      let watcher: FolderWatcher | undefined;
      if (options.watch) {
        watcher = await watchFolder({
          config,
          store: knowledgeBase.store,
          embedder: knowledgeBase.embedder,
          logger: { info: (message) => app.log.info(message), warn: (message) => app.log.warn(message), error: (message) => app.log.error(message) },
        });
        await watcher.ready;
      } else {
        const summary = await syncFolder({ config, store: knowledgeBase.store, embedder: knowledgeBase.embedder, root: config.inboxDir });
        app.log.info({ indexed: summary.indexed.length, unchanged: summary.skipped.length, failed: summary.failed.length }, 'index synced');
      }
      await knowledgeBase.answerService.prepare();
      indexReady = true;
      const address = await listen({
        app,
        host: options.host ?? config.server.host,
        port: options.port ?? config.server.port,
        onClose: async () => {
          await watcher?.close();
          await records.close();
          await knowledgeBase.close();
        },
      });
      app.log.info(`kefu chat is ready: ${address}/  (agent workspace: ${address}/agent, owner console: ${address}/admin, API docs: ${address}/docs)`);
    });
}
