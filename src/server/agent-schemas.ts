/**
 * HTTP schemas of the staff side: sign-in, the agents' queue and conversation view, replies, notes, assignment,
 * quick replies, and the admins' users, settings and webhook log. Like schemas.ts, each drives validation,
 * serialisation and the OpenAPI document.
 */
import Type from 'typebox';
import { Citation } from '../schemas/citation.ts';
import { StoredPassage } from '../schemas/passage.ts';
import { Channel, ConversationState, TicketReason } from './schemas.ts';

const Role = Type.Union([Type.Literal('agent'), Type.Literal('owner'), Type.Literal('admin')]);
const Priority = Type.Union([Type.Literal('low'), Type.Literal('normal'), Type.Literal('high'), Type.Literal('urgent')]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const User = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'Sign-in name' }),
  displayName: Type.String({ description: 'Shown to customers and colleagues' }),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: Type.String(),
  tokenIssuedAt: Type.String(),
  lastSeenAt: Type.Optional(Type.String()),
});

export const SignInRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    token: Type.String({ minLength: 1, maxLength: 300, description: 'The token `npx kefu users add` printed' }),
  },
  { additionalProperties: false },
);

export const SessionResponse = Type.Object({
  user: User,
  csrfToken: Type.Union([Type.String(), Type.Null()], { description: 'Send as X-CSRF-Token with every change made with the session cookie (null for bearer tokens)' }),
  capabilities: Type.Array(Type.String()),
  settings: Type.Object({
    firstResponseTargetMinutes: Type.Integer(),
    maxMessageChars: Type.Integer(),
    heartbeatMs: Type.Integer(),
  }),
});

export const Assignee = Nullable(Type.Object({ id: Type.String(), name: Type.String() }));

export const Ticket = Type.Object({
  id: Type.Integer(),
  number: Type.String(),
  reason: TicketReason,
  status: Type.String(),
  note: Type.String(),
  createdAt: Type.String(),
  priority: Priority,
  tags: Type.Array(Type.String()),
  outsideHours: Type.Boolean(),
  contactEmail: Nullable(Type.String()),
  contactPhone: Nullable(Type.String()),
  firstResponseAt: Nullable(Type.String()),
  closedAt: Nullable(Type.String()),
  resolution: Nullable(Type.String()),
  rating: Nullable(Type.Integer()),
  assignee: Assignee,
});

const Viewer = Type.Object({ agentId: Type.String(), name: Type.String() });

export const Sla = Type.Object(
  {
    targetMinutes: Type.Integer(),
    dueAt: Type.String({ description: 'When the first response is due' }),
    status: Type.Union([Type.Literal('ok'), Type.Literal('warning'), Type.Literal('breached'), Type.Literal('met'), Type.Literal('missed')], {
      description: 'ok: under half the target; warning: over half; breached: past it, no response yet; met / missed: answered within / after it',
    }),
  },
  { description: 'First-response target (KEFU_FIRST_RESPONSE_TARGET_MINUTES)' },
);

export const QueueItem = Type.Object({
  id: Type.String({ description: 'The conversation id' }),
  state: ConversationState,
  stateSince: Type.String(),
  language: Nullable(Type.String()),
  channel: Type.String(),
  createdAt: Type.String(),
  ticket: Ticket,
  lastMessage: Nullable(Type.Object({ role: Type.String(), text: Type.String(), createdAt: Type.String() })),
  unanswered: Type.Integer({ description: 'Customer messages since the last agent reply' }),
  sla: Sla,
  viewers: Type.Array(Viewer),
});

export const QueueQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('waiting'), Type.Literal('mine'), Type.Literal('open'), Type.Literal('resolved')], { description: 'Which list (default open)' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'At most this many (1–200, default 100)' })),
  },
  { additionalProperties: false },
);

export const QueueResponse = Type.Object({
  items: Type.Array(QueueItem),
  counts: Type.Object({ waiting: Type.Integer(), mine: Type.Integer(), open: Type.Integer(), resolved: Type.Integer() }),
  lastEventSeq: Type.Integer({ description: 'Send as Last-Event-ID when opening /api/agent/events' }),
});

