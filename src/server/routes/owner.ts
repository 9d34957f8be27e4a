/**
 * The owner console's API. Under `/api/admin/*`: documents, visibility, knowledge gaps, kefu's answers, the check
 * before publishing and gradual releases need the `knowledge` capability; the KPI report needs `reports` (owners have
 * both). Under `/api/agent/*` (agents and owners): correcting one answer of a conversation, and searching the
 * knowledge base as staff (internal documents included). 401 without credentials, 403 for another role, before the
 * body is read.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Accounts } from '../../accounts/index.ts';
import type { AnswerService } from '../../answer/types.ts';
import type { Config } from '../../config/index.ts';
import { errorCatalogue, KefuError, type ErrorCode } from '../../errors/index.ts';
import { formatOf } from '../../formats/index.ts';
import { reportCsv, reportHtml } from '../../reports/index.ts';
import type { KefuApp } from '../app.ts';
import { requireStaff, staffOf } from '../auth.ts';
import type { OwnerConsole } from '../owner-console.ts';
import { errorResponses, STAFF_SECURITY } from '../schemas.ts';

export interface OwnerRouteDependencies {
  app: KefuApp;
  config: Config;
  accounts: Accounts;
  owner: OwnerConsole | undefined;
}

const errors = errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503);
const security = STAFF_SECURITY;
const Any = (description: string) => Type.Unknown({ description });
// Query strings stay strings (the app does not coerce types): a flag is "true"/"false", a count its digits.
const Flag = (description: string) => Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description }));
const flag = (value: string | undefined): boolean | undefined => (value === undefined ? undefined : value === 'true');

const GapParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 40 }) });
const Gradual = Type.Optional(Type.Boolean({ description: 'Stage it in the running release (default: when one runs) instead of publishing it to everyone' }));
const AnswerText = Type.String({ maxLength: 20_000, description: 'The answer customers get, as written (Markdown: lists, links, bold); markup stays text' });
const GapAnswerRequest = Type.Object(
  {
    answer: AnswerText,
    question: Type.Optional(Type.String({ maxLength: 500, description: 'The FAQ question (default: the most asked wording); the other wordings become alternates' })),
    category: Type.Optional(Type.String({ maxLength: 100 })),
    gradual: Gradual,
  },
  { additionalProperties: false },
);
const WordingsRequest = Type.Object(
  { file: Type.String({ minLength: 1, maxLength: 500, description: 'The FAQ file (as GET /api/admin/faq lists it)' }), entryId: Type.String({ minLength: 1, maxLength: 200 }), gradual: Gradual },
  { additionalProperties: false },
);
const CorrectionRequest = Type.Object(
  {
    messageId: Type.String({ minLength: 1, maxLength: 100, description: 'The answer being corrected' }),
    answer: AnswerText,
    question: Type.Optional(Type.String({ maxLength: 500, description: 'Default: the customer\'s question the answer replied to' })),
    gradual: Gradual,
  },
  { additionalProperties: false },
);
const CheckRequest = Type.Object(
  { question: Type.String({ minLength: 1, maxLength: 500 }), answer: AnswerText, wordings: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 50 })) },
  { additionalProperties: false },
);
const VisibilityRequest = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 1000 }), visibility: Type.Union([Type.Literal('customers'), Type.Literal('internal')]) },
  { additionalProperties: false },
);
const PathQuery = Type.Object({ path: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });
const UploadQuery = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 300, description: 'File name (a sub-folder is allowed: "policies/returns.pdf")' }), gradual: Flag('Stage it in the running release (default: when one runs)') },
  { additionalProperties: false },
);
const GapsQuery = Type.Object(
  { days: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'Questions of the last n days (default KEFU_GAPS_WINDOW_DAYS)' })), fresh: Flag('Group again now instead of using the last grouping') },
  { additionalProperties: false },
);
const ReportQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ maxLength: 40, description: 'A duration (30d, 12w, 6h) or a date (2026-03-01); default 30d' })),
    until: Type.Optional(Type.String({ maxLength: 40 })),
    tz: Type.Optional(Type.String({ maxLength: 64, description: 'Time zone of days and weeks (default KEFU_TIME_ZONE)' })),
    release: Type.Optional(Type.String({ maxLength: 40, description: 'A release id: its arms side by side' })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html')])),
  },
  { additionalProperties: false },
);
const ReleaseRequest = Type.Object(
  {
    share: Type.Integer({ minimum: 1, maximum: 99, description: 'Percent of visitors in the candidate arm' }),
    settings: Type.Optional(Type.Record(Type.String({ pattern: '^KEFU_[A-Z_]+$' }), Type.String({ maxLength: 40 }), { description: 'Answer settings of the candidate, e.g. {"KEFU_ANSWER_THRESHOLD": "0.3"}' })),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
const ShareRequest = Type.Object({ share: Type.Integer({ minimum: 1, maximum: 99 }) }, { additionalProperties: false });
const SearchRequest = Type.Object({ question: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** "INGEST_NO_TEXT: …" → the catalogue's hint for that code (what the owner should do). */
export function failureHint(reason: string): string | undefined {
  const code = /^([A-Z_]+):/.exec(reason)?.[1];
  return code && code in errorCatalogue ? errorCatalogue[code as ErrorCode].hint : undefined;
}

