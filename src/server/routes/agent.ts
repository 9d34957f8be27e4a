/**
 * The agents' API (`/api/agent/*`, role with the `conversations` capability: agents and owners): the queue, a
 * conversation with everything kefu knew, replies and internal notes, assignment (last one wins, announced to the
 * customer and to colleagues), priority and tags, resolve, hand back to kefu, typing and "who is viewing", quick
 * replies, and the live stream of it all. Every route answers 401 without credentials and 403 for another role.
 */
import type { Accounts } from '../../accounts/index.ts';
import { can } from '../../accounts/index.ts';
import type { Config } from '../../config/index.ts';
import { KefuError } from '../../errors/index.ts';
import type { EventBus } from '../../events/bus.ts';
import type { Presence } from '../../events/presence.ts';
import type { HandoverService } from '../../handover/index.ts';
import type { QueueView, RecordsStore } from '../../records/types.ts';
import {
  AgentConversation,
  AgentReplyResponse,
  AgentsResponse,
  AssignRequest,
  IdParams,
  PassageParams,
  PassageResponse,
  QueueQuery,
  QueueResponse,
  QuickRepliesResponse,
  QuickReply,
  QuickReplyRequest,
  TicketResponse,
  TicketUpdateRequest,
  ViewersResponse,
  ViewingRequest,
  agentMessageRequestSchema,
} from '../agent-schemas.ts';
import type { KefuApp } from '../app.ts';
import { requireStaff, staffOf } from '../auth.ts';
import type { DocumentAccess } from '../document-access.ts';
import type { LiveStreams } from '../live.ts';
import type { ServiceMetrics } from '../metrics.ts';
import { queueItemView, slaView, ticketView, userNames } from '../views.ts';
import { errorResponses, STAFF_SECURITY } from '../schemas.ts';

export interface AgentRouteDependencies {
  app: KefuApp;
  config: Config;
  records: RecordsStore;
  accounts: Accounts;
  handover: HandoverService;
  bus: EventBus;
  presence: Presence;
  live: LiveStreams;
  documents: DocumentAccess;
  metrics: ServiceMetrics;
}

const errors = errorResponses(400, 401, 403, 404, 409, 429);
const security = STAFF_SECURITY;
/** How long "viewing" lasts unless the workspace renews it (it does every 20 s while a conversation is open). */
const VIEWING_TTL_MS = 45_000;

