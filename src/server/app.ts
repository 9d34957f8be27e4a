/**
 * The chat service as a Fastify app. `buildApp` configures everything and never listens: tests call
 * `app.inject`, and `listen.ts` (used by `kefu serve`) listens and shuts down gracefully.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Server } from 'node:http';
import Fastify, { type FastifyHttpOptions, type FastifyServerOptions } from 'fastify';
import { createAccounts } from '../accounts/index.ts';
import type { AnswerService } from '../answer/types.ts';
import type { Config } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import { createMemoryBus, createWebhookWorker, trackPresence, type EventBus } from '../events/index.ts';
import { createChannelOutbox, createChannelService, createWechatClient, createWechatEndpoint } from '../channels/index.ts';
import { createConversationTurns } from '../conversations/turn.ts';
import { createHandoverService, type IntentRoute } from '../handover/index.ts';
import type { RecordsStore } from '../records/types.ts';
import type { DocumentAccess, DocumentReader } from './document-access.ts';
import { clientErrorHandler, errorHandler, frameworkErrorHandler } from './errors.ts';
import { createLiveStreams } from './live.ts';
import { createServiceMetrics } from './metrics.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAgentRoutes } from './routes/agent.ts';
import { registerChannelRoutes } from './routes/channels.ts';
import { registerChatRoutes } from './routes/chat.ts';
import { registerConversationRoutes } from './routes/conversations.ts';
import { registerDocumentRoutes } from './routes/documents.ts';
import { registerEvalRoutes } from './routes/eval.ts';
import { registerOperationRoutes } from './routes/operations.ts';
import { registerOwnerRoutes } from './routes/owner.ts';
import type { OwnerConsole } from './owner-console.ts';
import { registerSessionRoutes } from './routes/session.ts';
import { registerWechatRoutes } from './routes/wechat.ts';
import { ErrorBody } from './schemas.ts';

/** Where the index stands with the ingest folder (shown by /api/health and the chat page). */
export interface IndexingStatus {
  /** 'syncing' while a sync runs; 'idle' between syncs; 'stalled' when changes wait longer than they should. */
  state: 'starting' | 'syncing' | 'idle' | 'stalled';
  /** Files handled / listed in the sync that is running (or the last one). */
  filesDone: number;
  filesTotal: number;
  /** ISO time the last sync finished without a store or model failure. */
  lastSuccessAt?: string;
  /** The last sync failure, for operators (no paths or secrets: a code and a short message). */
  lastError?: string;
}

/** Readiness: each check names a dependency (model, index) and says whether it is usable. */
export interface HealthReport {
  checks: Record<string, boolean>;
  indexing?: IndexingStatus;
}

export type HealthCheck = () => Promise<HealthReport> | HealthReport;

export interface BuildAppOptions {
  config: Config;
  answerService: AnswerService;
  records: RecordsStore;
  /** Readiness of the model and index; records are checked by the app itself. */
  health?: HealthCheck;
  /** Fastify logger setting; defaults to JSON logs at config.server.logLevel. Tests pass `false`. */
  logger?: FastifyServerOptions['logger'];
  /** Folder of the web chat; defaults to the repository's web/. */
  webRoot?: string;
  /**
   * Which documents customers may open (indexed ones only). Without it no document is served: the
   * composition root wires it from the index (`cli/document-services.ts`).
   */
  documents?: DocumentAccess;
  /** Reads a document's sections for the readable view; without it the view answers 404. */
  documentReader?: DocumentReader;
  /**
   * Where committed changes are published for live streams and webhooks; defaults to an in-process bus. Several
   * replicas pass a bus shared through their database (PostgreSQL LISTEN/NOTIFY).
   */
  bus?: EventBus;
  /** Routes an answered question to people by intent (a later intent layer); none by default. */
  routeToPeople?: IntentRoute;
  /**
   * The owner console's services (documents, gaps, releases, the report, the check before publishing), wired by the
   * composition root (`cli/owner-console.ts`). Without it the console's routes answer 503 and every customer gets
   * every indexed document (no visibility rules, no release).
   */
  owner?: OwnerConsole;
}

function createFastify(options: FastifyHttpOptions<Server>) {
  return Fastify(options).withTypeProvider<TypeBoxTypeProvider>();
}

