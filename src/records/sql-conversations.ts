/**
 * Conversations, messages, feedback, tickets and the event log over any `SqlDatabase` (portable SQL). Every change
 * is one transaction that records its events in the same commit, so the log never misses or invents a change.
 * State rules (who may reply, one open ticket, last assignment wins) are enforced here, inside the transaction,
 * because only there are they safe against two requests (or two replicas) at once.
 */
import { randomUUID } from 'node:crypto';
import { KefuError } from '../errors/index.ts';
import type { Citation } from '../schemas/citation.ts';
import type { StoredPassage } from '../schemas/passage.ts';
import { optionalNumber, optionalText, parseJson, placeholders, text, type SqlDatabase, type SqlExecutor, type SqlRow, type SqlValue } from './sql-database.ts';
import type {
  ActorType,
  AgentActor,
  Channel,
  ConversationEvent,
  ConversationEventType,
  ConversationRecord,
  ConversationState,
  FeedbackRecord,
  MessageRecord,
  MessageRole,
  Priority,
  QueueItem,
  QueueView,
  RecordsStore,
  TicketReason,
  TicketRecord,
  TicketStatus,
  TicketSummary,
} from './types.ts';

/** The number customers and agents quote: 12 → "KF-000012". */
export function ticketNumber(id: number): string {
  return `KF-${String(id).padStart(6, '0')}`;
}

/** A conversations row as a record (also read by src/records/sql-channels.ts). */
export function toConversation(row: SqlRow): ConversationRecord {
  const conversation: ConversationRecord = {
    id: text(row.id),
    createdAt: text(row.created_at),
    updatedAt: text(row.updated_at),
    state: (optionalText(row.state) ?? 'bot') as ConversationState,
    stateSince: optionalText(row.state_since) ?? text(row.updated_at),
    channel: (optionalText(row.channel) ?? 'web') as Channel,
    hasToken: row.token_hash !== null && row.token_hash !== undefined,
  };
  const language = optionalText(row.language);
  if (language !== undefined) conversation.language = language;
  return conversation;
}

async function recordEvent(
  tx: SqlExecutor,
  event: { conversationId: string; type: ConversationEventType; at: string; actorType: ActorType; actorId?: string; data: Record<string, unknown> },
): Promise<ConversationEvent> {
  const row = await tx.get('INSERT INTO conversation_events (conversation_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq', [
    event.conversationId,
    event.type,
    event.at,
    event.actorType,
    event.actorId ?? null,
    JSON.stringify(event.data),
  ]);
  const stored: ConversationEvent = { seq: Number(row?.seq), conversationId: event.conversationId, type: event.type, at: event.at, actorType: event.actorType, data: event.data };
  if (event.actorId !== undefined) stored.actorId = event.actorId;
  return stored;
}

/**
 * A new conversation and its conversation-started event, inside the caller's transaction (createConversation, and a
 * channel user's first message in src/records/sql-channels.ts).
 *
 * @example
 *   const conversation = await insertConversation({ tx, at, channel: 'wechat' });
 */
export async function insertConversation(options: { tx: SqlExecutor; at: string; channel: Channel; language?: string; tokenHash?: string }): Promise<ConversationRecord> {
  const { tx, at } = options;
  const conversation: ConversationRecord = { id: randomUUID(), createdAt: at, updatedAt: at, state: 'bot', stateSince: at, channel: options.channel, hasToken: options.tokenHash !== undefined };
  if (options.language) conversation.language = options.language;
  await tx.run('INSERT INTO conversations (id, created_at, updated_at, state, state_since, channel, language, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    conversation.id,
    at,
    at,
    'bot',
    at,
    conversation.channel,
    options.language ?? null,
    options.tokenHash ?? null,
  ]);
  await recordEvent(tx, { conversationId: conversation.id, type: 'conversation-started', at, actorType: 'customer', data: { channel: conversation.channel } });
  return conversation;
}

