/**
 * The HTTP schemas: one TypeBox definition drives request validation, response serialisation and the
 * OpenAPI document at /docs. Limits that come from configuration are parameters.
 */
import Type from 'typebox';
import { Citation } from '../schemas/citation.ts';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code, e.g. QUESTION_TOO_LONG' }),
      message: Type.String(),
      hint: Type.String({ description: 'What to do about it' }),
    }),
  },
  { $id: 'ErrorBody', description: 'Every error response has this shape' },
);

/** Error responses for a route's OpenAPI schema, each the `ErrorBody` shape: `response: { 200: Reply, ...errorResponses(400, 404) }`. */
export function errorResponses<Status extends number>(...statuses: Status[]): Record<Status, { $ref: 'ErrorBody#' }> {
  return Object.fromEntries(statuses.map((status) => [status, { $ref: 'ErrorBody#' as const }])) as Record<Status, { $ref: 'ErrorBody#' }>;
}

/** Who may call a staff route: a staff bearer token, or the session cookie of a signed-in person. */
export const STAFF_SECURITY: Array<Record<string, string[]>> = [{ staffToken: [] }, { session: [] }];

const Role = Type.Union([Type.Literal('user'), Type.Literal('assistant')]);
export const Turn = Type.Object({ role: Role, text: Type.String({ maxLength: 20_000 }) });

const Strings = Type.Array(Type.String({ maxLength: 500 }), { maxItems: 50 });

/** Fields of an answer request that only evaluation may set (POST /api/eval/ask), never a customer. */
export const EVALUATION_FIELDS = ['history', 'retrieveOnly', 'retrievalMode', 'fusion', 'topK'] as const;

const Filters = Type.Object(
  { docPath: Type.Optional(Strings), docType: Type.Optional(Strings), category: Type.Optional(Strings), language: Type.Optional(Strings) },
  { additionalProperties: false },
);

export function chatRequestSchema(maxQuestionChars: number) {
  return Type.Object(
    {
      question: Type.String({ minLength: 1, maxLength: maxQuestionChars, description: `The customer's question (English or Chinese), at most ${maxQuestionChars} characters` }),
      conversationId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Continue this conversation (send its token as X-Conversation-Token); omit to start a new one' })),
      filters: Type.Optional(Filters),
      channel: Type.Optional(Channel),
      visitorId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$', description: 'A random id the browser keeps for this visitor: a gradual release gives the same visitor the same arm every time' })),
    },
    { additionalProperties: false },
  );
}

/** The body of POST /api/eval/ask: every `AnswerRequest` field (the shared evaluation contract). */
export function evalAskRequestSchema(maxQuestionChars: number) {
  return Type.Object(
    {
      question: Type.String({ minLength: 1, maxLength: maxQuestionChars }),
      history: Type.Optional(Type.Array(Turn, { maxItems: 50, description: 'Previous turns of the conversation (the dataset supplies them)' })),
      filters: Type.Optional(Filters),
      retrievalMode: Type.Optional(Type.Union([Type.Literal('hybrid'), Type.Literal('keyword'), Type.Literal('vector')])),
      fusion: Type.Optional(Type.Union([Type.Literal('adaptive'), Type.Literal('weighted'), Type.Literal('rrf')])),
      topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      retrieveOnly: Type.Optional(Type.Boolean({ description: 'Return retrieved passages only, no composed answer' })),
    },
    { additionalProperties: false },
  );
}

export const TicketReason = Type.Union([Type.Literal('customer-request'), Type.Literal('no-answer'), Type.Literal('negative-feedback'), Type.Literal('intent')]);

export { Citation };

const RetrievedPassage = Type.Object(
  {
  chunkId: Type.String(),
  docPath: Type.String(),
  title: Type.String(),
  page: Type.Optional(Type.Integer()),
  headingPath: Type.String(),
  kind: Type.Union([Type.Literal('passage'), Type.Literal('faq')]),
  faqId: Type.Optional(Type.String()),
  text: Type.String(),
  score: Type.Number(),
  keywordScore: Type.Optional(Type.Number()),
  vectorScore: Type.Optional(Type.Number()),
  },
  // Fields the answer service adds later reach evaluation too.
  { additionalProperties: true },
);

const Outcome = Type.Union([Type.Literal('answered'), Type.Literal('faq'), Type.Literal('clarify'), Type.Literal('refused'), Type.Literal('handoff')]);

export const ConversationState = Type.Union([Type.Literal('bot'), Type.Literal('waiting'), Type.Literal('agent'), Type.Literal('resolved')], {
  description: 'bot: kefu answers; waiting: handed over, no agent yet; agent: an agent has it; resolved: an agent resolved it (the next message goes to kefu)',
});