/** The app with TypeBox typing of requests and replies. */
export type KefuApp = ReturnType<typeof createFastify>;

const defaultWebRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** KEFU_TRUST_PROXY as Fastify takes it (a hop count becomes the function Fastify builds for one). */
function trustProxyOption(setting: Config['server']['trustProxy']): FastifyServerOptions['trustProxy'] {
  if (typeof setting === 'number') return (_address: string, hop: number) => hop < setting;
  return typeof setting === 'boolean' ? setting : [...setting];
}

/** Keys that could reach an object's prototype when a body is merged into another object. */
function findForbiddenKey(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '__proto__') return key;
    if (key === 'constructor' && inner && typeof inner === 'object' && Object.hasOwn(inner, 'prototype')) return 'constructor.prototype';
    const found = findForbiddenKey(inner);
    if (found) return found;
  }
  return undefined;
}

/**
 * The JSON body parser: Fastify's refuses `__proto__` keys too, but reports them as "not valid JSON";
 * this one names the key. JSON.parse makes `__proto__` an own property (no pollution), which is then refused.
 */
function parseJsonBody(body: string): unknown {
  if (body.length === 0) throw new KefuError('REQUEST_INVALID', { detail: 'the body is empty' });
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new KefuError('REQUEST_INVALID', { detail: 'the body is not valid JSON', cause: error });
  }
  const forbidden = /__proto__|constructor/.test(body) ? findForbiddenKey(value) : undefined;
  if (forbidden) throw new KefuError('REQUEST_INVALID', { detail: `the body contains a "${forbidden}" key, which is not allowed` });
  return value;
}

/**
 * Gauges behind the shipped alert rules (ops/prometheus), read before each scrape: the hand-over queue against its
 * first-response target, documents by status, the watcher's state and last successful sync, the running release.
 */
function watchForAlerts(options: { metrics: ReturnType<typeof createServiceMetrics>; records: RecordsStore; config: Config; health: HealthCheck | undefined; owner: OwnerConsole | undefined }): void {
  const { metrics, records, config } = options;
  metrics.firstResponseTarget.set(config.handover.firstResponseTargetMinutes * 60);
  metrics.metrics.beforeScrape(async () => {
    const waiting = await records.waitingTickets();
    metrics.waitingTickets.set(waiting.count);
    metrics.oldestWaiting.set(waiting.oldestCreatedAt ? Math.max(0, (Date.now() - Date.parse(waiting.oldestCreatedAt)) / 1000) : 0);
  });
  metrics.metrics.beforeScrape(async () => {
    const indexing = options.health ? (await options.health()).indexing : undefined;
    metrics.indexingStalled.set(indexing?.state === 'stalled' ? 1 : 0);
    metrics.indexingLastSuccess.set(indexing?.lastSuccessAt ? Date.parse(indexing.lastSuccessAt) / 1000 : 0);
  });
  const owner = options.owner;
  if (!owner) return;
  metrics.metrics.beforeScrape(async () => {
    const counts = { indexed: 0, failed: 0, skipped: 0, indexing: 0 };
    for (const document of await owner.documents.list()) counts[document.status] += 1;
    for (const [status, count] of Object.entries(counts)) metrics.documents.set(count, { status });
    metrics.releaseShare.set((await owner.releases.current())?.share ?? 0);
  });
}

/** No document is open to customers until the composition root says which are. */
const noDocuments: DocumentAccess = { lookup: async () => undefined, passage: async () => undefined };

/**
 * Builds the configured app without listening.
 *
 * @example
 *   const app = await buildApp({ config, answerService, records, logger: false });
 *   const response = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'Refund policy?' } });
 */