function toMessage(row: SqlRow): MessageRecord {
  const message: MessageRecord = {
    id: text(row.id),
    conversationId: text(row.conversation_id),
    role: text(row.role) as MessageRole,
    text: text(row.text),
    createdAt: text(row.created_at),
    citations: parseJson<Citation[]>(row.citations, []),
    suggestions: parseJson<string[]>(row.suggestions, []),
    retrieved: parseJson<StoredPassage[]>(row.retrieved, []),
  };
  const optional = {
    outcome: optionalText(row.outcome),
    confidence: optionalNumber(row.confidence),
    language: optionalText(row.language),
    responseMs: optionalNumber(row.response_ms),
    authorId: optionalText(row.author_id),
    authorName: optionalText(row.author_name),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(message, { [key]: value });
  return message;
}

const TICKET_COLUMNS =
  'id, conversation_id, reason, status, note, created_at, assignee_id, priority, tags, contact_email, contact_phone, outside_hours, first_response_at, closed_at, resolution, rating';

function toTicketSummary(row: SqlRow): TicketSummary {
  const id = Number(row.id);
  const ticket: TicketSummary = {
    id,
    number: ticketNumber(id),
    conversationId: text(row.conversation_id),
    reason: text(row.reason) as TicketReason,
    status: text(row.status) as TicketStatus,
    note: text(row.note),
    createdAt: text(row.created_at),
    priority: (optionalText(row.priority) ?? 'normal') as Priority,
    tags: parseJson<string[]>(row.tags, []),
    outsideHours: Number(row.outside_hours ?? 0) === 1,
  };
  const optional = {
    assigneeId: optionalText(row.assignee_id),
    contactEmail: optionalText(row.contact_email),
    contactPhone: optionalText(row.contact_phone),
    firstResponseAt: optionalText(row.first_response_at),
    closedAt: optionalText(row.closed_at),
    resolution: optionalText(row.resolution),
    rating: optionalNumber(row.rating),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(ticket, { [key]: value });
  return ticket;
}

function toTicket(row: SqlRow): TicketRecord {
  return { ...toTicketSummary(row), transcript: parseJson<MessageRecord[]>(row.transcript, []) };
}

/** A conversation_events row as the event it records (the KPI report reads the same rows). */
export function toEvent(row: SqlRow): ConversationEvent {
  const event: ConversationEvent = {
    seq: Number(row.seq),
    conversationId: text(row.conversation_id),
    type: text(row.type) as ConversationEventType,
    at: text(row.at),
    actorType: text(row.actor_type) as ActorType,
    data: parseJson<Record<string, unknown>>(row.data, {}),
  };
  const actorId = optionalText(row.actor_id);
  if (actorId !== undefined) event.actorId = actorId;
  return event;
}

const ACTOR_OF_ROLE: Record<MessageRole, ActorType> = { user: 'customer', assistant: 'bot', system: 'system', agent: 'agent', note: 'agent' };

/** Fields of a message-added event: what reports need without reading the message. */
function messageEventData(message: MessageRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const data: Record<string, unknown> = { messageId: message.id, role: message.role, ...extra };
  if (message.outcome !== undefined) data.outcome = message.outcome;
  if (message.confidence !== undefined) data.confidence = message.confidence;
  if (message.language !== undefined) data.language = message.language;
  if (message.responseMs !== undefined) data.responseMs = message.responseMs;
  if (message.authorId !== undefined) data.authorId = message.authorId;
  return data;
}

type ConversationMethods = Pick<
  RecordsStore,
  | 'createConversation'
  | 'getConversation'
  | 'conversationTokenHash'
  | 'setConversationLanguage'
  | 'appendMessages'
  | 'recordMessages'
  | 'addCustomerMessage'
  | 'listMessages'
  | 'getMessage'
  | 'addFeedback'
  | 'listFeedback'
  | 'openTicket'
  | 'listTickets'
  | 'currentTicket'
  | 'setTicketContact'
  | 'listQueue'
  | 'countQueue'
  | 'assign'
  | 'addAgentMessage'
  | 'updateTicket'
  | 'closeTicket'
  | 'rateTicket'
  | 'listEvents'
  | 'lastEventSeq'
>;

/**
 * The conversation half of a `RecordsStore` over a migrated database.
 *
 * @example
 *   const conversations = createSqlConversations({ database, now: () => new Date() });
 */
export function createSqlConversations(options: { database: SqlDatabase; now: () => Date }): ConversationMethods {
  const { database } = options;
  const timestamp = (): string => options.now().toISOString();

  /** Touches the conversation's row first: the per-conversation lock on every engine (see SqlDatabase.transaction). */
  async function lockConversation(tx: SqlExecutor, id: string, at: string): Promise<ConversationRecord> {
    const { changes } = await tx.run('UPDATE conversations SET updated_at = ? WHERE id = ?', [at, id]);
    if (changes === 0) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: id });
    const row = await tx.get('SELECT * FROM conversations WHERE id = ?', [id]);
    if (!row) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: id });
    return toConversation(row);
  }

  async function changeState(
    tx: SqlExecutor,
    input: { conversation: ConversationRecord; to: ConversationState; at: string; cause: string; actorType: ActorType; actorId?: string; extra?: Record<string, unknown> },
  ): Promise<ConversationEvent | undefined> {
    if (input.conversation.state === input.to) return undefined;
    await tx.run('UPDATE conversations SET state = ?, state_since = ? WHERE id = ?', [input.to, input.at, input.conversation.id]);
    const from = input.conversation.state;
    input.conversation.state = input.to;
    input.conversation.stateSince = input.at;
    const event: Parameters<typeof recordEvent>[1] = {
      conversationId: input.conversation.id,
      type: 'state-changed',
      at: input.at,
      actorType: input.actorType,
      data: { from, to: input.to, cause: input.cause, ...input.extra },
    };
    if (input.actorId !== undefined) event.actorId = input.actorId;
    return recordEvent(tx, event);
  }

  async function insertMessage(
    tx: SqlExecutor,
    input: {
      conversationId: string;
      role: MessageRole;
      text: string;
      at: string;
      outcome?: string;
      confidence?: number;
      citations?: Citation[];
      suggestions?: string[];
      language?: string;
      retrieved?: StoredPassage[];
      responseMs?: number;
      author?: AgentActor;
    },
  ): Promise<MessageRecord> {
    const message: MessageRecord = {
      id: randomUUID(),
      conversationId: input.conversationId,
      role: input.role,
      text: input.text,
      createdAt: input.at,
      citations: input.citations ?? [],
      suggestions: input.suggestions ?? [],
      retrieved: input.retrieved ?? [],
    };
    if (input.outcome !== undefined) message.outcome = input.outcome;
    if (input.confidence !== undefined) message.confidence = input.confidence;
    if (input.language !== undefined) message.language = input.language;
    if (input.responseMs !== undefined) message.responseMs = Math.round(input.responseMs);
    if (input.author) {
      message.authorId = input.author.id;
      message.authorName = input.author.displayName;
    }
    const values: SqlValue[] = [
      message.id,
      message.conversationId,
      message.role,
      message.text,
      message.createdAt,
      message.outcome ?? null,
      message.confidence ?? null,
      JSON.stringify(message.citations),
      JSON.stringify(message.suggestions),
      message.language ?? null,
      JSON.stringify(message.retrieved),
      message.responseMs ?? null,
      message.authorId ?? null,
      message.authorName ?? null,
    ];
    await tx.run(
      'INSERT INTO messages (id, conversation_id, role, text, created_at, outcome, confidence, citations, suggestions, language, retrieved, response_ms, author_id, author_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      values,
    );
    return message;
  }

  /** A system message for the customer (an announcement of the change just made), with its event. */
  async function addNotice(tx: SqlExecutor, conversationId: string, notice: string | undefined, at: string): Promise<ConversationEvent[]> {
    if (!notice) return [];
    const message = await insertMessage(tx, { conversationId, role: 'system', text: notice, at });
    return [await recordEvent(tx, { conversationId, type: 'message-added', at, actorType: 'system', data: messageEventData(message) })];
  }

  const openTicketRow = (tx: SqlExecutor, conversationId: string) =>
    tx.get(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? AND status = 'open' ORDER BY id LIMIT 1`, [conversationId]);

  /** The open ticket of a locked conversation, or the error that says why there is none. */
  async function requireOpenTicket(tx: SqlExecutor, conversation: ConversationRecord): Promise<TicketSummary> {
    const row = await openTicketRow(tx, conversation.id);
    if (row) return toTicketSummary(row);
    if (conversation.state === 'resolved') throw new KefuError('CONVERSATION_RESOLVED', { detail: conversation.id });
    throw new KefuError('CONVERSATION_NOT_WITH_PEOPLE', { detail: `${conversation.id} is answered by kefu` });
  }

  async function ticketById(tx: SqlExecutor, id: number): Promise<TicketSummary> {
    const row = await tx.get(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?`, [id]);
    if (!row) throw new KefuError('RECORDS_FAILED', { detail: `ticket ${id} vanished` });
    return toTicketSummary(row);
  }

  const messagesOf = async (executor: SqlExecutor, conversationId: string): Promise<MessageRecord[]> =>
    (await executor.all('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq', [conversationId])).map(toMessage);

  /** Assigns a locked conversation's open ticket; a waiting conversation moves to agent. */
  async function assignLocked(
    tx: SqlExecutor,
    input: { conversation: ConversationRecord; ticket: TicketSummary; agent: AgentActor; by: AgentActor; at: string; notice?: string },
  ): Promise<ConversationEvent[]> {
    const events: ConversationEvent[] = [];
    const { conversation, ticket, agent, by, at } = input;
    const changed = ticket.assigneeId !== agent.id || conversation.state !== 'agent';
    if (ticket.assigneeId !== agent.id) {
      await tx.run('UPDATE tickets SET assignee_id = ? WHERE id = ?', [agent.id, ticket.id]);
      const data: Record<string, unknown> = { ticketId: ticket.id, agentId: agent.id, agentName: agent.displayName, byId: by.id, byName: by.displayName };
      if (ticket.assigneeId !== undefined) data.previousAgentId = ticket.assigneeId;
      events.push(await recordEvent(tx, { conversationId: conversation.id, type: 'ticket-assigned', at, actorType: 'agent', actorId: by.id, data }));
      ticket.assigneeId = agent.id;
    }
    const joined = await changeState(tx, {
      conversation,
      to: 'agent',
      at,
      cause: 'agent-joined',
      actorType: 'agent',
      actorId: by.id,
      extra: { ticketId: ticket.id, agentId: agent.id, agentName: agent.displayName },
    });
    if (joined) events.push(joined);
    if (changed) events.push(...(await addNotice(tx, conversation.id, input.notice, at)));
    return events;
  }

  async function queueItem(row: SqlRow): Promise<QueueItem | undefined> {
    const ticket = toTicketSummary(row);
    const conversationRow = await database.get('SELECT * FROM conversations WHERE id = ?', [ticket.conversationId]);
    if (!conversationRow) return undefined;
    const last = await database.get("SELECT role, text, created_at FROM messages WHERE conversation_id = ? AND role <> 'note' ORDER BY seq DESC LIMIT 1", [ticket.conversationId]);
    // Customer messages since the hand-over and since the last agent reply.
    const unanswered = await database.get(
      "SELECT COUNT(*) AS count FROM messages WHERE conversation_id = ? AND role = 'user' AND created_at > ? AND seq > COALESCE((SELECT MAX(seq) FROM messages WHERE conversation_id = ? AND role = 'agent'), 0)",
      [ticket.conversationId, ticket.createdAt, ticket.conversationId],
    );
    const item: QueueItem = { conversation: toConversation(conversationRow), ticket, unanswered: Number(unanswered?.count ?? 0) };
    if (last) item.lastMessage = { role: text(last.role) as MessageRole, text: text(last.text).slice(0, 300), createdAt: text(last.created_at) };
    return item;
  }

  const recordMessages = (messages: Parameters<RecordsStore['appendMessages']>[0]) =>
    database.transaction(async (tx) => {
      const stored: MessageRecord[] = [];
      const events: ConversationEvent[] = [];
      for (const input of messages) {
        const at = timestamp();
        await lockConversation(tx, input.conversationId, at);
        const message = await insertMessage(tx, { ...input, at });
        events.push(await recordEvent(tx, { conversationId: input.conversationId, type: 'message-added', at, actorType: ACTOR_OF_ROLE[input.role], data: messageEventData(message) }));
        stored.push(message);
      }
      return { messages: stored, events };
    });

  const QUEUE_WHERE: Record<QueueView, string> = {
    waiting: "t.status = 'open' AND c.state = 'waiting'",
    mine: "t.status = 'open' AND t.assignee_id = ?",
    open: "t.status = 'open'",
    resolved: "t.status = 'closed'",
  };

  return {
    createConversation: (input = {}) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        return insertConversation({
          tx,
          at,
          channel: input.channel ?? 'api',
          ...(input.language !== undefined ? { language: input.language } : {}),
          ...(input.tokenHash !== undefined ? { tokenHash: input.tokenHash } : {}),
        });
      }),

    getConversation: async (id) => {
      const row = await database.get('SELECT * FROM conversations WHERE id = ?', [id]);
      return row ? toConversation(row) : undefined;
    },

    conversationTokenHash: async (id) => optionalText((await database.get('SELECT token_hash FROM conversations WHERE id = ?', [id]))?.token_hash),

    setConversationLanguage: async (id, language) => {
      await database.run('UPDATE conversations SET language = ? WHERE id = ? AND (language IS NULL OR language <> ?)', [language, id, language]);
    },

    appendMessages: async (messages) => (await recordMessages(messages)).messages,

    recordMessages: (messages) => recordMessages(messages),

    addCustomerMessage: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const events: ConversationEvent[] = [];
        if (conversation.state === 'resolved') {
          const back = await changeState(tx, { conversation, to: 'bot', at, cause: 'customer-returned', actorType: 'customer' });
          if (back) events.push(back);
        }
        const toPeople = conversation.state === 'waiting' || conversation.state === 'agent';
        const message = await insertMessage(tx, { conversationId: conversation.id, role: 'user', text: input.text, at });
        events.push(await recordEvent(tx, { conversationId: conversation.id, type: 'message-added', at, actorType: 'customer', data: messageEventData(message, { toPeople }) }));
        return { message, toPeople, events };
      }),

    listMessages: (conversationId) => messagesOf(database, conversationId),

    getMessage: async (id) => {
      const row = await database.get('SELECT * FROM messages WHERE id = ?', [id]);
      return row ? toMessage(row) : undefined;
    },

    addFeedback: (input) =>
      database.transaction(async (tx) => {
        const message = await tx.get('SELECT role, conversation_id FROM messages WHERE id = ?', [input.messageId]);
        if (!message || message.role !== 'assistant') throw new KefuError('MESSAGE_NOT_FOUND', { detail: input.messageId });
        const feedback: FeedbackRecord = { id: randomUUID(), messageId: input.messageId, rating: input.rating, comment: input.comment ?? '', createdAt: timestamp() };
        await tx.run('INSERT INTO feedback (id, message_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)', [
          feedback.id,
          feedback.messageId,
          feedback.rating,
          feedback.comment,
          feedback.createdAt,
        ]);
        const data: Record<string, unknown> = { messageId: feedback.messageId, rating: feedback.rating };
        if (feedback.comment) data.comment = feedback.comment.slice(0, 500);
        await recordEvent(tx, { conversationId: text(message.conversation_id), type: 'feedback-given', at: feedback.createdAt, actorType: 'customer', data });
        return feedback;
      }),

    listFeedback: async (messageId) =>
      (await database.all('SELECT * FROM feedback WHERE message_id = ? ORDER BY created_at', [messageId])).map((row) => ({
        id: text(row.id),
        messageId: text(row.message_id),
        rating: text(row.rating) as FeedbackRecord['rating'],
        comment: text(row.comment),
        createdAt: text(row.created_at),
      })),

    openTicket: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const existing = await tx.get(`SELECT ${TICKET_COLUMNS}, transcript FROM tickets WHERE conversation_id = ? AND status = 'open' ORDER BY id LIMIT 1`, [conversation.id]);
        if (existing) return { ticket: toTicket(existing), created: false, events: [] };
        const transcript = await messagesOf(tx, conversation.id);
        const row = await tx.get(
          "INSERT INTO tickets (conversation_id, reason, status, note, priority, created_at, transcript, outside_hours) VALUES (?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id",
          [conversation.id, input.reason, input.note ?? '', input.priority ?? 'normal', at, JSON.stringify(transcript), input.outsideHours ? 1 : 0],
        );
        const id = Number(row?.id);
        if (input.language && !conversation.language) await tx.run('UPDATE conversations SET language = ? WHERE id = ?', [input.language, conversation.id]);
        const events = [await recordEvent(tx, { conversationId: conversation.id, type: 'ticket-opened', at, actorType: 'customer', data: { ticketId: id, reason: input.reason, outsideHours: Boolean(input.outsideHours) } })];
        const changed = await changeState(tx, { conversation, to: 'waiting', at, cause: input.reason, actorType: input.reason === 'customer-request' || input.reason === 'negative-feedback' ? 'customer' : 'bot', extra: { ticketId: id } });
        if (changed) events.push(changed);
        const ticket: TicketRecord = { ...(await ticketById(tx, id)), transcript };
        return { ticket, created: true, events };
      }),

    listTickets: async (listOptions = {}) => {
      const limit = listOptions.limit ?? 100;
      const rows = listOptions.status
        ? await database.all(`SELECT ${TICKET_COLUMNS}, transcript FROM tickets WHERE status = ? ORDER BY id DESC LIMIT ?`, [listOptions.status, limit])
        : await database.all(`SELECT ${TICKET_COLUMNS}, transcript FROM tickets ORDER BY id DESC LIMIT ?`, [limit]);
      return rows.map(toTicket);
    },

    currentTicket: async (conversationId) => {
      const row =
        (await openTicketRow(database, conversationId)) ??
        (await database.get(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY id DESC LIMIT 1`, [conversationId]));
      return row ? toTicketSummary(row) : undefined;
    },

    setTicketContact: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const ticket = await requireOpenTicket(tx, conversation);
        await tx.run('UPDATE tickets SET contact_email = ?, contact_phone = ? WHERE id = ?', [input.email ?? null, input.phone ?? null, ticket.id]);
        const events = [await recordEvent(tx, { conversationId: conversation.id, type: 'contact-left', at, actorType: 'customer', data: { ticketId: ticket.id } })];
        return { ticket: await ticketById(tx, ticket.id), events };
      }),

    listQueue: async ({ view, agentId, limit = 100 }) => {
      const order = view === 'resolved' ? 't.closed_at DESC' : 't.created_at';
      const params: SqlValue[] = view === 'mine' ? [agentId ?? '', limit] : [limit];
      const rows = await database.all(
        `SELECT ${TICKET_COLUMNS.split(', ').map((column) => `t.${column}`).join(', ')} FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE ${QUEUE_WHERE[view]} ORDER BY ${order} LIMIT ?`,
        params,
      );
      const items: QueueItem[] = [];
      for (const row of rows) {
        const item = await queueItem(row);
        if (item) items.push(item);
      }
      return items;
    },

    countQueue: async ({ agentId }) => {
      const counts = {} as Record<QueueView, number>;
      for (const view of Object.keys(QUEUE_WHERE) as QueueView[]) {
        const row = await database.get(
          `SELECT COUNT(*) AS count FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE ${QUEUE_WHERE[view]}`,
          view === 'mine' ? [agentId ?? ''] : [],
        );
        counts[view] = Number(row?.count ?? 0);
      }
      return counts;
    },

    assign: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const ticket = await requireOpenTicket(tx, conversation);
        const events = await assignLocked(tx, { conversation, ticket, agent: input.agent, by: input.by, at, ...(input.notice ? { notice: input.notice } : {}) });
        return { ticket: await ticketById(tx, ticket.id), events };
      }),

    addAgentMessage: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const events: ConversationEvent[] = [];
        let ticket: TicketSummary;
        if (input.note) {
          // A note may be written on any handed-over conversation, open or closed, by anyone: customers never see it.
          const current = (await openTicketRow(tx, conversation.id)) ?? (await tx.get(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY id DESC LIMIT 1`, [conversation.id]));
          if (!current) throw new KefuError('CONVERSATION_NOT_WITH_PEOPLE', { detail: `${conversation.id} was never handed over` });
          ticket = toTicketSummary(current);
        } else {
          ticket = await requireOpenTicket(tx, conversation);
          if (ticket.assigneeId !== undefined && ticket.assigneeId !== input.author.id) {
            const assignee = await tx.get('SELECT display_name FROM users WHERE id = ?', [ticket.assigneeId]);
            throw new KefuError('CONVERSATION_ASSIGNED', { detail: `${text(assignee?.display_name) || 'another agent'} has it` });
          }
          events.push(...(await assignLocked(tx, { conversation, ticket, agent: input.author, by: input.author, at, ...(input.notice ? { notice: input.notice } : {}) })));
        }
        const message = await insertMessage(tx, { conversationId: conversation.id, role: input.note ? 'note' : 'agent', text: input.text, at, author: input.author });
        events.push(await recordEvent(tx, { conversationId: conversation.id, type: 'message-added', at, actorType: 'agent', actorId: input.author.id, data: messageEventData(message, { ticketId: ticket.id }) }));
        if (!input.note && ticket.firstResponseAt === undefined) await tx.run('UPDATE tickets SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL', [at, ticket.id]);
        return { message, ticket: await ticketById(tx, ticket.id), events };
      }),

    updateTicket: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const current = (await openTicketRow(tx, conversation.id)) ?? (await tx.get(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY id DESC LIMIT 1`, [conversation.id]));
        if (!current) throw new KefuError('CONVERSATION_NOT_WITH_PEOPLE', { detail: `${conversation.id} was never handed over` });
        const ticket = toTicketSummary(current);
        const data: Record<string, unknown> = { ticketId: ticket.id };
        if (input.priority !== undefined && input.priority !== ticket.priority) {
          await tx.run('UPDATE tickets SET priority = ? WHERE id = ?', [input.priority, ticket.id]);
          data.priority = input.priority;
        }
        if (input.tags !== undefined) {
          const tags = [...new Set(input.tags.map((tag) => tag.trim()).filter(Boolean))];
          if (JSON.stringify(tags) !== JSON.stringify(ticket.tags)) {
            await tx.run('UPDATE tickets SET tags = ? WHERE id = ?', [JSON.stringify(tags), ticket.id]);
            data.tags = tags;
          }
        }
        const events = Object.keys(data).length > 1 ? [await recordEvent(tx, { conversationId: conversation.id, type: 'ticket-updated', at, actorType: 'agent', actorId: input.by.id, data })] : [];
        return { ticket: await ticketById(tx, ticket.id), events };
      }),

    closeTicket: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const ticket = await requireOpenTicket(tx, conversation);
        await tx.run("UPDATE tickets SET status = 'closed', closed_at = ?, resolution = ? WHERE id = ?", [at, input.resolution, ticket.id]);
        const events = [
          await recordEvent(tx, {
            conversationId: conversation.id,
            type: 'ticket-resolved',
            at,
            actorType: 'agent',
            actorId: input.by.id,
            data: { ticketId: ticket.id, resolution: input.resolution, byId: input.by.id, byName: input.by.displayName },
          }),
        ];
        const to = input.resolution === 'resolved' ? 'resolved' : 'bot';
        const changed = await changeState(tx, {
          conversation,
          to,
          at,
          cause: input.resolution === 'resolved' ? 'agent-resolved' : 'handed-back',
          actorType: 'agent',
          actorId: input.by.id,
          extra: { ticketId: ticket.id, agentName: input.by.displayName },
        });
        if (changed) events.push(changed);
        events.push(...(await addNotice(tx, conversation.id, input.notice, at)));
        return { ticket: await ticketById(tx, ticket.id), events };
      }),

    rateTicket: (input) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        const conversation = await lockConversation(tx, input.conversationId, at);
        const row = await tx.get(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE conversation_id = ? ORDER BY id DESC LIMIT 1`, [conversation.id]);
        const ticket = row ? toTicketSummary(row) : undefined;
        if (!ticket || ticket.resolution !== 'resolved') throw new KefuError('RATING_NOT_EXPECTED', { detail: 'no agent has resolved this conversation' });
        if (ticket.rating !== undefined) throw new KefuError('RATING_NOT_EXPECTED', { detail: `ticket ${ticket.number} was already rated` });
        await tx.run('UPDATE tickets SET rating = ? WHERE id = ?', [input.score, ticket.id]);
        const events = [await recordEvent(tx, { conversationId: conversation.id, type: 'rating-given', at, actorType: 'customer', data: { ticketId: ticket.id, score: input.score } })];
        return { ticket: await ticketById(tx, ticket.id), events };
      }),

    listEvents: async ({ afterSeq = 0, conversationId, limit = 1000, types }) => {
      const where = ['seq > ?'];
      const params: SqlValue[] = [afterSeq];
      if (conversationId !== undefined) {
        where.push('conversation_id = ?');
        params.push(conversationId);
      }
      if (types && types.length > 0) {
        where.push(`type IN (${placeholders(types.length)})`);
        params.push(...types);
      }
      params.push(limit);
      return (await database.all(`SELECT * FROM conversation_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`, params)).map(toEvent);
    },

    lastEventSeq: async () => Number((await database.get('SELECT MAX(seq) AS seq FROM conversation_events'))?.seq ?? 0),
  };
}