export const Channel = Type.Union([Type.Literal('web'), Type.Literal('widget'), Type.Literal('api')], { description: 'Where the conversation comes from (reports count by channel)' });

export const HandoffResponse = Type.Object({
  ticket: Type.Object({
    id: Type.Integer(),
    number: Type.String({ description: 'Ticket number to quote, e.g. KF-000012' }),
    status: Type.String(),
    reason: TicketReason,
    createdAt: Type.String(),
  }),
  message: Type.String({ description: 'What happens next, to show the customer' }),
  state: Type.Optional(ConversationState),
  outsideHours: Type.Optional(
    Type.Object({
      backAt: Type.String({ description: 'ISO time people are back' }),
      backAtText: Type.String({ description: 'The same, as the customer reads it' }),
    }, { description: 'Present outside business hours: ask for an email or phone (POST /api/conversations/:id/contact)' }),
  ),
  agentsOnline: Type.Optional(Type.Integer({ description: 'Agents with the workspace open now' })),
  messageId: Type.Optional(Type.String({ description: 'Id of the notice stored in the transcript (when the ticket is new)' })),
});

/** The intent a message was recognised as (only with an intents file in the inbox). */
export const IntentInfo = Type.Object({
  name: Type.String(),
  confidence: Type.Number({ description: '0..1, compared with the threshold the classifier learned' }),
  route: Type.String({ description: 'Where the intent routes: faq:<id>, action:<name>, person[:priority] or retrieval' }),
});

/** The business action an answer is a turn of (actions.yaml). */
export const ActionInfo = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('asked'), Type.Literal('answered'), Type.Literal('not-found'), Type.Literal('failed')], { description: 'asked: kefu asked for a missing slot (the answer is the question); answered / not-found: the system answered; failed: an apology, and a hand-over' }),
  slot: Type.Optional(Type.String({ description: 'The slot asked for' })),
});

const Evidence = Type.Object(
  {
    topCosine: Type.Optional(Type.Number()),
    coverage: Type.Number(),
    unknownShare: Type.Number(),
    unknownTerms: Type.Array(Type.String()),
    faqSimilarity: Type.Optional(Type.Number()),
  },
  { additionalProperties: true },
);

/**
 * The reply to POST /api/chat: what the customer needs (answer, citations with their quotes, outcome, confidence,
 * suggestions, ids). The retrieved passages and the evidence (most of the bytes) only come with `?debug=1`.
 */
export const ChatResponse = Type.Object({
  answer: Type.String({ description: 'Markdown (paragraphs, lists, tables, bold, links) with [n] citation markers' }),
  citations: Type.Array(Citation),
  outcome: Outcome,
  confidence: Type.Number(),
  query: Type.String({ description: 'The standalone query searched (rewritten for follow-ups)' }),
  conversationId: Type.Optional(Type.String({ description: 'Absent when the records failed and no conversation could be started or checked (stored: false)' })),
  messageId: Type.Optional(Type.String({ description: 'Id of the stored answer: rate it with POST /api/feedback (absent when stored is false)' })),
  stored: Type.Optional(Type.Boolean({ description: 'false: the records database failed, so this answer was not kept (nor handed over); tell the customer. Without a conversationId there is no conversation to continue: the next question starts one.' })),
  language: Type.Union([Type.Literal('en'), Type.Literal('zh'), Type.Literal('other')]),
  suggestions: Type.Array(Type.String()),
  timings: Type.Object({ retrievalMs: Type.Number(), compositionMs: Type.Number(), totalMs: Type.Number() }),
  retrieved: Type.Optional(Type.Array(RetrievedPassage, { description: 'Only with ?debug=1 for a signed-in owner or admin: the passages retrieved' })),
  evidence: Type.Optional(Evidence),
  /** Present when the customer asked for a person in the question: the ticket opened (or the one already open). */
  handoff: Type.Optional(HandoffResponse),
  intent: Type.Optional(IntentInfo),
  action: Type.Optional(ActionInfo),
  conversationToken: Type.Optional(Type.String({ description: 'Only when this request started the conversation: send it as X-Conversation-Token to continue, read or rate it. Shown once.' })),
  state: ConversationState,
});

/** The reply when people have the conversation: the message went to them, kefu did not answer. */
export const RoutedResponse = Type.Object({
  routed: Type.Literal(true, { description: 'The message was delivered to people (the conversation is waiting or with an agent); kefu does not answer over an agent' }),
  conversationId: Type.String(),
  messageId: Type.String(),
  state: ConversationState,
});


export const ChatQuery = Type.Object({
  debug: Type.Optional(
    Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')], {
      description: '1 or true: add the retrieved passages and the evidence to the reply; owners and admins only (signed in; 401/403 otherwise)',
    }),
  ),
});

