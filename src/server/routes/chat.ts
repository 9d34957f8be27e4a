/**
 * POST /api/chat: one question → one answer, as JSON or (with `Accept: text/event-stream`) as
 * Server-Sent Events. The answer service is stateless: this route loads the conversation's earlier
 * turns from the records, passes them as `history`, and stores the question and the answer. A question
 * that asks for a person (outcome `handoff`) opens the conversation's ticket at once; N refusals in a row
 * do too. While people have the conversation (waiting or with an agent) the message goes to them and kefu
 * does not answer (`routed`). A new conversation's reply carries its `conversationToken`; continuing one
 * needs it in `X-Conversation-Token`.
 * When the records database fails, the customer is still answered (`stored: false`): a continued conversation whose
 * token cannot be checked is answered as a fresh question, without its history, and nothing is read or written.
 * Evaluation knobs (history, retrieveOnly, …) are not accepted here: they belong to POST /api/eval/ask.
 * The JSON reply carries what the customer needs; the retrieved passages and the evidence (most of the bytes) only
 * with `?debug=1` for a signed-in owner or admin (they are stored with the answer for agents either way).
 */
import { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { can, type Accounts } from '../../accounts/index.ts';
import type { AnswerResult } from '../../answer/types.ts';
import type { Config } from '../../config/index.ts';
import type { AnsweringTurn, ConversationTurns, FinishedTurn, PreparedTurn } from '../../conversations/turn.ts';
import { KefuError } from '../../errors/index.ts';
import { isRecordsFailure } from '../../records/failure.ts';
import type { RecordsStore } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
import { checkConversationToken, requireStaff, staffOf } from '../auth.ts';
import { reportError } from '../errors.ts';
import { handoffView } from '../handoff.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { ChatQuery, ChatResponse, EVALUATION_FIELDS, RoutedResponse, chatRequestSchema } from '../schemas.ts';

export type { CustomerRouting } from '../../conversations/turn.ts';

export interface ChatRouteDependencies {
  app: KefuApp;
  config: Config;
  records: RecordsStore;
  metrics: ServiceMetrics;
  /** The customer turn shared with the channels (src/conversations). */
  turns: ConversationTurns;
  /** Who may ask for `?debug=1` (without it, nobody may). */
  accounts?: Accounts;
}

function wantsDebug(query: Static<typeof ChatQuery>): boolean {
  return query.debug === '1' || query.debug === 'true';
}

/** The customer's reply: the answer without the retrieved passages and evidence, unless `debug` asks for them. */
export function chatReply(result: AnswerResult, debug: boolean): Omit<AnswerResult, 'retrieved' | 'evidence'> & Partial<Pick<AnswerResult, 'retrieved' | 'evidence'>> {
  if (debug) return result;
  const { retrieved: _retrieved, evidence: _evidence, ...reply } = result;
  return reply;
}

/** One SSE frame. Data is JSON on one line, so a newline in the text can never end the frame early. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function registerChatRoutes({ app, config, records, metrics, turns, accounts }: ChatRouteDependencies): void {
  const ChatRequest = chatRequestSchema(config.server.maxQuestionChars);
  const signedIn = accounts ? requireStaff({ accounts }) : undefined;

  /** `?debug=1` is for people who look after the knowledge (owners) or the service (admins), signed in. */
  async function checkDebug(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!signedIn) throw new KefuError('AUTH_REQUIRED', { detail: '?debug=1 needs a signed-in owner or admin' });
    await signedIn(request, reply);
    const { role } = staffOf(request).user;
    if (!can(role, 'knowledge') && !can(role, 'administration')) throw new KefuError('AUTH_FORBIDDEN', { detail: `${role} accounts cannot use ?debug=1 on /api/chat` });
  }

  /** Checks the conversation's token (or starts a conversation), loads its history and stores the question. */
  async function prepare(body: Static<typeof ChatRequest>, request: FastifyRequest): Promise<PreparedTurn> {
    const options = { question: body.question, ...(body.filters ? { filters: body.filters } : {}), ...(body.visitorId ? { visitorId: body.visitorId } : {}) };
    if (body.conversationId) {
      // An empty question is refused before the token is looked at, as it always was.
      if (!body.question.trim()) throw new KefuError('QUESTION_EMPTY');
      try {
        await checkConversationToken({ records, request, conversationId: body.conversationId });
      } catch (error) {
        // The records down: the token cannot be checked, so the conversation is neither read nor written; the
        // question is answered on its own (what anyone may ask in a new conversation) and the reply says not stored.
        if (!isRecordsFailure(error)) throw error;
        return turns.beginUnstored({ ...options, cause: error });
      }
      return turns.begin({ ...options, conversationId: body.conversationId });
    }
    return turns.begin({ ...options, channel: body.channel ?? 'api' });
  }

  /** What the reply says about the conversation: its ids when stored, `stored: false` when the records failed. */
  function conversationFields(prepared: AnsweringTurn, finished: FinishedTurn) {
    return {
      ...(prepared.conversationId ? { conversationId: prepared.conversationId } : {}),
      ...(prepared.conversationToken ? { conversationToken: prepared.conversationToken } : {}),
      ...(finished.messageId ? { messageId: finished.messageId } : {}),
      stored: finished.stored,
      ...(finished.handoff ? { handoff: handoffView(finished.handoff) } : {}),
      state: finished.state,
    };
  }

  app.post(
    '/api/chat',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask a question',
        description:
          'Answers from the knowledge base with citations; the answer is Markdown with [n] markers. With `Accept: text/event-stream` the answer streams as Server-Sent Events: ' +
          '`answer-delta` {text} pieces, then `citations` {citations}, then `answer-end` {outcome, messageId, conversationId, stored, confidence, query, suggestions, language, intent?, action?, handoff?}; ' +
          'a failure after the stream started is sent as an `error` event {error}. A question asking for a person (outcome `handoff`) opens a ticket: `handoff` {ticket, message, outsideHours?}. ' +
          'A new conversation\'s reply (and answer-end) carries `conversationToken`: send it as X-Conversation-Token to continue the conversation. ' +
          'While people have the conversation the message is delivered to them and kefu does not answer: `{routed: true, state}` (as JSON, or one `routed` event). ' +
          'When the records database fails the customer is still answered with `stored: false` and no messageId (nor conversationId when none could be checked or started): nothing of that turn is kept and nobody is handed the conversation. ' +
          'The JSON reply leaves out the retrieved passages and the evidence; `?debug=1` adds them for a signed-in owner or admin (Bearer token, or the session cookie with its CSRF token).',
        body: ChatRequest,
        querystring: ChatQuery,
        response: {
          200: Type.Union([ChatResponse, RoutedResponse]),
          400: { $ref: 'ErrorBody#' },
          401: { $ref: 'ErrorBody#' },
          403: { $ref: 'ErrorBody#' },
          404: { $ref: 'ErrorBody#' },
          413: { $ref: 'ErrorBody#' },
          415: { $ref: 'ErrorBody#' },
          429: { $ref: 'ErrorBody#' },
          500: { $ref: 'ErrorBody#' },
        },
      },
      // Named before validation so the message says where the field belongs, not just "unknown field".
      preHandler: async (request, reply) => {
        if (wantsDebug(request.query)) await checkDebug(request, reply);
      },
      preValidation: async (request) => {
        const body = request.body as Record<string, unknown> | null;
        if (!body || typeof body !== 'object') return;
        const field = EVALUATION_FIELDS.find((name) => Object.hasOwn(body, name));
        if (field) {
          throw new KefuError('REQUEST_INVALID', {
            detail: `"${field}" is not accepted by POST /api/chat`,
            hint: `Remove "${field}": conversations keep their own history. Evaluation options are accepted by POST /api/eval/ask (see /docs).`,
          });
        }
      },
    },
    async (request, reply) => {
      const prepared = await prepare(request.body, request);
      const wantsStream = (request.headers.accept ?? '').includes('text/event-stream');
      if (prepared.routed) {
        const routed = { routed: true as const, conversationId: prepared.conversationId, messageId: prepared.messageId, state: prepared.state };
        if (!wantsStream) return routed;
        return reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache, no-transform')
          .send(sseFrame('routed', routed));
      }
      const { conversationId } = prepared;

      if (!wantsStream) {
        const result = await prepared.service.answer(prepared.request);
        const finished = await turns.finish(result, prepared);
        // The answer service names a conversation of its own when the turn has none: not one the customer can continue.
        const { conversationId: _unstored, ...answer } = chatReply(result, wantsDebug(request.query));
        return { ...answer, ...conversationFields(prepared, finished) };
      }

      // A client that goes away mid-answer aborts the work; the answer is then not stored.
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      const log = request.log;
      async function* events(): AsyncGenerator<string> {
        if (!prepared.routed) yield* answerEvents(prepared, log);
      }
      async function* answerEvents(ready: AnsweringTurn, logger: FastifyBaseLogger): AsyncGenerator<string> {
        try {
          for await (const event of ready.service.stream(ready.request, { signal: controller.signal })) {
            if (controller.signal.aborted) break;
            if (event.type === 'answer-delta') yield sseFrame('answer-delta', { text: event.text });
            else if (event.type === 'citations') yield sseFrame('citations', { citations: event.citations });
            else {
              const { result } = event;
              const finished = await turns.finish(result, ready);
              yield sseFrame('answer-end', {
                outcome: result.outcome,
                confidence: result.confidence,
                query: result.query,
                suggestions: result.suggestions,
                language: result.language,
                ...(result.intent ? { intent: result.intent } : {}),
                ...(result.action ? { action: result.action } : {}),
                ...conversationFields(ready, finished),
              });
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          // The same rules as the error handler: the detail of a 5xx goes to the log, not to the client.
          const { body } = reportError({ error, log: logger, context: { route: '/api/chat', stream: true } });
          yield sseFrame('error', body);
        } finally {
          if (controller.signal.aborted) {
            metrics.streamsAborted.inc();
            logger.info({ conversationId }, 'client left before the answer finished');
          }
        }
      }
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(Readable.from(events(), { objectMode: false }));
    },
  );
}