export const AgentMessage = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system'), Type.Literal('agent'), Type.Literal('note')]),
  text: Type.String(),
  createdAt: Type.String(),
  outcome: Type.Optional(Type.String()),
  confidence: Type.Optional(Type.Number()),
  language: Type.Optional(Type.String()),
  citations: Type.Array(Citation),
  suggestions: Type.Array(Type.String()),
  retrieved: Type.Array(StoredPassage, { description: 'kefu answers: the passages retrieved for it' }),
  responseMs: Type.Optional(Type.Number()),
  authorId: Type.Optional(Type.String()),
  authorName: Type.Optional(Type.String()),
});

export const AgentConversation = Type.Object({
  id: Type.String(),
  state: ConversationState,
  stateSince: Type.String(),
  language: Nullable(Type.String()),
  channel: Type.String(),
  createdAt: Type.String(),
  ticket: Nullable(Ticket),
  sla: Nullable(Sla),
  viewers: Type.Array(Viewer),
  messages: Type.Array(AgentMessage),
  lastEventSeq: Type.Integer(),
});

const MessageText = (maxChars: number) => Type.String({ minLength: 1, maxLength: maxChars, description: `Plain text (shown as text, never HTML), at most ${maxChars} characters` });

export function agentMessageRequestSchema(maxChars: number) {
  return Type.Object({ text: MessageText(maxChars) }, { additionalProperties: false });
}

export const AgentReplyResponse = Type.Object({ message: AgentMessage, ticket: Ticket });

export const AssignRequest = Type.Object(
  { agentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Who takes it (an agent or owner id); omit for yourself' })) },
  { additionalProperties: false },
);

export const TicketUpdateRequest = Type.Object(
  {
    priority: Type.Optional(Priority),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

export const TicketResponse = Type.Object({ ticket: Ticket });

export const ViewingRequest = Type.Object({ viewing: Type.Boolean() }, { additionalProperties: false });
export const ViewersResponse = Type.Object({ viewers: Type.Array(Viewer) });

export const AgentsResponse = Type.Object({
  agents: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), role: Role, online: Type.Boolean() })),
});

export const QuickReply = Type.Object({ id: Type.String(), shortcut: Type.String(), text: Type.String(), updatedAt: Type.String() });
export const QuickRepliesResponse = Type.Object({ quickReplies: Type.Array(QuickReply) });
export const QuickReplyRequest = Type.Object(
  {
    shortcut: Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}$', description: 'Typed after "/" in the composer: letters, digits, - and _' }),
    text: Type.String({ minLength: 1, maxLength: 5000, description: 'May use {customer}, {agent}, {ticket}' }),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });

export const PassageParams = Type.Object({ chunkId: Type.String({ minLength: 1, maxLength: 300 }) });
export const PassageResponse = Type.Object({ docPath: Type.String(), headingPath: Type.String(), page: Type.Optional(Type.Integer()), text: Type.String() });

export const UsersResponse = Type.Object({ users: Type.Array(User) });
export const NewUserRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: Role,
    displayName: Type.Optional(Type.String({ maxLength: 60 })),
  },
  { additionalProperties: false },
);
export const UserTokenResponse = Type.Object({ user: User, token: Type.String({ description: 'Shown once: give it to the person; only its hash is kept' }) });
export const UserResponse = Type.Object({ user: User });

export const Delivery = Type.Object({
  id: Type.String(),
  eventSeq: Type.Integer(),
  eventType: Type.String(),
  url: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String(),
  lastStatusCode: Type.Optional(Type.Integer()),
  lastError: Type.Optional(Type.String()),
  lastDurationMs: Type.Optional(Type.Number()),
  createdAt: Type.String(),
  deliveredAt: Type.Optional(Type.String()),
});

export const DeliveriesQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])) },
  { additionalProperties: false },
);
export const DeliveriesResponse = Type.Object({ urls: Type.Array(Type.String()), deliveries: Type.Array(Delivery) });
export const DeliveryResponse = Type.Object({ delivery: Delivery });

export const SettingsResponse = Type.Object({
  businessHours: Type.String({ description: 'KEFU_BUSINESS_HOURS as set (empty: always open)' }),
  timeZone: Type.String(),
  openNow: Type.Boolean(),
  nextOpening: Nullable(Type.String()),
  firstResponseTargetMinutes: Type.Integer(),
  handoverAfterRefusals: Type.Integer(),
  sessionHours: Type.Integer(),
  signInMaxFailures: Type.Integer(),
  signInLockoutMinutes: Type.Integer(),
  webhookUrls: Type.Array(Type.String()),
  webhookMaxAttempts: Type.Integer(),
  liveStreams: Type.Integer({ description: 'Live update streams open now' }),
});

export { Channel };