/** The full `AnswerResult` (POST /api/eval/ask): what the chat reply has, plus the evidence; nothing stored. */
export const AnswerResultResponse = Type.Object(
  {
    answer: Type.String(),
    citations: Type.Array(Citation),
    outcome: Outcome,
    confidence: Type.Number(),
    query: Type.String(),
    conversationId: Type.String(),
    language: Type.Union([Type.Literal('en'), Type.Literal('zh'), Type.Literal('other')]),
    retrieved: Type.Array(RetrievedPassage),
    suggestions: Type.Array(Type.String()),
    timings: Type.Object({ retrievalMs: Type.Number(), compositionMs: Type.Number(), totalMs: Type.Number() }),
    evidence: Type.Optional(Evidence),
  },
  { additionalProperties: true },
);

export const Message = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system'), Type.Literal('agent')], {
    description: 'user: the customer; assistant: kefu; agent: a person; system: notices (hand-over, agent joined, resolved)',
  }),
  text: Type.String({ description: 'Plain text for user, agent and system messages; Markdown for kefu answers. Show it as text, never as HTML' }),
  authorName: Type.Optional(Type.String({ description: 'Agent messages: who wrote it' })),
  createdAt: Type.String({ format: 'date-time' }),
  outcome: Type.Optional(Type.String()),
  confidence: Type.Optional(Type.Number()),
  citations: Type.Array(Citation),
  suggestions: Type.Array(Type.String()),
  language: Type.Optional(Type.String()),
});

export const ConversationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const ConversationResponse = Type.Object({
  id: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  state: ConversationState,
  agentName: Type.Union([Type.String(), Type.Null()], { description: 'The agent the customer is chatting with (state agent)' }),
  ticket: Type.Union([
    Type.Object({
      number: Type.String(),
      status: Type.String(),
      outsideHours: Type.Boolean(),
      contactLeft: Type.Boolean(),
      canRate: Type.Boolean({ description: 'An agent resolved it and it is not rated yet: ask for a 1–5 rating' }),
    }),
    Type.Null(),
  ]),
  lastEventSeq: Type.Integer({ description: 'Send as Last-Event-ID when opening GET /api/conversations/:id/events, so nothing after this read is missed' }),
  messages: Type.Array(Message),
});

export const ContactRequest = Type.Object(
  {
    email: Type.Optional(Type.String({ maxLength: 254 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

export const RatingRequest = Type.Object({ score: Type.Integer({ minimum: 1, maximum: 5, description: '1 (poor) to 5 (excellent)' }) }, { additionalProperties: false });

export const FeedbackRequest = Type.Object(
  {
    messageId: Type.String({ minLength: 1, maxLength: 100, description: 'The messageId of an answer' }),
    rating: Type.Union([Type.Literal('up'), Type.Literal('down')]),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const FeedbackResponse = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  rating: Type.String(),
  comment: Type.String(),
  createdAt: Type.String(),
});


export const HandoffRequest = Type.Object(
  {
    conversationId: Type.String({ minLength: 1, maxLength: 100 }),
    reason: Type.Optional(TicketReason),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'Anything the customer wants the person to know' })),
    language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('zh')], { description: 'Language of the reply message' })),
  },
  { additionalProperties: false },
);


export const DocumentViewQuery = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 1000, description: 'The document path, as in a citation (docPath)' }),
    chunk: Type.Optional(Type.String({ maxLength: 200, description: 'Open at this passage (a citation chunkId)' })),
  },
  { additionalProperties: false },
);

export const DocumentViewResponse = Type.Object({
  path: Type.String(),
  title: Type.String(),
  type: Type.String(),
  /** Where the original file opens (PDFs at #page=N). */
  original: Type.String(),
  sections: Type.Array(
    Type.Object({
      headingPath: Type.Array(Type.String()),
      text: Type.String({ description: 'Markdown subset: paragraphs, lists, tables, bold, links' }),
      page: Type.Optional(Type.Integer()),
    }),
  ),
  focus: Type.Optional(
    Type.Object({
      section: Type.Integer({ description: 'Index of the section holding the passage' }),
      text: Type.String({ description: 'The passage text (to highlight)' }),
    }),
  ),
});

export const IndexingStatus = Type.Object({
  state: Type.Union([Type.Literal('starting'), Type.Literal('syncing'), Type.Literal('idle'), Type.Literal('stalled')]),
  filesDone: Type.Integer(),
  filesTotal: Type.Integer(),
  lastSuccessAt: Type.Optional(Type.String()),
  lastError: Type.Optional(Type.String()),
});

export const HealthResponse = Type.Object({
  live: Type.Boolean(),
  ready: Type.Boolean(),
  checks: Type.Record(Type.String(), Type.Boolean()),
  indexing: Type.Optional(IndexingStatus),
});
