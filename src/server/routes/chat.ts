/**
 * POST /api/chat: one question → one answer, as JSON or (with `Accept: text/event-stream`) as
 * Server-Sent Events. The answer service is stateless: this route loads the conversation's earlier
 * turns from the records, passes them as `history`, and stores the question and the answer. A question
 * that asks for a person (outcome `handoff`) opens the conversation's ticket at once.
 * Evaluation knobs (history, retrieveOnly, …) are not accepted here: they belong to POST /api/eval/ask.
 */
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { Static } from 'typebox';
import type { AnswerRequest, AnswerResult, AnswerService, Turn } from '../../answer/types.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { RecordsStore } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
import { reportError } from '../errors.ts';
import { handOver, type HandoffResult } from '../handoff.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { ChatResponse, EVALUATION_FIELDS, chatRequestSchema } from '../schemas.ts';

/** Earlier turns given to the answer service for follow-up questions. */
const HISTORY_TURNS = 10;

export interface ChatRouteDependencies {
  app: KefuApp;
  config: Config;
  answerService: AnswerService;
  records: RecordsStore;
  metrics: ServiceMetrics;
}

/** One SSE frame. Data is JSON on one line, so a newline in the text can never end the frame early. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function registerChatRoutes({ app, config, answerService, records, metrics }: ChatRouteDependencies): void {
  const ChatRequest = chatRequestSchema(config.server.maxQuestionChars);

  /** Resolves the conversation, loads its history and stores the question. */
  async function prepare(body: Static<typeof ChatRequest>): Promise<AnswerRequest> {
    const question = body.question.trim();
    if (!question) throw new KefuError('QUESTION_EMPTY');
    let conversationId: string;
    let history: Turn[];
    if (body.conversationId) {
      const conversation = await records.getConversation(body.conversationId);
      if (!conversation) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: body.conversationId });
      conversationId = conversation.id;
      history = (await records.listMessages(conversationId))
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .slice(-HISTORY_TURNS)
        .map((message) => ({ role: message.role as Turn['role'], text: message.text }));
    } else {
      conversationId = (await records.createConversation()).id;
      history = [];
    }
    await records.appendMessages([{ conversationId, role: 'user', text: question }]);
    const request: AnswerRequest = { question, conversationId, history };
    if (body.filters) request.filters = body.filters;
    return request;
  }

  /** Stores the answer and counts it; returns the stored message id. */
  async function complete(result: AnswerResult, conversationId: string): Promise<string> {
    const [message] = await records.appendMessages([
      {
        conversationId,
        role: 'assistant',
        text: result.answer,
        outcome: result.outcome,
        confidence: result.confidence,
        citations: result.citations,
        suggestions: result.suggestions,
        language: result.language,
      },
    ]);
    metrics.answers.inc({ outcome: result.outcome });
    metrics.retrievalDuration.observe(result.timings.retrievalMs / 1000);
    if (!message) throw new KefuError('INTERNAL', { detail: 'the answer was not stored' });
    return message.id;
  }

  /** A question asking for a person opens (or finds) the conversation's ticket, after the answer is stored. */
  async function handOverIfAsked(result: AnswerResult, conversationId: string, log: FastifyBaseLogger): Promise<HandoffResult | undefined> {
    if (result.outcome !== 'handoff') return undefined;
    return handOver({ records, metrics, log, conversationId, reason: 'customer-request', language: result.language === 'zh' ? 'zh' : 'en' });
  }

  app.post(
    '/api/chat',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask a question',
        description:
          'Answers from the knowledge base with citations; the answer is Markdown with [n] markers. With `Accept: text/event-stream` the answer streams as Server-Sent Events: ' +
          '`answer-delta` {text} pieces, then `citations` {citations}, then `answer-end` {outcome, messageId, conversationId, confidence, query, suggestions, language, handoff?}; ' +
          'a failure after the stream started is sent as an `error` event {error}. A question asking for a person (outcome `handoff`) opens a ticket: `handoff` {ticket, message}.',
        body: ChatRequest,
        response: {
          200: ChatResponse,
          400: { $ref: 'ErrorBody#' },
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
      const answerRequest = await prepare(request.body);
      const conversationId = answerRequest.conversationId ?? '';
      const wantsStream = (request.headers.accept ?? '').includes('text/event-stream');

      if (!wantsStream) {
        const result = await answerService.answer(answerRequest);
        const messageId = await complete(result, conversationId);
        const handoff = await handOverIfAsked(result, conversationId, request.log);
        return { ...result, conversationId, messageId, ...(handoff ? { handoff: { ticket: handoff.ticket, message: handoff.message } } : {}) };
      }

      // A client that goes away mid-answer aborts the work; the answer is then not stored.
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      const log = request.log;
      async function* events(): AsyncGenerator<string> {
        try {
          for await (const event of answerService.stream(answerRequest, { signal: controller.signal })) {
            if (controller.signal.aborted) break;
            if (event.type === 'answer-delta') yield sseFrame('answer-delta', { text: event.text });
            else if (event.type === 'citations') yield sseFrame('citations', { citations: event.citations });
            else {
              const { result } = event;
              const messageId = await complete(result, conversationId);
              const handoff = await handOverIfAsked(result, conversationId, log);
              yield sseFrame('answer-end', {
                outcome: result.outcome,
                messageId,
                conversationId,
                confidence: result.confidence,
                query: result.query,
                suggestions: result.suggestions,
                language: result.language,
                ...(handoff ? { handoff: { ticket: handoff.ticket, message: handoff.message } } : {}),
              });
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          // The same rules as the error handler: the detail of a 5xx goes to the log, not to the client.
          const { body } = reportError({ error, log, context: { route: '/api/chat', stream: true } });
          yield sseFrame('error', body);
        } finally {
          if (controller.signal.aborted) {
            metrics.streamsAborted.inc();
            log.info({ conversationId }, 'client left before the answer finished');
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
