import type { Command } from 'commander';
import { loadConfig, withAnswerSettings } from '../../src/config/index.ts';
import { promotedSettings } from '../../src/release/index.ts';
import { hostname } from 'node:os';
import { createPostgresBus, type PostgresBus } from '../../src/events/index.ts';
import { acquireWriterRole, openRecords, type WriterRole } from '../../src/records/index.ts';
import { buildApp, type IndexingStatus, type KefuApp } from '../../src/server/app.ts';
import { listen } from '../../src/server/listen.ts';
import { publicErrorText, watchFolder, type FolderWatcher } from '../../ingest/watch.ts';
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
 * The composition root of the chat service: config → model + index → records → app → listen at once; the ingest
 * folder (seeded with the sample knowledge base on first start) is indexed in the background meanwhile, answers
 * use what is indexed so far, and /api/health reports the progress ("indexing n of m").
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
        'knowledge base so there is something to ask about. The service listens at once and indexes the folder in\n' +
        'the background: until the first sync is done /api/health answers 503 (not ready) with "indexing" (files done of\n' +
        'files listed), and answers use what is already indexed. While serve indexes, `kefu ingest` waits for it (one\n' +
        'writer at a time).\n' +
        'Stop with Ctrl+C: answers in progress finish first.\n\n' +
        'Examples:\n  npx kefu serve\n  KEFU_PORT=8080 KEFU_HOST=0.0.0.0 npx kefu serve\n  npx kefu serve --no-watch',
    )
    .action(async (options: ServeOptions) => {
      const settings = loadConfig();
      const reader = settings.role === 'reader';
      const records = openRecords({
        url: settings.databaseUrl,
        path: settings.databasePath,
        startupRetryMs: settings.databaseStartupRetryMs,
        onRetry: ({ attempt, delayMs, location, error }) =>
          console.error(`kefu: the records database ${location} is not reachable (${error instanceof Error ? error.message : String(error)}); retrying in ${delayMs} ms (attempt ${attempt})`),
      });
      // Answer settings promoted by gradual releases stay in force (over the environment's).
      const config = withAnswerSettings(settings, await promotedSettings(records));
      // One index writer across hosts (the OS lock only sees this machine): a second writer refuses to start.
      const writerRole: WriterRole | undefined =
        !reader && config.databaseUrl ? await acquireWriterRole({ url: config.databaseUrl, holder: `kefu serve pid ${process.pid} on ${hostname()}`, onLost: (error) => console.error('kefu: lost the database connection holding the writer role', error) }) : undefined;
      // Replicas hear each other's live events through PostgreSQL LISTEN/NOTIFY.
      let bus: PostgresBus | undefined;
      // The app's logger exists once the app does; the answer service logs through it (LLM fallbacks).
      const logTo: { app?: KefuApp } = {};
      const knowledgeBase = await openKnowledgeBase({
        config,
        sync: false,
        readOnly: reader,
        logger: { warn: (object, message) => (logTo.app ? logTo.app.log.warn(object, message) : console.error(message, object)) },
      });
      const owner = createOwnerConsole({ config, records, store: knowledgeBase.store, embedder: knowledgeBase.embedder, answerService: knowledgeBase.answerService, routing: knowledgeBase.routing });
      let watcher: FolderWatcher | undefined;
      // --no-watch: one sync in the background, reported in the same shape as the watcher's.
      const once: IndexingStatus = { state: 'starting', filesDone: 0, filesTotal: 0 };
      const controller = new AbortController();
      let firstSyncDone = false;
      if (config.databaseUrl) {
        bus = createPostgresBus({ url: config.databaseUrl, records, onError: (error, context) => (logTo.app ? logTo.app.log.warn({ err: error }, context) : console.error(context, error)) });
      }
      const app = await buildApp({
        config,
        answerService: knowledgeBase.answerService,
        records,
        ...(bus ? { bus } : {}),
        owner,
        ...createDocumentServices({ config, store: knowledgeBase.store, isVisible: owner.isVisible }),
        // Not ready (503) until the first sync is done, though it answers from what is indexed so far: a load balancer
        // or an evaluation waits for the whole folder; the page shows `indexing` (files done of files listed).
        health: async () => ({
          checks: { model: true, index: firstSyncDone && (await knowledgeBase.store.version().then(() => true, () => false)) },
          indexing: watcher ? watcher.status() : once,
        }),
      });
      logTo.app = app;
      const log = app.log;
      // A reader leaves the ingest folder to the writer.
      const restored = reader ? [] : await owner.files.restoreMissing().catch((error: unknown) => {
        log.warn({ err: error }, 'could not check kefu-answers.csv against the answers kefu wrote');
        return [];
      });
      if (restored.length > 0) log.warn({ restored }, 'answers kefu wrote were missing from kefu-answers.csv (an older copy was saved over them): put back');
      const seeded = reader ? false : await seedInbox(config);
      if (seeded) log.info({ inbox: config.inboxDir }, 'copied the sample knowledge base into the empty ingest folder');

      let syncing: Promise<void> | undefined;
      const address = await listen({
        app,
        host: options.host ?? config.server.host,
        port: options.port ?? config.server.port,
        onClose: async () => {
          controller.abort();
          await watcher?.close();
          await syncing?.catch(() => {});
          await bus?.close();
          await writerRole?.release();
          await records.close();
          await knowledgeBase.close();
        },
      });
      log.info(`kefu chat is ready: ${address}/  (agent workspace: ${address}/agent, owner console: ${address}/admin, API docs: ${address}/docs)`);
      if (config.channels.wechat) log.info(`WeChat Official Account endpoint: ${address}/wechat (plain-text mode; put the public https URL in the account's server configuration)`);
      if (!reader) log.info({ inbox: config.inboxDir }, 'indexing the ingest folder in the background; answers use what is indexed so far');
      const actions = knowledgeBase.routing.actions?.catalogue;
      if (actions) log.info({ file: actions.file, actions: actions.actions.map((action) => action.name), secrets: actions.secrets }, `${actions.actions.length} business action(s) loaded; the secrets they name are set`);

      const indexed = async () => {
        await knowledgeBase.answerService.prepare();
        firstSyncDone = true;
        log.info({ inbox: config.inboxDir }, 'the index is in step with the ingest folder');
      };
      if (reader) {
        // A reader never writes the index: it answers from the writer's and follows its versions (KEFU_INDEX_REFRESH_MS).
        Object.assign(once, { state: 'idle' });
        // Until the writer has indexed something there is nothing to prepare: try again each interval.
        syncing = (async () => {
          for (let attempt = 0; !controller.signal.aborted; attempt += 1) {
            try {
              await indexed();
              return;
            } catch (error) {
              if (attempt === 0) log.warn({ err: error }, 'the shared index is not readable yet; trying again until the writer has written it');
              await new Promise((resolve) => setTimeout(resolve, Math.max(1000, config.indexRefreshMs)));
            }
          }
        })();
        log.info({ refreshMs: config.indexRefreshMs }, 'reader replica: answering from the shared index, following each new version');
      } else if (options.watch) {
        watcher = await watchFolder({
          config,
          store: knowledgeBase.store,
          embedder: knowledgeBase.embedder,
          owner: 'kefu serve',
          logger: { info: (message) => log.info(message), warn: (message) => log.warn(message), error: (message) => log.error(message) },
        });
        syncing = watcher.ready.then(indexed, (error: unknown) => log.error({ err: error }, 'the first sync failed'));
      } else {
        once.state = 'syncing';
        syncing = syncFolder({
          config, store: knowledgeBase.store, embedder: knowledgeBase.embedder, root: config.inboxDir, owner: 'kefu serve', signal: controller.signal,
          lockTimeoutMs: Number.POSITIVE_INFINITY,
          onProgress: (event) => {
            if (event.type === 'scanned') once.filesTotal = event.filesTotal;
            if (event.type === 'file') once.filesDone = event.filesDone;
          },
        }).then(
          async (summary) => {
            Object.assign(once, { state: 'idle', lastSuccessAt: new Date().toISOString() });
            log.info({ indexed: summary.indexed.length, unchanged: summary.skipped.length, failed: summary.failed.length }, 'index synced');
            await indexed();
          },
          (error: unknown) => {
            Object.assign(once, { state: 'stalled', lastError: publicErrorText(error) });
            if (!controller.signal.aborted) log.error({ err: error }, 'the sync failed; restart kefu serve to try again');
          },
        );
      }
    });
}