export async function registerOwnerRoutes({ app, config, accounts, owner }: OwnerRouteDependencies): Promise<void> {
  const knowledge = requireStaff({ accounts, capability: 'knowledge' });
  const reports = requireStaff({ accounts, capability: 'reports' });
  const conversations = requireStaff({ accounts, capability: 'conversations' });
  const console = (): OwnerConsole => {
    if (!owner) throw new KefuError('NOT_READY', { detail: 'the owner console is not wired in this process' });
    return owner;
  };
  const by = (request: Parameters<typeof staffOf>[0]) => staffOf(request).user.name;

  // --- documents ------------------------------------------------------------------------------------------------

  app.get(
    '/api/admin/documents',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Documents: status, pages, chunks, last indexed, failures with what to do, visibility', security, response: { 200: Any('{ documents, release }'), ...errors } } },
    async () => {
      const { documents, releases } = console();
      const list = await documents.list();
      return { documents: list.map((document) => ({ ...document, ...(document.status === 'indexed' ? {} : { hint: failureHint(document.reason) ?? '' }) })), release: (await releases.current()) ?? null, maxUploadBytes: documents.maxBytes };
    },
  );

  // Uploads are raw bytes (the file as it is): a parser for this route only; everything else stays JSON-only.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.addContentTypeParser(['application/octet-stream', 'application/pdf'], { parseAs: 'buffer', bodyLimit: Math.max(1, config.ingest.maxFileBytes) }, (_request, body, done) => done(null, body));
    scope.post(
      '/api/admin/documents',
      {
        onRequest: knowledge,
        bodyLimit: Math.max(1, config.ingest.maxFileBytes),
        schema: {
          tags: ['owner'],
          summary: 'Upload a document into the ingest folder (the sync indexes it); body = the file\'s bytes (application/octet-stream)',
          security,
          querystring: UploadQuery,
          response: { 201: Any('{ path, staged }'), ...errors },
        },
      },
      async (request, reply) => {
        const bytes = request.body;
        if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new KefuError('UPLOAD_INVALID', { detail: 'the file is empty' });
        const name = request.query.name.trim();
        if (!formatOf(name)) throw new KefuError('INGEST_UNSUPPORTED_TYPE', { detail: name });
        const release = await console().releases.current();
        const gradual = flag(request.query.gradual) ?? release !== undefined;
        const result = await console().documents.upload({ name, bytes, gradual, by: by(request) });
        request.log.info({ path: result.path, bytes: bytes.length, by: by(request) }, 'document uploaded');
        return reply.status(201).send(result);
      },
    );
  });

  app.delete(
    '/api/admin/documents',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Remove a document from the ingest folder (kept in the data folder\'s trash)', security, querystring: PathQuery, response: { 200: Any('{ path }'), ...errors } } },
    async (request) => {
      const removed = await console().documents.remove({ path: request.query.path, by: by(request) });
      request.log.info({ path: removed.path, by: by(request) }, 'document removed');
      return removed;
    },
  );

  app.put(
    '/api/admin/documents/visibility',
    {
      onRequest: knowledge,
      schema: { tags: ['owner'], summary: 'Customer-visible (default) or internal: searchable for agents, never quoted or served to customers', security, body: VisibilityRequest, response: { 200: Any('{ path, visibility }'), ...errors } },
    },
    async (request) => {
      await console().releases.setVisibility({ ...request.body, by: by(request) });
      return request.body;
    },
  );

  // --- knowledge gaps, answers, checks ---------------------------------------------------------------------------

  app.get(
    '/api/admin/gaps',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Knowledge gaps: refused, weak, thumbs-down and handed-over questions, grouped', security, querystring: GapsQuery, response: { 200: Any('GapList'), ...errors } } },
    async (request) => console().gaps.list({ ...(request.query.days ? { sinceDays: Number(request.query.days) } : {}), ...(flag(request.query.fresh) ? { fresh: true } : {}) }),
  );

  app.post(
    '/api/admin/gaps/:id/answer',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Answer a gap: a new FAQ entry (the wordings as alternates), live through the normal sync', security, params: GapParams, body: GapAnswerRequest, response: { 201: Any('the change'), ...errors } } },
    async (request, reply) => {
      const { answer, question, category, gradual } = request.body;
      const change = await console().gaps.answer({ gapId: request.params.id, answer, ...(question ? { question } : {}), ...(category ? { category } : {}), ...(gradual === undefined ? {} : { gradual }), by: by(request) });
      return reply.status(201).send({ change });
    },
  );

  app.post(
    '/api/admin/gaps/:id/wordings',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Add a gap\'s wordings to an existing FAQ entry', security, params: GapParams, body: WordingsRequest, response: { 201: Any('the change'), ...errors } } },
    async (request, reply) => {
      const { file, entryId, gradual } = request.body;
      const change = await console().gaps.addWordings({ gapId: request.params.id, file, entryId, ...(gradual === undefined ? {} : { gradual }), by: by(request) });
      return reply.status(201).send({ change });
    },
  );

  app.post(
    '/api/admin/gaps/:id/dismiss',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Dismiss a gap (its wordings stay hidden)', security, params: GapParams, response: { 200: Any('{ dismissed }'), ...errors } } },
    async (request) => {
      await console().gaps.dismiss({ gapId: request.params.id, by: by(request) });
      return { dismissed: request.params.id };
    },
  );

  app.get(
    '/api/admin/faq',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'FAQ entries in the index (to add wordings to)', security, response: { 200: Any('{ entries }'), ...errors } } },
    async () => ({ entries: await console().faqEntries() }),
  );

  app.get(
    '/api/admin/answers',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Answers and wordings kefu wrote for people (the journal)', security, response: { 200: Any('{ changes }'), ...errors } } },
    async () => ({ changes: await console().gaps.changes() }),
  );

  app.delete(
    '/api/admin/answers/:id',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Remove an answer kefu wrote (from kefu-answers.csv); its gap opens again', security, params: IdParams, response: { 200: Any('{ removed }'), ...errors } } },
    async (request) => {
      await console().gaps.removeChange({ id: request.params.id });
      return { removed: request.params.id };
    },
  );

  app.post(
    '/api/admin/checks',
    {
      onRequest: knowledge,
      config: { rateLimit: { max: 10, timeWindow: 60_000 } },
      schema: { tags: ['owner'], summary: 'Check an answer before publishing: the evaluation dataset (KEFU_EVAL_DATASET) before and after, what improved and regressed', security, body: CheckRequest, response: { 200: Any('CheckResult'), ...errors } },
    },
    async (request) => {
      const check = console().check;
      if (!check) throw new KefuError('CHECK_UNAVAILABLE', { detail: 'KEFU_EVAL_DATASET is not set' });
      return check.check({ question: request.body.question, answer: request.body.answer, wordings: request.body.wordings ?? [] });
    },
  );

  // --- releases --------------------------------------------------------------------------------------------------

  app.get(
    '/api/admin/releases',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'The running release and the earlier ones', security, response: { 200: Any('{ current, releases }'), ...errors } } },
    async () => {
      const { releases } = console();
      return { current: (await releases.current()) ?? null, releases: await releases.list() };
    },
  );

  app.post(
    '/api/admin/releases',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Start a gradual release: changes made while it runs reach this share of visitors first', security, body: ReleaseRequest, response: { 201: Any('the release'), ...errors } } },
    async (request, reply) => {
      const release = await console().releases.start({ share: request.body.share, ...(request.body.settings ? { settings: request.body.settings } : {}), ...(request.body.note ? { note: request.body.note } : {}), by: by(request) });
      return reply.status(201).send({ release });
    },
  );

  app.patch(
    '/api/admin/releases/current',
    { onRequest: knowledge, schema: { tags: ['owner'], summary: 'Change the running release\'s share', security, body: ShareRequest, response: { 200: Any('the release'), ...errors } } },
    async (request) => ({ release: await console().releases.setShare({ share: request.body.share }) }),
  );

  for (const action of ['promote', 'rollback'] as const) {
    app.post(
      `/api/admin/releases/current/${action}`,
      {
        onRequest: knowledge,
        schema: { tags: ['owner'], summary: action === 'promote' ? 'Promote the running release to everyone' : 'Roll the running release back (its staged changes are dropped; their gaps open again)', security, response: { 200: Any('{ release }'), ...errors } },
      },
      async (request) => {
        const result = action === 'promote' ? await console().releases.promote({ by: by(request) }) : await console().releases.rollback({ by: by(request) });
        request.log.info({ release: result.release.id, action, by: by(request) }, 'release ended');
        return result;
      },
    );
  }

  // --- the report -----------------------------------------------------------------------------------------------

  app.get(
    '/api/admin/report',
    {
      onRequest: reports,
      schema: { tags: ['owner'], summary: 'The KPI report (JSON, CSV with a byte-order mark, or a self-contained HTML page)', security, querystring: ReportQuery, response: { 200: Any('Report'), ...errors } },
    },
    async (request, reply) => {
      const { since, until, tz, release, format = 'json' } = request.query;
      const report = await console().reports.report({ ...(since ? { since } : {}), ...(until ? { until } : {}), ...(tz ? { timeZone: tz } : {}), ...(release ? { releaseId: release } : {}) });
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="kefu-report.csv"').send(reportCsv(report));
      if (format === 'html') return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:").send(reportHtml(report));
      return report;
    },
  );

  // --- for agents and owners -------------------------------------------------------------------------------------

  app.post(
    '/api/agent/corrections',
    {
      onRequest: conversations,
      schema: { tags: ['agent'], summary: 'Correct an answer: the right answer becomes an FAQ entry for the customer\'s question (live through the normal sync)', security, body: CorrectionRequest, response: { 201: Any('the change'), ...errors } },
    },
    async (request, reply) => {
      const { messageId, answer, question, gradual } = request.body;
      const change = await console().gaps.correct({ messageId, answer, ...(question ? { question } : {}), ...(gradual === undefined ? {} : { gradual }), by: by(request) });
      return reply.status(201).send({ change });
    },
  );

  app.post(
    '/api/agent/search',
    {
      onRequest: conversations,
      schema: { tags: ['agent'], summary: 'Ask the knowledge base as staff: internal documents included (nothing is stored)', security, body: SearchRequest, response: { 200: Any('AnswerResult'), ...errors } },
    },
    async (request) => {
      const plan = await console().releases.forStaff();
      const service: AnswerService = plan.service;
      const result = await service.answer({ question: request.body.question, filters: plan.filters });
      return { answer: result.answer, outcome: result.outcome, confidence: result.confidence, citations: result.citations, retrieved: result.retrieved.slice(0, 8).map(({ chunkId, docPath, title, page, headingPath, text, score }) => ({ chunkId, docPath, title, page, headingPath, text, score })) };
    },
  );
}