export function registerAgentRoutes(dependencies: AgentRouteDependencies): void {
  const { app, config, records, accounts, handover, bus, presence, live, documents, metrics } = dependencies;
  const onRequest = requireStaff({ accounts, capability: 'conversations' });
  const target = config.handover.firstResponseTargetMinutes;
  const MessageRequest = agentMessageRequestSchema(config.handover.maxAgentMessageChars);

  const requireConversation = async (id: string) => {
    const conversation = await records.getConversation(id);
    if (!conversation) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: id });
    return conversation;
  };

  const checkText = (text: string): string => {
    if (text.trim() === '') throw new KefuError('MESSAGE_EMPTY');
    return text;
  };

  app.get(
    '/api/agent/conversations',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'The queue: waiting, mine, all open, or resolved',
        description: 'Waiting and open lists put the longest-waiting first; resolved lists the most recently closed first. Each item has its first-response SLA.',
        security,
        querystring: QueueQuery,
        response: { 200: QueueResponse, ...errors },
      },
    },
    async (request) => {
      const { user } = staffOf(request);
      const view: QueueView = request.query.status ?? 'open';
      const limit = Math.min(200, Math.max(1, Number(request.query.limit ?? 100)));
      const lastEventSeq = await records.lastEventSeq();
      const [items, counts, names] = await Promise.all([
        records.listQueue({ view, agentId: user.id, limit }),
        records.countQueue({ agentId: user.id }),
        userNames(records),
      ]);
      const now = new Date();
      return { items: items.map((item) => queueItemView({ item, names, presence, targetMinutes: target, now })), counts, lastEventSeq };
    },
  );

  app.get(
    '/api/agent/conversations/:id',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'A conversation: the whole transcript (with kefu\'s citations, confidence and retrieved passages, and internal notes), its ticket and who is viewing it',
        security,
        params: IdParams,
        response: { 200: AgentConversation, ...errors },
      },
    },
    async (request) => {
      const lastEventSeq = await records.lastEventSeq();
      const conversation = await requireConversation(request.params.id);
      const [ticket, messages, names] = await Promise.all([records.currentTicket(conversation.id), records.listMessages(conversation.id), userNames(records)]);
      return {
        id: conversation.id,
        state: conversation.state,
        stateSince: conversation.stateSince,
        language: conversation.language ?? null,
        channel: conversation.channel,
        createdAt: conversation.createdAt,
        ticket: ticket ? ticketView(ticket, names) : null,
        sla: ticket ? slaView({ ticket, targetMinutes: target, now: new Date() }) : null,
        viewers: presence.viewers(conversation.id),
        messages,
        lastEventSeq,
      };
    },
  );

  app.post(
    '/api/agent/conversations/:id/messages',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'Reply to the customer (live, within a second)',
        description:
          'An unassigned conversation is assigned to you (the customer reads "You are now chatting with <you>"). One assigned to someone else is refused with 409 CONVERSATION_ASSIGNED naming them: assign it to yourself first. ' +
          'A resolved conversation → 409 CONVERSATION_RESOLVED; one kefu is answering → 409 CONVERSATION_NOT_WITH_PEOPLE.',
        security,
        params: IdParams,
        body: MessageRequest,
        response: { 201: AgentReplyResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { user } = staffOf(request);
      const { message, ticket } = await handover.reply({ conversationId: request.params.id, author: user, text: checkText(request.body.text) });
      metrics.agentMessages.inc({ kind: 'reply' });
      if (ticket.firstResponseAt === message.createdAt) metrics.agentFirstResponse.observe((Date.parse(message.createdAt) - Date.parse(ticket.createdAt)) / 1000);
      return reply.status(201).send({ message, ticket: ticketView(ticket, await userNames(records)) });
    },
  );

  app.post(
    '/api/agent/conversations/:id/notes',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'Add an internal note (colleagues see it; the customer never does)',
        security,
        params: IdParams,
        body: MessageRequest,
        response: { 201: AgentReplyResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { user } = staffOf(request);
      const { message, ticket } = await handover.reply({ conversationId: request.params.id, author: user, text: checkText(request.body.text), note: true });
      metrics.agentMessages.inc({ kind: 'note' });
      return reply.status(201).send({ message, ticket: ticketView(ticket, await userNames(records)) });
    },
  );

  app.post(
    '/api/agent/conversations/:id/assign',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'Assign the conversation to yourself or to another agent (the last assignment wins, and everyone sees it)',
        security,
        params: IdParams,
        body: AssignRequest,
        response: { 200: TicketResponse, ...errors },
      },
    },
    async (request) => {
      const { user } = staffOf(request);
      let agent = user;
      if (request.body.agentId && request.body.agentId !== user.id) {
        const chosen = await records.getUser(request.body.agentId);
        if (!chosen) throw new KefuError('USER_NOT_FOUND', { detail: request.body.agentId });
        if (chosen.disabled || !can(chosen.role, 'conversations')) throw new KefuError('USER_INVALID', { detail: `${chosen.name} cannot answer conversations (disabled, or an admin account)` });
        agent = chosen;
      }
      const ticket = await handover.assign({ conversationId: request.params.id, agent, by: user });
      return { ticket: ticketView(ticket, await userNames(records)) };
    },
  );

  app.patch(
    '/api/agent/conversations/:id',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'Set the priority and tags of the conversation\'s ticket', security, params: IdParams, body: TicketUpdateRequest, response: { 200: TicketResponse, ...errors } },
    },
    async (request) => {
      const { user } = staffOf(request);
      const ticket = await handover.update({ conversationId: request.params.id, by: user, ...request.body });
      return { ticket: ticketView(ticket, await userNames(records)) };
    },
  );

  app.post(
    '/api/agent/conversations/:id/resolve',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'Resolve: the ticket closes, the customer may rate it 1–5, and their next message goes to kefu',
        security,
        params: IdParams,
        response: { 200: TicketResponse, ...errors },
      },
    },
    async (request) => {
      const ticket = await handover.resolve({ conversationId: request.params.id, by: staffOf(request).user });
      if (ticket.closedAt) metrics.ticketResolution.observe((Date.parse(ticket.closedAt) - Date.parse(ticket.createdAt)) / 1000);
      return { ticket: ticketView(ticket, await userNames(records)) };
    },
  );

  app.post(
    '/api/agent/conversations/:id/hand-back',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'Hand the conversation back to kefu (the ticket closes without a resolution)', security, params: IdParams, response: { 200: TicketResponse, ...errors } },
    },
    async (request) => {
      const ticket = await handover.handBack({ conversationId: request.params.id, by: staffOf(request).user });
      return { ticket: ticketView(ticket, await userNames(records)) };
    },
  );

  app.post(
    '/api/agent/conversations/:id/typing',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'You are typing (the customer sees it; send at most every few seconds)', security, params: IdParams, response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      await requireConversation(request.params.id);
      handover.typing({ conversationId: request.params.id, who: 'agent', agent: staffOf(request).user });
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/agent/conversations/:id/viewing',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'You opened (viewing: true, renew every 20 s) or left (false) the conversation; returns who is viewing it',
        security,
        params: IdParams,
        body: ViewingRequest,
        response: { 200: ViewersResponse, ...errors },
      },
    },
    async (request) => {
      await requireConversation(request.params.id);
      const { user } = staffOf(request);
      bus.publish({ kind: 'presence', agentId: user.id, name: user.displayName, conversationId: request.params.id, state: request.body.viewing ? 'viewing' : 'left', ttlMs: VIEWING_TTL_MS });
      return { viewers: presence.viewers(request.params.id) };
    },
  );

  app.get(
    '/api/agent/agents',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'Colleagues who can take a conversation, and who is online', security, response: { 200: AgentsResponse, ...errors } },
    },
    async () => {
      const online = new Set(presence.online().map((agent) => agent.agentId));
      const users = (await records.listUsers()).filter((user) => !user.disabled && can(user.role, 'conversations'));
      return { agents: users.map((user) => ({ id: user.id, name: user.displayName, role: user.role, online: online.has(user.id) })) };
    },
  );

  app.get(
    '/api/agent/passages/:chunkId',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'The full text of a retrieved passage', security, params: PassageParams, response: { 200: PassageResponse, ...errors } },
    },
    async (request) => {
      const passage = await documents.passage(request.params.chunkId);
      if (!passage) throw new KefuError('DOCUMENT_NOT_FOUND', { detail: `passage ${request.params.chunkId} (re-indexed or removed since)` });
      return passage;
    },
  );

  app.get(
    '/api/agent/quick-replies',
    { onRequest, schema: { tags: ['agent'], summary: 'The team\'s quick replies (inserted with /shortcut)', security, response: { 200: QuickRepliesResponse, ...errors } } },
    async () => ({ quickReplies: await records.listQuickReplies() }),
  );

  app.post(
    '/api/agent/quick-replies',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'Add a quick reply for the team', security, body: QuickReplyRequest, response: { 201: QuickReply, ...errors } },
    },
    async (request, reply) => {
      const saved = await records.saveQuickReply({ shortcut: request.body.shortcut, text: checkText(request.body.text), by: staffOf(request).user.id });
      return reply.status(201).send(saved);
    },
  );

  app.put(
    '/api/agent/quick-replies/:id',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'Change a quick reply', security, params: IdParams, body: QuickReplyRequest, response: { 200: QuickReply, ...errors } },
    },
    async (request) => records.saveQuickReply({ id: request.params.id, shortcut: request.body.shortcut, text: checkText(request.body.text), by: staffOf(request).user.id }),
  );

  app.delete(
    '/api/agent/quick-replies/:id',
    {
      onRequest,
      schema: { tags: ['agent'], summary: 'Remove a quick reply', security, params: IdParams, response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      await records.deleteQuickReply(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/agent/events',
    {
      onRequest,
      schema: {
        tags: ['agent'],
        summary: 'Live updates for the workspace (Server-Sent Events)',
        description:
          'Events: `ready` {agentsOnline}; `event` {seq, type, conversationId, at, actorType, actorId, data, message?} for every change in every conversation (its id is the seq: reconnect with Last-Event-ID to replay what was missed; ' +
          '`resync` when too much was missed: reload); `typing` {conversationId, who, name}; `presence` {agentId, name, conversationId, state}. A comment every KEFU_LIVE_HEARTBEAT_MS keeps it open.',
        security,
        response: errors,
      },
    },
    async (request, reply) => live.agent(request, reply, staffOf(request).user),
  );
}
