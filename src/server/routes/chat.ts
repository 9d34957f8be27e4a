/**
 * POST /api/chat: one question → one answer, as JSON or (with `Accept: text/event-stream`) as
 * Server-Sent Events. The answer service is stateless: this route loads the conversation's earlier
 * turns from the records, passes them as `history`, and stores the question and the answer.
 */
import { Readable } from 'node:stream';
import type { Static } from 'typebox';
import type { AnswerRequest, AnswerResult, AnswerService, Turn } from '../../answer/types.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { RecordsStore } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
import { toClientError } from '../errors.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { ChatResponse, chatRequestSchema } from '../schemas.ts';

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
      history =
        body.history ??
        (await records.listMessages(conversationId))
          .filter((message) => message.role === 'user' || message.role === 'assistant')
          .slice(-HISTORY_TURNS)
          .map((message) => ({ role: message.role as Turn['role'], text: message.text }));
    } else {
      conversationId = (await records.createConversation()).id;
      history = body.history ?? [];
    }
    await records.appendMessages([{ conversationId, role: 'user', text: question }]);
    const request: AnswerRequest = { question, conversationId, history };
    if (body.filters) request.filters = body.filters;
    if (body.retrievalMode) request.retrievalMode = body.retrievalMode;
    if (body.fusion) request.fusion = body.fusion;
    if (body.topK !== undefined) request.topK = body.topK;
    if (body.retrieveOnly !== undefined) request.retrieveOnly = body.retrieveOnly;
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

  app.post(
    '/api/chat',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask a question',
        description:
          'Answers from the knowledge base with citations. With `Accept: text/event-stream` the answer streams as Server-Sent Events: ' +
          '`answer-delta` {text} pieces, then `citations` {citations}, then `answer-end` {outcome, messageId, conversationId, confidence, query, suggestions, language}; ' +
          'a failure after the stream started is sent as an `error` event {error}.',
        body: ChatRequest,
        response: {
          200: ChatResponse,
          400: { $ref: 'ErrorBody#' },
          404: { $ref: 'ErrorBody#' },
          413: { $ref: 'ErrorBody#' },
          429: { $ref: 'ErrorBody#' },
          500: { $ref: 'ErrorBody#' },
        },
      },
    },
    async (request, reply) => {
      const answerRequest = await prepare(request.body);
      const conversationId = answerRequest.conversationId ?? '';
      const wantsStream = (request.headers.accept ?? '').includes('text/event-stream');

      if (!wantsStream) {
        const result = await answerService.answer(answerRequest);
        const messageId = await complete(result, conversationId);
        return { ...result, conversationId, messageId };
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
              yield sseFrame('answer-end', {
                outcome: result.outcome,
                messageId,
                conversationId,
                confidence: result.confidence,
                query: result.query,
                suggestions: result.suggestions,
                language: result.language,
              });
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          const clientError = toClientError(error);
          if (clientError.status >= 500) log.error({ err: error, route: '/api/chat', stream: true }, 'streamed answer failed');
          yield sseFrame('error', { error: clientError.toJSON() });
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