export async function buildApp(options: BuildAppOptions): Promise<KefuApp> {
  const { config } = options;
  const { server } = config;
  const app = createFastify({
    logger: options.logger ?? { level: server.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    bodyLimit: server.bodyLimitBytes,
    trustProxy: trustProxyOption(server.trustProxy),
    // In-flight requests (and streams) finish on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
    // Slow clients cannot hold connections: headers and the whole request (body included) have deadlines,
    // idle keep-alive and idle sockets are closed. Node checks the deadlines every connectionsCheckingInterval.
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    connectionTimeout: server.idleTimeoutMs,
    http: {
      headersTimeout: server.headersTimeoutMs,
      requestTimeout: server.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(server.headersTimeoutMs / 4))),
    },
    // Longer path parameters reach validation, which names the limit (the router would answer 404).
    routerOptions: { maxParamLength: 2000 },
    // A JSON number is not a question: no type coercion of bodies (routes take no numeric query parameters).
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const error = new KefuError('ROUTE_NOT_FOUND', { detail: `${request.method} ${request.url.split('?')[0] ?? ''}` });
    void reply.status(404).send({ error: error.toJSON() });
  });
  app.addSchema(ErrorBody);
  // Only JSON bodies: a text/plain body is refused (415) rather than read as a string.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  const corsOrigins = server.corsOrigins;
  const anyOrigin = corsOrigins.length === 0 || corsOrigins.includes('*');
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        // The chat page is embeddable (the widget opens it in an iframe on the customer's site).
        frameAncestors: anyOrigin ? ['*'] : ["'self'", ...corsOrigins],
        // Plain-HTTP installs on a LAN address must keep working.
        upgradeInsecureRequests: null,
      },
    },
    frameguard: false,
    // widget.js is loaded by other sites.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
  await app.register(cors, { origin: corsOrigins.includes('*') ? true : corsOrigins.length > 0 ? [...corsOrigins] : false });

  // The rate limit is for the API: page assets, docs and /metrics are not counted (a page load fetches
  // several files); a route may still set its own limit (/api/eval/ask) or none (/api/health). The workspace
  // (an agent typing, opening conversations, several agents behind one office address) gets four times the
  // customers' limit; its routes need credentials before they do any work.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') && route.config?.rateLimit === undefined) route.config = { ...route.config, rateLimit: false };
    else if (/^\/api\/(agent|admin)\//.test(route.url) && route.config?.rateLimit === undefined) {
      route.config = { ...route.config, rateLimit: { max: server.rateLimitPerMinute * 4, timeWindow: 60_000 } };
    }
  });
  await app.register(rateLimit, {
    max: server.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: () => new KefuError('RATE_LIMITED'),
  });

  await app.register(swagger, {
    // Shared schemas appear under their own names (ErrorBody) rather than def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`) },
    openapi: {
      info: {
        title: 'kefu chat API',
        version: '0.1.0',
        description: 'Ask questions answered from the knowledge base with citations, rate answers, and hand a conversation to a person.',
      },
      tags: [
        { name: 'chat', description: 'Questions, conversations, feedback, hand-over (a conversation needs its X-Conversation-Token)' },
        { name: 'staff', description: 'Signing in to the agent workspace' },
        { name: 'agent', description: 'The agent workspace: queue, conversations, replies, notes, assignment, quick replies, live updates (agents and owners)' },
        { name: 'admin', description: 'Accounts, settings, the webhook delivery log (admins)' },
        { name: 'owner', description: 'The owner console: documents and visibility, knowledge gaps, answers, checks, gradual releases, the KPI report (owners)' },
        { name: 'documents', description: 'Cited source documents' },
        { name: 'channels', description: 'Front ends other than the web chat: registering channels (owners and admins), the channel API (a channel token), the WeChat Official Account endpoint' },
        { name: 'operations', description: 'Health and metrics' },
        { name: 'evaluation', description: 'For `kefu eval --url` (only when KEFU_EVAL_TOKEN is set)' },
      ],
      components: {
        securitySchemes: {
          evalToken: { type: 'http', scheme: 'bearer', description: 'KEFU_EVAL_TOKEN' },
          staffToken: { type: 'http', scheme: 'bearer', description: 'A sign-in token from `npx kefu users add`' },
          session: { type: 'apiKey', in: 'cookie', name: 'kefu_session', description: 'The workspace session (POST /api/session); changes also need X-CSRF-Token' },
          conversationToken: { type: 'apiKey', in: 'header', name: 'X-Conversation-Token', description: 'The conversationToken returned when the conversation started' },
          channelToken: { type: 'http', scheme: 'bearer', description: 'A channel token (POST /api/admin/channels prints it once)' },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/upgrade-insecure-requests;?/, ''),
  });

  const metrics = createServiceMetrics();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    // Live streams last minutes; as latencies they would drown every request that matters.
    if (route === '/metrics' || route.endsWith('/events')) return;
    metrics.requestDuration.observe(reply.elapsedTime / 1000, { method: request.method, route, status: String(reply.statusCode) });
  });

  const { records } = options;
  const bus = options.bus ?? createMemoryBus({ onError: (error) => app.log.warn({ err: error }, 'a live event listener failed') });
  const presence = trackPresence({ bus });
  const accounts = createAccounts({ records, settings: config.accounts });
  const handover = createHandoverService({
    records,
    bus,
    presence,
    settings: config.handover,
    onTicketOpened: (reason) => metrics.tickets.inc({ reason }),
    ...(options.routeToPeople ? { routeToPeople: options.routeToPeople } : {}),
  });
  const live = createLiveStreams({ bus, records, presence, settings: config.live, log: app.log });
  const webhooks = createWebhookWorker({ records, bus, settings: config.webhooks, log: app.log });
  const wechatSettings = config.channels.wechat;
  const wechatClient = wechatSettings?.appId ? createWechatClient({ settings: wechatSettings }) : undefined;
  // Channels are told what people say outside a turn; the retry settings are the webhooks' (KEFU_WEBHOOK_*).
  const outbox = createChannelOutbox({ records, bus, settings: config.webhooks, log: app.log, ...(wechatClient ? { wechat: wechatClient } : {}) });
  metrics.metrics.gauge('kefu_live_streams', 'Live update streams (SSE) open now, customers and agents', () => live.count());
  app.addHook('onReady', async () => {
    await webhooks.start();
    await outbox.start();
  });
  // Live streams never finish on their own: end them first, so closing waits only for real requests.
  app.addHook('preClose', async () => {
    live.closeAll();
  });
  app.addHook('onClose', async () => {
    await webhooks.stop();
    await outbox.stop();
    presence.stop();
    if (!options.bus) await bus.close();
  });

  const documents = options.documents ?? noDocuments;
  const dependencies = { app, config, answerService: options.answerService, records, metrics, handover };
  const turns = createConversationTurns({ records, handover, answerService: options.answerService, metrics, log: app.log, ...(options.owner ? { routing: options.owner.releases } : {}) });
  registerChatRoutes({ app, config, records, metrics, turns, accounts });
  const channels = createChannelService({ records, turns, idleMs: config.channels.idleMs });
  registerChannelRoutes({ app, config, records, accounts, channels, live });
  if (wechatSettings) {
    const endpoint = createWechatEndpoint({ settings: wechatSettings, channels, maxQuestionChars: config.server.maxQuestionChars, log: app.log, ...(wechatClient ? { client: wechatClient } : {}) });
    await registerWechatRoutes({ app, config, endpoint });
    // Slow answers still on their way to WeChat followers are sent before the app closes.
    app.addHook('onClose', async () => endpoint.settle());
  }
  registerEvalRoutes(dependencies);
  registerConversationRoutes({ app, records, handover, live, metrics });
  registerSessionRoutes({ app, config, accounts });
  registerAgentRoutes({ app, config, records, accounts, handover, bus, presence, live, documents, metrics });
  registerAdminRoutes({ app, config, records, accounts, handover, live });
  registerDocumentRoutes({ app, documents, reader: options.documentReader });
  await registerOwnerRoutes({ app, config, accounts, owner: options.owner });
  registerOperationRoutes({ ...dependencies, health: options.health });
  watchForAlerts({ metrics, records, config, health: options.health, owner: options.owner });
  // The workspace lives at /agent/ and the owner console at /admin/ (their assets are relative to those folders).
  app.get('/agent', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/agent/', 302));
  app.get('/admin', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/admin/', 302));

  await app.register(fastifyStatic, {
    root: options.webRoot ?? defaultWebRoot,
    prefix: '/',
    index: 'index.html',
    // Only the pages' own assets (the chat, the agent workspace under /agent/, the owner console under /admin/): never the tests, READMEs or
    // anything else in the folder.
    allowedPath: (pathName) => pathName === '/' || pathName === '/agent/' || pathName === '/admin/' || /^\/(?:agent\/|admin\/)?[\w-]+\.(?:html|css|js|svg|png|ico|webmanifest)$/.test(pathName),
    cacheControl: true,
    maxAge: '5m',
  });

  return app;
}
