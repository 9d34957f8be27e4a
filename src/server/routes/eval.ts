/**
 * POST /api/eval/ask: the evaluation target for `kefu eval --url` (the shared contract). The body is an
 * `AnswerRequest` (question, history, filters, retrievalMode, fusion, topK, retrieveOnly); the reply is the
 * full `AnswerResult` with the retrieved passages and evidence. Nothing is stored, so evaluation never skews
 * the conversation records or the answer metrics. It exists only when KEFU_EVAL_TOKEN is set (404 otherwise),
 * asks for `Authorization: Bearer <token>` (compared in constant time) and has its own, higher rate limit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AnswerRequest, AnswerService } from '../../answer/types.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { KefuApp } from '../app.ts';
import { AnswerResultResponse, evalAskRequestSchema } from '../schemas.ts';

export interface EvalRouteDependencies {
  app: KefuApp;
  config: Config;
  answerService: AnswerService;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * True when the Authorization header carries the expected bearer token. Both sides are hashed first, so the
 * comparison takes the same time whatever the token's length or the position of the first wrong character.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

export function registerEvalRoutes({ app, config, answerService }: EvalRouteDependencies): void {
  const token = config.server.evalToken;
  if (!token) return;
  app.post(
    '/api/eval/ask',
    {
      config: { rateLimit: { max: config.server.evalRateLimitPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['evaluation'],
        summary: 'Answer for evaluation (kefu eval --url): the full AnswerResult, nothing stored',
        description: 'Needs `Authorization: Bearer <KEFU_EVAL_TOKEN>`. Accepts every AnswerRequest field, including history and retrieval options.',
        security: [{ evalToken: [] }],
        body: evalAskRequestSchema(config.server.maxQuestionChars),
        response: { 200: AnswerResultResponse, 400: { $ref: 'ErrorBody#' }, 401: { $ref: 'ErrorBody#' }, 429: { $ref: 'ErrorBody#' }, 500: { $ref: 'ErrorBody#' } },
      },
      // After the rate limit (an onRequest hook), so guessing tokens is rate limited too.
      preValidation: async (request) => {
        if (!bearerMatches(request.headers.authorization, token)) throw new KefuError('EVAL_TOKEN_INVALID');
      },
    },
    async (request) => {
      const body = request.body;
      const answerRequest: AnswerRequest = { question: body.question };
      if (body.history) answerRequest.history = body.history;
      if (body.filters) answerRequest.filters = body.filters;
      if (body.retrievalMode) answerRequest.retrievalMode = body.retrievalMode;
      if (body.fusion) answerRequest.fusion = body.fusion;
      if (body.topK !== undefined) answerRequest.topK = body.topK;
      if (body.retrieveOnly !== undefined) answerRequest.retrieveOnly = body.retrieveOnly;
      return answerService.answer(answerRequest);
    },
  );
}
