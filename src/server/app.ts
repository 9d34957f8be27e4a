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
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { AnswerService } from '../answer/types.ts';
import type { Config } from '../config/index.ts';
import { KefuError } from '../errors/index.ts';
import type { RecordsStore } from '../records/types.ts';
import { errorHandler } from './errors.ts';
import { createServiceMetrics } from './metrics.ts';
import { registerChatRoutes } from './routes/chat.ts';
import { registerConversationRoutes } from './routes/conversations.ts';
import { registerDocumentRoutes } from './routes/documents.ts';
import { registerOperationRoutes } from './routes/operations.ts';
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
  /** Folder documents are served from (sources link there); defaults to config.inboxDir. */
  documentsDir?: string;
}

function createFastify(options: FastifyServerOptions) {
  return Fastify(options).withTypeProvider<TypeBoxTypeProvider>();
}

/** The app with TypeBox typing of requests and replies. */
export type KefuApp = ReturnType<typeof createFastify>;

const defaultWebRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/**
 * Builds the configured app without listening.
 *
 * @example
 *   const app = await buildApp({ config, answerService, records, logger: false });
 *   const response = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'Refund policy?' } });
 */
export async function buildApp(options: BuildAppOptions): Promise<KefuApp> {
  const { config } = options;
  const app = createFastify({
    logger: options.logger ?? { level: config.server.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    bodyLimit: config.server.bodyLimitBytes,
    // In-flight requests (and streams) finish on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const error = new KefuError('ROUTE_NOT_FOUND', { detail: `${request.method} ${request.url.split('?')[0] ?? ''}` });
    void reply.status(404).send({ error: error.toJSON() });
  });
  app.addSchema(ErrorBody);

  const corsOrigins = config.server.corsOrigins;
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
  await app.register(rateLimit, {
    max: config.server.rateLimitPerMinute,
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
        { name: 'chat', description: 'Questions, conversations, feedback, hand-over' },
        { name: 'documents', description: 'Cited source documents' },
        { name: 'operations', description: 'Health and metrics' },
      ],
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
    if (route === '/metrics') return;
    metrics.requestDuration.observe(reply.elapsedTime / 1000, { method: request.method, route, status: String(reply.statusCode) });
  });

  const dependencies = { app, config, answerService: options.answerService, records: options.records, metrics };
  registerChatRoutes(dependencies);
  registerConversationRoutes(dependencies);
  registerDocumentRoutes({ app, documentsDir: options.documentsDir ?? config.inboxDir });
  registerOperationRoutes({ ...dependencies, health: options.health });

  await app.register(fastifyStatic, {
    root: options.webRoot ?? defaultWebRoot,
    prefix: '/',
    index: 'index.html',
    // Only the page's own assets: never the tests, READMEs or anything else in the folder.
    allowedPath: (pathName) => pathName === '/' || /^\/[\w-]+\.(?:html|css|js|svg|png|ico|webmanifest)$/.test(pathName),
    cacheControl: true,
    maxAge: '5m',
  });

  return app;
}
