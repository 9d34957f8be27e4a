/**
 * The customer's side of a conversation: the transcript, live updates, feedback, asking for a person, contact details
 * left outside business hours, typing, and the 1–5 rating after an agent resolved it. Every route needs the
 * conversation's token (`X-Conversation-Token`), returned when the conversation was created: the id alone opens
 * nothing.
 */
import type { FastifyRequest } from 'fastify';
import { KefuError } from '../../errors/index.ts';
import type { HandoverService } from '../../handover/index.ts';
import type { RecordsStore } from '../../records/types.ts';
import type { KefuApp } from '../app.ts';
import { checkConversationToken } from '../auth.ts';
import { handoffView } from '../handoff.ts';
import { customerMessageView, type LiveStreams } from '../live.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { ContactRequest, ConversationParams, ConversationResponse, FeedbackRequest, FeedbackResponse, HandoffRequest, HandoffResponse, RatingRequest, errorResponses } from '../schemas.ts';

export interface ConversationRouteDependencies {
  app: KefuApp;
  records: RecordsStore;
  handover: HandoverService;
  live: LiveStreams;
  metrics?: ServiceMetrics;
}

const errors = errorResponses(400, 401, 403, 404, 409, 429);
const tokenHeader = { 'x-conversation-token': { type: 'string', description: 'The conversationToken returned when the conversation started' } } as const;
const security: Array<Record<string, string[]>> = [{ conversationToken: [] }];

export function registerConversationRoutes({ app, records, handover, live, metrics }: ConversationRouteDependencies): void {
  const access = (request: FastifyRequest, conversationId: string) => checkConversationToken({ records, request, conversationId });

  app.get(
    '/api/conversations/:id',
    {
      schema: {
        tags: ['chat'],
        summary: 'Read a conversation: its state, the agent, and the transcript (what the customer sees)',
        security,
        params: ConversationParams,
        response: { 200: ConversationResponse, ...errors },
      },
    },
    async (request) => {
      await access(request, request.params.id);
      // Read first, so a stream opened with Last-Event-ID = lastEventSeq misses nothing written after this read.
      const lastEventSeq = await records.lastEventSeq();
      const conversation = await records.getConversation(request.params.id);
      if (!conversation) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: request.params.id });
      const ticket = await records.currentTicket(conversation.id);
      const assignee = conversation.state === 'agent' && ticket?.assigneeId ? await records.getUser(ticket.assigneeId) : undefined;
      const messages = (await records.listMessages(conversation.id)).map(customerMessageView).filter((message) => message !== undefined);
      return {
        id: conversation.id,
        createdAt: conversation.createdAt,
        updatedAt: conversation.updatedAt,
        state: conversation.state,
        agentName: assignee?.displayName ?? null,
        ticket: ticket
          ? {
              number: ticket.number,
              status: ticket.status,
              outsideHours: ticket.outsideHours,
              contactLeft: ticket.contactEmail !== undefined || ticket.contactPhone !== undefined,
              canRate: conversation.state === 'resolved' && ticket.resolution === 'resolved' && ticket.rating === undefined,
            }
          : null,
        lastEventSeq,
        messages,
      };
    },
  );

  app.get(
    '/api/conversations/:id/events',
    {
      schema: {
        tags: ['chat'],
        summary: 'Live updates of a conversation (Server-Sent Events)',
        description:
          'Events: `ready` {state, agentName, canRate} first; `message` {message} (agent replies, notices, and the customer\'s and kefu\'s own messages), `state` {state, agentName, canRate}, `typing` {name} when an agent types. ' +
          'Committed events carry an id: reconnect with Last-Event-ID to get what was missed. A comment line every KEFU_LIVE_HEARTBEAT_MS keeps the connection open.',
        security,
        params: ConversationParams,
        response: errors,
      },
    },
    async (request, reply) => {
      await access(request, request.params.id);
      return live.customer(request, reply, request.params.id);
    },
  );

  app.post(
    '/api/feedback',
    {
      schema: {
        tags: ['chat'],
        summary: 'Rate an answer (thumbs up or down, optional comment)',
        security,
        body: FeedbackRequest,
        response: { 201: FeedbackResponse, ...errors },
      },
    },
    async (request, reply) => {
      const message = await records.getMessage(request.body.messageId);
      if (!message || message.role !== 'assistant') throw new KefuError('MESSAGE_NOT_FOUND', { detail: request.body.messageId });
      await access(request, message.conversationId);
      const feedback = await records.addFeedback(request.body);
      request.log.info({ messageId: feedback.messageId, rating: feedback.rating }, 'feedback');
      metrics?.feedback.inc({ rating: feedback.rating });
      return reply.status(201).send(feedback);
    },
  );

  app.post(
    '/api/handoff',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask for a person: opens a ticket (工单) and hands the conversation to people',
        description:
          'One open ticket per conversation: asking again returns the open ticket (200) instead of opening another (201). Outside business hours the reply says when people are back (`outsideHours`); ' +
          'the customer may then leave an email or phone with POST /api/conversations/:id/contact.',
        security,
        headers: { type: 'object', properties: tokenHeader },
        body: HandoffRequest,
        response: { 200: HandoffResponse, 201: HandoffResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { conversationId, reason = 'customer-request', note, language } = request.body;
      await access(request, conversationId);
      const result = await handover.handOver({ conversationId, reason, ...(note ? { note } : {}), ...(language ? { language } : {}) });
      const state = (await records.getConversation(conversationId))?.state;
      // Asking again is not an error: the open ticket is the answer (200 rather than 201 Created).
      return reply.status(result.created ? 201 : 200).send({ ...handoffView(result), ...(state ? { state } : {}) });
    },
  );

  app.post(
    '/api/conversations/:id/contact',
    {
      schema: {
        tags: ['chat'],
        summary: 'Leave an email and/or phone number on the open ticket (asked outside business hours)',
        security,
        params: ConversationParams,
        body: ContactRequest,
        response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errors },
      },
    },
    async (request) => {
      await access(request, request.params.id);
      await handover.setContact({ conversationId: request.params.id, ...request.body });
      return { ok: true };
    },
  );

  app.post(
    '/api/conversations/:id/rating',
    {
      schema: {
        tags: ['chat'],
        summary: 'Rate the conversation 1–5 after an agent resolved it (once)',
        security,
        params: ConversationParams,
        body: RatingRequest,
        response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...errors },
      },
    },
    async (request) => {
      await access(request, request.params.id);
      await handover.rate({ conversationId: request.params.id, score: request.body.score });
      metrics?.ratings.inc({ score: String(request.body.score) });
      return { ok: true };
    },
  );

  app.post(
    '/api/conversations/:id/typing',
    {
      schema: {
        tags: ['chat'],
        summary: 'The customer is typing (shown live to agents; send at most every few seconds while typing)',
        security,
        params: ConversationParams,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await access(request, request.params.id);
      handover.typing({ conversationId: request.params.id, who: 'customer' });
      return reply.status(204).send(null);
    },
  );
}
