/** Transcript, feedback and hand-over to a person. */
import { KefuError } from '../../errors/index.ts';
import type { RecordsStore, TicketRecord } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
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

/** What the customer is told after asking for a person. */
export function handoffMessage(ticket: Pick<TicketRecord, 'number'>, language: 'en' | 'zh'): string {
  return language === 'zh'
    ? `已为您创建工单 ${ticket.number}。人工客服会查看这段对话，并在一个工作日内回复您。联系我们时请提供此工单号。`
    : `We have opened ticket ${ticket.number}. A member of our support team will read this conversation and reply within one working day. Please quote the ticket number if you contact us.`;
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
        body: HandoffRequest,
        response: { 201: HandoffResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { conversationId, reason = 'customer-request', note } = request.body;
      const ticket = await records.openTicket({ conversationId, reason, note: note ?? '' });
      const language =
        request.body.language ?? (ticket.transcript.findLast((message) => message.role === 'assistant')?.language === 'zh' ? 'zh' : 'en');
      const message = handoffMessage(ticket, language);
      // The hand-over shows in the transcript, so the conversation reads the same later.
      await records.appendMessages([{ conversationId, role: 'system', text: message }]);
      metrics.tickets.inc({ reason });
      request.log.info({ ticket: ticket.number, reason, conversationId }, 'ticket opened');
      return reply.status(201).send({
        ticket: { id: ticket.id, number: ticket.number, status: ticket.status, reason: ticket.reason, createdAt: ticket.createdAt },
        message,
      });
    },
  );
}
