/** Transcript, feedback and hand-over to a person. */
import { KefuError } from '../../errors/index.ts';
import type { RecordsStore } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
import { handOver } from '../handoff.ts';
import type { ServiceMetrics } from '../metrics.ts';
import {
  ConversationParams,
  ConversationResponse,
  FeedbackRequest,
  FeedbackResponse,
  HandoffRequest,
  HandoffResponse,
} from '../schemas.ts';

export interface ConversationRouteDependencies {
  app: KefuApp;
  records: RecordsStore;
  metrics: ServiceMetrics;
}

const errors = { 400: { $ref: 'ErrorBody#' }, 404: { $ref: 'ErrorBody#' }, 429: { $ref: 'ErrorBody#' } };

export function registerConversationRoutes({ app, records, metrics }: ConversationRouteDependencies): void {
  app.get(
    '/api/conversations/:id',
    {
      schema: {
        tags: ['chat'],
        summary: 'Read a conversation transcript',
        params: ConversationParams,
        response: { 200: ConversationResponse, ...errors },
      },
    },
    async (request) => {
      const conversation = await records.getConversation(request.params.id);
      if (!conversation) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: request.params.id });
      return { ...conversation, messages: await records.listMessages(conversation.id) };
    },
  );

  app.post(
    '/api/feedback',
    {
      schema: {
        tags: ['chat'],
        summary: 'Rate an answer (thumbs up or down, optional comment)',
        body: FeedbackRequest,
        response: { 201: FeedbackResponse, ...errors },
      },
    },
    async (request, reply) => {
      const feedback = await records.addFeedback(request.body);
      request.log.info({ messageId: feedback.messageId, rating: feedback.rating }, 'feedback');
      return reply.status(201).send(feedback);
    },
  );

  app.post(
    '/api/handoff',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask for a person: opens a ticket (工单) with the transcript',
        description: 'One open ticket per conversation: asking again returns the open ticket (200) instead of opening another (201).',
        body: HandoffRequest,
        response: { 200: HandoffResponse, 201: HandoffResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { conversationId, reason = 'customer-request', note, language } = request.body;
      const { created, ...result } = await handOver({ records, metrics, log: request.log, conversationId, reason, note, language });
      // Asking again is not an error: the open ticket is the answer (200 rather than 201 Created).
      return reply.status(created ? 201 : 200).send(result);
    },
  );
}
