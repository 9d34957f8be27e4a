/**
 * POST /api/chat: one question → one answer, as JSON or (with `Accept: text/event-stream`) as
 * Server-Sent Events. The answer service is stateless: this route loads the conversation's earlier
 * turns from the records, passes them as `history`, and stores the question and the answer. A question
 * that asks for a person (outcome `handoff`) opens the conversation's ticket at once; N refusals in a row
 * do too. While people have the conversation (waiting or with an agent) the message goes to them and kefu
 * does not answer (`routed`). A new conversation's reply carries its `conversationToken`; continuing one
 * needs it in `X-Conversation-Token`.
 * Evaluation knobs (history, retrieveOnly, …) are not accepted here: they belong to POST /api/eval/ask.
 */
import { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { randomSecret, sha256 } from '../../accounts/index.ts';
import type { AnswerFilters, AnswerRequest, AnswerResult, AnswerService, Turn } from '../../answer/types.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { HandoverResult, HandoverService } from '../../handover/index.ts';
import type { ConversationState, RecordsStore } from '../../records/types.ts';
import { toStoredPassages } from '../../schemas/passage.ts';
import type { KefuApp } from '../app.ts';
import { checkConversationToken } from '../auth.ts';
import { reportError } from '../errors.ts';
import { handoffView } from '../handoff.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { ChatResponse, EVALUATION_FIELDS, RoutedResponse, chatRequestSchema } from '../schemas.ts';

/**
 * Which answer service and filters a customer's question gets: internal documents are never searched for customers,
 * and during a gradual release a visitor's arm decides (src/release). Without it, every indexed document, one service.
 */
export interface CustomerRouting {
  forCustomer(input: { conversationId: string; visitorId?: string }): Promise<{ service: AnswerService; filters: AnswerFilters; release?: { id: string; arm: 'control' | 'candidate' } }>;
}

/** Earlier turns given to the answer service for follow-up questions. */
const HISTORY_TURNS = 10;

export interface ChatRouteDependencies {
  app: KefuApp;
  config: Config;
  answerService: AnswerService;
  records: RecordsStore;
  metrics: ServiceMetrics;
  handover: HandoverService;
  routing?: CustomerRouting;
}

/** A prepared question: either for kefu to answer, or delivered to the people who have the conversation. */
type Prepared =
  | { routed: false; request: AnswerRequest; service: AnswerService; release?: { id: string; arm: 'control' | 'candidate' }; conversationId: string; conversationToken?: string; startedAt: number }
  | { routed: true; conversationId: string; messageId: string; state: ConversationState };

/** One SSE frame. Data is JSON on one line, so a newline in the text can never end the frame early. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function registerChatRoutes({ app, config, answerService, records, metrics, handover, routing }: ChatRouteDependencies): void {
  const ChatRequest = chatRequestSchema(config.server.maxQuestionChars);

  /** Checks the conversation's token (or starts a conversation), loads its history and stores the question. */
  async function prepare(body: Static<typeof ChatRequest>, request: FastifyRequest): Promise<Prepared> {
    const startedAt = performance.now();
    const question = body.question.trim();
    if (!question) throw new KefuError('QUESTION_EMPTY');
    let conversationId: string;
    let conversationToken: string | undefined;
    let history: Turn[] = [];
    if (body.conversationId) {
      await checkConversationToken({ records, request, conversationId: body.conversationId });
      conversationId = body.conversationId;
      history = (await records.listMessages(conversationId))
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .slice(-HISTORY_TURNS)
        .map((message) => ({ role: message.role as Turn['role'], text: message.text }));
    } else {
      conversationToken = randomSecret(24);
      conversationId = (await records.createConversation({ channel: body.channel ?? 'api', tokenHash: sha256(conversationToken) })).id;
    }
    const { message, toPeople } = await handover.customerMessage({ conversationId, text: question });
    if (toPeople) {
      const conversation = await records.getConversation(conversationId);
      return { routed: true, conversationId, messageId: message.id, state: conversation?.state ?? 'waiting' };
    }
    const answerRequest: AnswerRequest = { question, conversationId, history };
    if (body.filters) answerRequest.filters = body.filters;
    const plan = routing ? await routing.forCustomer({ conversationId, ...(body.visitorId ? { visitorId: body.visitorId } : {}) }) : undefined;
    // The customer's own filters can narrow the search, never widen it past what customers may see.
    if (plan?.filters.excludeDocPath?.length) answerRequest.filters = { ...answerRequest.filters, excludeDocPath: [...plan.filters.excludeDocPath] };
    return {
      routed: false,
      request: answerRequest,
      service: plan?.service ?? answerService,
      ...(plan?.release ? { release: plan.release } : {}),
      conversationId,
      ...(conversationToken ? { conversationToken } : {}),
      startedAt,
    };
  }

  /** Stores the answer with what agents need to judge it (retrieved passages, time taken) and counts it. */
  async function complete(result: AnswerResult, prepared: Extract<Prepared, { routed: false }>): Promise<string> {
    const { conversationId } = prepared;
    const [message] = await handover.record([
      {
        conversationId,
        role: 'assistant',
        text: result.answer,
        outcome: result.outcome,
        confidence: result.confidence,
        citations: result.citations,
        suggestions: result.suggestions,
        language: result.language,
        retrieved: toStoredPassages(result.retrieved),
        responseMs: performance.now() - prepared.startedAt,
      },
    ]);
    if (result.language === 'en' || result.language === 'zh') await records.setConversationLanguage(conversationId, result.language);
    metrics.answers.inc({ outcome: result.outcome });
    metrics.retrievalDuration.observe(result.timings.retrievalMs / 1000);
    metrics.answerDuration.observe((performance.now() - prepared.startedAt) / 1000);
    if (prepared.release) metrics.releaseAnswers.inc({ arm: prepared.release.arm, outcome: result.outcome });
    if (!message) throw new KefuError('INTERNAL', { detail: 'the answer was not stored' });
    return message.id;
  }

  /**
   * A question asking for a person opens (or finds) the conversation's ticket, after the answer is stored; so does
   * the N-th refusal in a row, or an intent routed to people.
   */
  async function handOverIfNeeded(result: AnswerResult, prepared: Extract<Prepared, { routed: false }>): Promise<HandoverResult | undefined> {
    const language = result.language === 'zh' ? 'zh' : 'en';
    if (result.outcome === 'handoff') {
      // Routing asked for people (an intent routed to a person, a failed action): its reason, priority and note.
      const request = result.handoffRequest;
      return handover.handOver({ conversationId: prepared.conversationId, reason: request?.reason ?? 'customer-request', language, ...(request ? { priority: request.priority, note: request.note } : {}) });
    }
    return handover.afterAnswer({ conversationId: prepared.conversationId, question: prepared.request.question, outcome: result.outcome, language: result.language });
  }

  async function stateOf(conversationId: string): Promise<ConversationState> {
    return (await records.getConversation(conversationId))?.state ?? 'bot';
  }

  app.post(
    '/api/chat',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask a question',
        description:
          'Answers from the knowledge base with citations; the answer is Markdown with [n] markers. With `Accept: text/event-stream` the answer streams as Server-Sent Events: ' +
          '`answer-delta` {text} pieces, then `citations` {citations}, then `answer-end` {outcome, messageId, conversationId, confidence, query, suggestions, language, intent?, action?, handoff?}; ' +
          'a failure after the stream started is sent as an `error` event {error}. A question asking for a person (outcome `handoff`) opens a ticket: `handoff` {ticket, message, outsideHours?}. ' +
          'A new conversation\'s reply (and answer-end) carries `conversationToken`: send it as X-Conversation-Token to continue the conversation. ' +
          'While people have the conversation the message is delivered to them and kefu does not answer: `{routed: true, state}` (as JSON, or one `routed` event).',
        body: ChatRequest,
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
      const { conversationId, conversationToken } = prepared;
      const extra = conversationToken ? { conversationToken } : {};

      if (!wantsStream) {
        const result = await prepared.service.answer(prepared.request);
        const messageId = await complete(result, prepared);
        const handoff = await handOverIfNeeded(result, prepared);
        return { ...result, conversationId, messageId, ...extra, ...(handoff ? { handoff: handoffView(handoff) } : {}), state: await stateOf(conversationId) };
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
      async function* answerEvents(ready: Extract<Prepared, { routed: false }>, logger: FastifyBaseLogger): AsyncGenerator<string> {
        try {
          for await (const event of ready.service.stream(ready.request, { signal: controller.signal })) {
            if (controller.signal.aborted) break;
            if (event.type === 'answer-delta') yield sseFrame('answer-delta', { text: event.text });
            else if (event.type === 'citations') yield sseFrame('citations', { citations: event.citations });
            else {
              const { result } = event;
              const messageId = await complete(result, ready);
              const handoff = await handOverIfNeeded(result, ready);
              yield sseFrame('answer-end', {
                outcome: result.outcome,
                messageId,
                conversationId,
                ...extra,
                confidence: result.confidence,
                query: result.query,
                suggestions: result.suggestions,
                language: result.language,
                ...(result.intent ? { intent: result.intent } : {}),
                ...(result.action ? { action: result.action } : {}),
                state: await stateOf(conversationId),
                ...(handoff ? { handoff: handoffView(handoff) } : {}),
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
