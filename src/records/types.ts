/**
 * The records kept about conversations: what customers asked, what kefu and the agents answered, how customers
 * rated it, which conversations were handed to people, the timed event log the KPIs are computed from, the
 * staff accounts and the outgoing webhooks. Behind this small interface so a server database (PostgreSQL) can
 * replace the embedded SQLite one; every method is async for that reason.
 */
import type { Citation } from '../schemas/citation.ts';
import type { StoredPassage } from '../schemas/passage.ts';

export type { Citation, StoredPassage };

/** user: the customer; assistant: kefu; agent: a person answering; note: an internal note customers never see; system: notices. */
export type MessageRole = 'user' | 'assistant' | 'system' | 'agent' | 'note';
export type Rating = 'up' | 'down';
/**
 * Why a conversation went to people: the customer asked (button or typed), kefu could not answer N times in a
 * row, a thumbs-down with "talk to a person", or an intent routed to people.
 */
export type TicketReason = 'customer-request' | 'no-answer' | 'negative-feedback' | 'intent';
export type TicketStatus = 'open' | 'closed';
/** bot → waiting (handed over) → agent (an agent joined) → resolved → bot (the customer writes again, or an agent hands back). */
export type ConversationState = 'bot' | 'waiting' | 'agent' | 'resolved';
/** The built-in front ends: the chat page, the widget on another site, the API, the command line. */
export type BuiltInChannel = 'web' | 'widget' | 'api' | 'cli';
/**
 * Where the conversation came from: a built-in front end, or the name of a registered channel (an app, a
 * mini-program backend, a WeChat Official Account; `ChannelRecord.name`, never one of the built-in names).
 */
export type Channel = string;
export type Priority = 'low' | 'normal' | 'high' | 'urgent';
/** agent: conversations, tickets, quick replies; owner: knowledge and reports, and agent rights; admin: users, settings, webhook log. */
export type UserRole = 'agent' | 'owner' | 'admin';

/** Kept for older imports: the stored citation is the shared `Citation`. */
export type StoredCitation = Citation;

export interface ConversationRecord {
  id: string;
  /** ISO times. */
  createdAt: string;
  updatedAt: string;
  state: ConversationState;
  /** When the conversation entered its current state. */
  stateSince: string;
  channel: Channel;
  /** 'en' | 'zh' | 'other', from the customer's questions; undefined until known. */
  language?: string;
  /** False for conversations made before tokens existed, or by the command line. */
  hasToken: boolean;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  role: MessageRole;
  text: string;
  createdAt: string;
  /** Assistant answers only: 'answered' | 'faq' | 'clarify' | 'refused' | 'handoff'. */
  outcome?: string;
  confidence?: number;
  citations: Citation[];
  suggestions: string[];
  /** 'en' | 'zh' | 'other' for answers. */
  language?: string;
  /** Assistant answers: the passages retrieved for it (agents see them). */
  retrieved: StoredPassage[];
  /** Assistant answers: milliseconds from the question to the complete answer. */
  responseMs?: number;
  /** Agent messages and notes: who wrote it (id and the name shown then). */
  authorId?: string;
  authorName?: string;
}

export interface NewMessage {
  conversationId: string;
  role: MessageRole;
  text: string;
  outcome?: string;
  confidence?: number;
  citations?: Citation[];
  suggestions?: string[];
  language?: string;
  retrieved?: StoredPassage[];
  responseMs?: number;
}

export interface FeedbackRecord {
  id: string;
  messageId: string;
  rating: Rating;
  comment: string;
  createdAt: string;
}

/** A ticket without its transcript snapshot (what the queue and the workspace need). */
export interface TicketSummary {
  /** Sequential number shown to customers and agents, e.g. 12 → "KF-000012". */
  id: number;
  number: string;
  conversationId: string;
  reason: TicketReason;
  status: TicketStatus;
  /** What the customer wrote when asking for a person, or the intent that routed it (optional). */
  note: string;
  createdAt: string;
  assigneeId?: string;
  priority: Priority;
  tags: string[];
  /** Left by the customer outside business hours (optional, validated). */
  contactEmail?: string;
  contactPhone?: string;
  /** Opened outside business hours. */
  outsideHours: boolean;
  /** The first agent reply. */
  firstResponseAt?: string;
  closedAt?: string;
  /** How it closed: resolved by an agent, or handed back to kefu. */
  resolution?: 'resolved' | 'handed-back';
  /** The customer's 1–5 rating after an agent resolved it. */
  rating?: number;
}

export interface TicketRecord extends TicketSummary {
  /** The conversation as it was when the ticket was opened. */
  transcript: MessageRecord[];
}

export interface OpenedTicket {
  ticket: TicketRecord;
  /** False when the conversation's existing open ticket was returned. */
  created: boolean;
  /** Events recorded (empty when the open ticket was returned). */
  events: ConversationEvent[];
}

/**
 * The timed event log: every change of state and every message, in order (`seq`). Issue 13's KPIs are computed
 * from it; live updates and webhooks are driven by it.
 */
export type ConversationEventType =
  | 'conversation-started'
  | 'message-added'
  | 'state-changed'
  | 'ticket-opened'
  | 'ticket-assigned'
  | 'ticket-updated'
  | 'ticket-resolved'
  | 'contact-left'
  | 'feedback-given'
  | 'rating-given';

export type ActorType = 'customer' | 'bot' | 'agent' | 'system';

export interface ConversationEvent {
  /** Position in the log: increasing, unique, never reused. Live streams use it as the SSE event id. */
  seq: number;
  conversationId: string;
  type: ConversationEventType;
  at: string;
  actorType: ActorType;
  /** The agent's user id, for agent actions. */
  actorId?: string;
  /**
   * Per type: conversation-started {channel}; message-added {messageId, role, outcome?, confidence?, language?,
   * responseMs?, toPeople?}; state-changed {from, to, cause, ticketId?, agentId?}; ticket-opened {ticketId, reason,
   * outsideHours}; ticket-assigned {ticketId, agentId, previousAgentId?}; ticket-updated {ticketId, priority?, tags?};
   * ticket-resolved {ticketId, resolution}; contact-left {ticketId}; feedback-given {messageId, rating};
   * rating-given {ticketId, score}.
   */
  data: Record<string, unknown>;
}

/** Why the state changed (state-changed events). */
export type StateCause = TicketReason | 'agent-joined' | 'agent-resolved' | 'handed-back' | 'customer-returned';

export interface UserRecord {
  id: string;
  /** Sign-in name, lower case. */
  name: string;
  /** Shown to customers ("You are now chatting with Alice") and colleagues. */
  displayName: string;
  role: UserRole;
  disabled: boolean;
  createdAt: string;
  /** When the current token was issued. */
  tokenIssuedAt: string;
  lastSeenAt?: string;
}

/** The stored credential of a user (never leaves the accounts module). */
export interface UserCredential {
  user: UserRecord;
  /** Public id embedded in the token, to find the row without the secret. */
  tokenId: string;
  /** scrypt hash of the token's secret, with its parameters and salt. */
  tokenHash: string;
}

export interface SessionRecord {
  user: UserRecord;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export interface SignInAttempts {
  failures: number;
  lockedUntil?: string;
}

export interface QuickReplyRecord {
  id: string;
  team: string;
  /** Typed after "/" in the composer, e.g. "refund". */
  shortcut: string;
  text: string;
  createdBy?: string;
  updatedAt: string;
}

export type WebhookEventType = 'ticket.created' | 'ticket.assigned' | 'message.created' | 'ticket.resolved';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  /** The conversation event it reports. */
  eventSeq: number;
  eventType: WebhookEventType;
  url: string;
  /** The JSON body sent (and signed). */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatusCode?: number;
  lastError?: string;
  lastDurationMs?: number;
  createdAt: string;
  deliveredAt?: string;
}

/** Who may see a document: customers (the default) or only staff (searchable for agents, never quoted to customers). */
export type Visibility = 'customers' | 'internal';

export interface DocumentSetting {
  /** The document's key in the index (path relative to the ingest folder). */
  path: string;
  visibility: Visibility;
  updatedAt: string;
  updatedBy?: string;
}

/**
 * A change kefu made to the knowledge base on someone's behalf (the journal behind `kefu-answers.csv`): a new or
 * corrected FAQ entry, wordings added to an existing entry, an uploaded document. The journal is what kefu restores
 * when a stale copy of its FAQ file is saved over its rows, and what a gradual release promotes or rolls back.
 */
export type KnowledgeChangeKind = 'faq-entry' | 'faq-wordings' | 'upload';
/** live: in the ingest folder for everyone; staged: in a running release only; rolled-back / removed: no longer applies. */
export type KnowledgeChangeStatus = 'live' | 'staged' | 'rolled-back' | 'removed';

export interface KnowledgeChange {
  id: string;
  kind: KnowledgeChangeKind;
  /** The file it applies to, relative to the ingest folder ("kefu-answers.csv", "faq.csv", "guides/setup.pdf"). */
  file: string;
  /** faq-entry: the entry's id in the file; faq-wordings: the id of the entry that got the wordings. */
  entryId: string;
  question: string;
  answer: string;
  /** faq-entry: the alternate questions; faq-wordings: the wordings added. */
  wordings: string[];
  category: string;
  status: KnowledgeChangeStatus;
  releaseId?: string;
  /** What it came from: a knowledge gap, or a correction of an answer (its message id). */
  gapId?: string;
  messageId?: string;
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
}

/** A customer question kefu did not handle well: refused, answered with low confidence, thumbs-down, handed over. */
export interface GapQuestion {
  /** The customer's question (a user message). */
  messageId: string;
  conversationId: string;
  text: string;
  askedAt: string;
  language?: string;
  channel: Channel;
  /** kefu's answer to it, when there was one. */
  answer?: { messageId: string; text: string; outcome?: string; confidence?: number };
  refused: boolean;
  lowConfidence: boolean;
  /** A thumbs-down on the answer, with the customer's comment. */
  thumbsDown?: { comment: string };
  /** The conversation went to people after this question: the ticket's reason. */
  handedOver?: TicketReason;
}

export type ReleaseStatus = 'running' | 'promoted' | 'rolled-back';
export type ReleaseArm = 'control' | 'candidate';

export interface ReleaseRecord {
  id: string;
  /** Percent of visitors (0–100) who get the candidate. */
  share: number;
  status: ReleaseStatus;
  /** Answer settings of the candidate (KEFU_* name → value), on top of the configuration in force. */
  settings: Record<string, string>;
  note: string;
  startedAt: string;
  startedBy?: string;
  endedAt?: string;
  endedBy?: string;
}

/** What the KPI report reads: conversations started in a period, their events (all of them, later ones too) and arms. */
export interface ReportData {
  conversations: Array<{ id: string; createdAt: string; channel: Channel; language?: string }>;
  events: ConversationEvent[];
}

/** A conversation as the agents' queue lists it: the conversation with its current (or latest) ticket. */
export interface QueueItem {
  conversation: ConversationRecord;
  ticket: TicketSummary;
  /** The last message customers or people saw (notes excluded). */
  lastMessage?: { role: MessageRole; text: string; createdAt: string };
  /** Customer messages since the last agent reply. */
  unanswered: number;
}

export type QueueView = 'waiting' | 'mine' | 'open' | 'resolved';

/** Actor of a change made by a person. */
export interface AgentActor {
  id: string;
  displayName: string;
}

/** What a registered channel is; only descriptive, except `wechat` (the Official Account endpoint speaks its protocol). */
export type ChannelKind = 'app' | 'mini-program' | 'chat' | 'other' | 'wechat';

/** A front end registered to use kefu through the channel API (its token is stored only as a hash). */
export interface ChannelRecord {
  id: string;
  /** Lower-case name, also the conversations' `channel` (reports count by it), e.g. "ios-app". */
  name: string;
  kind: ChannelKind;
  /** Where agent messages and state changes are POSTed (signed), if anywhere. */
  webhookUrl?: string;
  disabled: boolean;
  createdAt: string;
  createdBy?: string;
  tokenIssuedAt: string;
}

/** The conversation a channel's external user is in. */
export interface ChannelConversation {
  channelId: string;
  externalUserId: string;
  conversationId: string;
}

/** An inbound message seen before (by the channel's own message id): being answered, or answered with `reply`. */
export type InboundClaim = { claimed: true } | { claimed: false; status: 'pending' | 'done'; conversationId?: string; reply?: string };

/** message: something said to the customer outside a turn (an agent, a notice); state: the conversation's state changed. */
export type ChannelDeliveryKind = 'message' | 'state';

export interface ChannelDelivery {
  id: string;
  channelId: string;
  eventSeq: number;
  conversationId: string;
  externalUserId: string;
  kind: ChannelDeliveryKind;
  /** JSON: what is sent (the webhook body, or the text WeChat gets). */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}

export interface RecordsStore {
  /** Starts a new, empty conversation (`tokenHash`: the hash of the customer's conversation token). */
  createConversation(options?: { channel?: Channel; tokenHash?: string; language?: string }): Promise<ConversationRecord>;
  getConversation(id: string): Promise<ConversationRecord | undefined>;
  /** The stored hash of the conversation's token (undefined when it has none or does not exist). */
  conversationTokenHash(id: string): Promise<string | undefined>;
  /** Sets the conversation's language (the queue shows it) when it changed. */
  setConversationLanguage(id: string, language: string): Promise<void>;
  /**
   * Appends messages to a conversation in one transaction; when the promise resolves they are on disk
   * (they survive the process being killed). Returns them with their ids. Records a message-added event each.
   */
  appendMessages(messages: NewMessage[]): Promise<MessageRecord[]>;
  /** `appendMessages`, also returning the events recorded (for live updates). */
  recordMessages(messages: NewMessage[]): Promise<{ messages: MessageRecord[]; events: ConversationEvent[] }>;
  /**
   * A customer message, routed by the conversation's state: to people while it is waiting or with an agent, else
   * to kefu. A resolved conversation goes back to kefu (state-changed, cause customer-returned) first.
   */
  addCustomerMessage(input: { conversationId: string; text: string }): Promise<{ message: MessageRecord; toPeople: boolean; events: ConversationEvent[] }>;
  /** The conversation's messages, oldest first (notes included: filter them for customers). */
  listMessages(conversationId: string): Promise<MessageRecord[]>;
  getMessage(id: string): Promise<MessageRecord | undefined>;
  addFeedback(input: { messageId: string; rating: Rating; comment?: string }): Promise<FeedbackRecord>;
  listFeedback(messageId: string): Promise<FeedbackRecord[]>;
  /**
   * Hands the conversation to people: opens a ticket holding a snapshot of the transcript and moves the state to
   * waiting, unless the conversation already has an open ticket: then that one is returned (`created: false`) and
   * nothing is written. One open ticket per conversation, however many times or from how many requests at once.
   */
  openTicket(input: { conversationId: string; reason: TicketReason; note?: string; priority?: Priority; outsideHours?: boolean; language?: string }): Promise<OpenedTicket>;
  listTickets(options?: { status?: TicketStatus; limit?: number }): Promise<TicketRecord[]>;
  /** The open ticket, else the most recent one. */
  currentTicket(conversationId: string): Promise<TicketSummary | undefined>;
  /** Contact details left outside business hours, stored on the open ticket. */
  setTicketContact(input: { conversationId: string; email?: string; phone?: string }): Promise<{ ticket: TicketSummary; events: ConversationEvent[] }>;
  /** The agents' queue. `mine` needs `agentId`. Newest activity first for resolved; longest waiting first otherwise. */
  listQueue(options: { view: QueueView; agentId?: string; limit?: number }): Promise<QueueItem[]>;
  /** Counts per view (for the queue tabs). */
  countQueue(options: { agentId?: string }): Promise<Record<QueueView, number>>;
  /**
   * Assigns the open ticket (last assignment wins); a waiting conversation moves to agent. `by` is who did it.
   * Throws CONVERSATION_NOT_WITH_PEOPLE when there is no open ticket.
   */
  assign(input: { conversationId: string; agent: AgentActor; by: AgentActor; notice?: string }): Promise<{ ticket: TicketSummary; events: ConversationEvent[] }>;
  /**
   * An agent's reply (or internal note, role 'note'), in one transaction: an unassigned ticket is assigned to the
   * author (the conversation moves to agent); a ticket assigned to someone else is refused (CONVERSATION_ASSIGNED)
   * for replies, never for notes. The first reply sets the ticket's first response time. `notice` (a system message
   * for the customer, e.g. "You are now chatting with Alice") is added when the reply assigns the conversation;
   * `notice` of assign and closeTicket likewise, in the same transaction as the change it announces.
   */
  addAgentMessage(input: { conversationId: string; author: AgentActor; text: string; note?: boolean; notice?: string }): Promise<{ message: MessageRecord; ticket: TicketSummary; events: ConversationEvent[] }>;
  updateTicket(input: { conversationId: string; by: AgentActor; priority?: Priority; tags?: string[] }): Promise<{ ticket: TicketSummary; events: ConversationEvent[] }>;
  /** Closes the open ticket: `resolved` (state resolved) or `handed-back` (state bot). */
  closeTicket(input: { conversationId: string; by: AgentActor; resolution: 'resolved' | 'handed-back'; notice?: string }): Promise<{ ticket: TicketSummary; events: ConversationEvent[] }>;
  /** The customer's 1–5 rating of the latest ticket an agent resolved (once). */
  rateTicket(input: { conversationId: string; score: number }): Promise<{ ticket: TicketSummary; events: ConversationEvent[] }>;
  /** The event log after `afterSeq` (all conversations, or one), oldest first. */
  listEvents(options: { afterSeq?: number; conversationId?: string; limit?: number; types?: ConversationEventType[] }): Promise<ConversationEvent[]>;
  /** The highest seq in the log (0 when empty). */
  lastEventSeq(): Promise<number>;

  // accounts
  createUser(input: { name: string; displayName: string; role: UserRole; tokenId: string; tokenHash: string }): Promise<UserRecord>;
  getUser(idOrName: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** The credential for a token id (disabled users included: the caller decides). */
  credentialByTokenId(tokenId: string): Promise<UserCredential | undefined>;
  credentialByName(name: string): Promise<UserCredential | undefined>;
  /** Replaces the token (the old one stops working) and ends the user's sessions. */
  replaceUserToken(input: { name: string; tokenId: string; tokenHash: string }): Promise<UserRecord>;
  /** Disables or enables; disabling ends the user's sessions. */
  setUserDisabled(input: { name: string; disabled: boolean }): Promise<UserRecord>;
  touchUser(id: string): Promise<void>;
  createSession(input: { idHash: string; userId: string; csrfToken: string; expiresAt: string }): Promise<void>;
  /** The live session with this id hash (expired ones are undefined). */
  getSession(idHash: string): Promise<SessionRecord | undefined>;
  deleteSession(idHash: string): Promise<void>;
  /** Failed sign-ins for a name (known or not), to lock out guessing. */
  signInAttempts(name: string): Promise<SignInAttempts>;
  recordSignInFailure(input: { name: string; maxFailures: number; lockoutMs: number }): Promise<SignInAttempts>;
  clearSignInFailures(name: string): Promise<void>;

  // quick replies
  listQuickReplies(team?: string): Promise<QuickReplyRecord[]>;
  saveQuickReply(input: { id?: string; team?: string; shortcut: string; text: string; by: string }): Promise<QuickReplyRecord>;
  deleteQuickReply(id: string): Promise<void>;

  // outgoing webhooks (the delivery log is the outbox: crash-safe, shared by every process on the database)
  /** Reads a named position (e.g. the webhook cursor); undefined when it was never set. */
  getCursor(name: string): Promise<number | undefined>;
  /** Queues deliveries for events and moves the cursor past them, in one transaction (duplicates are ignored). */
  enqueueDeliveries(input: { cursor: string; upToSeq: number; deliveries: Array<Omit<WebhookDelivery, 'id' | 'status' | 'attempts' | 'createdAt'>> }): Promise<void>;
  /** Claims due deliveries for `leaseMs` so no other worker sends them meanwhile. */
  claimDeliveries(input: { now: string; limit: number; leaseMs: number }): Promise<WebhookDelivery[]>;
  finishDelivery(input: {
    id: string;
    status: DeliveryStatus;
    nextAttemptAt?: string;
    statusCode?: number;
    error?: string;
    durationMs: number;
  }): Promise<void>;
  listDeliveries(options?: { limit?: number; status?: DeliveryStatus }): Promise<WebhookDelivery[]>;
  /** Sends a failed delivery again (now). */
  retryDelivery(id: string): Promise<WebhookDelivery>;

  // owner console: document visibility, the knowledge-change journal, knowledge gaps, releases, reports
  listDocumentSettings(): Promise<DocumentSetting[]>;
  setDocumentVisibility(input: { path: string; visibility: Visibility; by?: string }): Promise<DocumentSetting>;
  /** Records a knowledge change (its id given by the caller), claiming the gap's questions in the same transaction: GAP_ALREADY_HANDLED when one was claimed already. */
  recordKnowledgeChange(input: { change: Omit<KnowledgeChange, 'createdAt' | 'updatedAt'>; claim?: { gapId: string; messageIds: string[]; action: 'answered' | 'wordings' } }): Promise<KnowledgeChange>;
  listKnowledgeChanges(options?: { status?: KnowledgeChangeStatus; releaseId?: string; file?: string }): Promise<KnowledgeChange[]>;
  setKnowledgeChangeStatus(input: { ids: string[]; status: KnowledgeChangeStatus }): Promise<void>;
  /** Questions kefu did not handle well since `since` (ISO), oldest first; `lowConfidence`: answered below this confidence (a "did you mean …?" counts as weak too). */
  listGapQuestions(options: { since: string; until?: string; lowConfidence: number }): Promise<GapQuestion[]>;
  /** Message ids of questions already handled (answered, given as wordings, dismissed). */
  claimedGapMessages(options: { since: string }): Promise<Set<string>>;
  /** Dismisses a gap: claims its questions and remembers its wordings (keys) so they stay hidden. GAP_ALREADY_HANDLED when one was claimed already. */
  dismissGap(input: { gapId: string; messageIds: string[]; questionKeys: string[]; by?: string }): Promise<void>;
  dismissedQuestionKeys(): Promise<Set<string>>;
  /** Releases the claims of a change (a change rolled back or that could not be written): its gap shows again. */
  releaseGapClaims(changeId: string): Promise<void>;
  /** Cached question vectors by key (model + text hash), as stored (base64 int8). */
  questionVectors(keys: string[]): Promise<Map<string, string>>;
  saveQuestionVectors(entries: Array<{ key: string; vector: string }>): Promise<void>;
  /** Starts a release; RELEASE_RUNNING when one is running already. */
  startRelease(input: { id: string; share: number; settings: Record<string, string>; note?: string; by?: string }): Promise<ReleaseRecord>;
  updateRelease(input: { id: string; share: number }): Promise<ReleaseRecord>;
  /** Ends the running release (promoted or rolled back); RELEASE_NOT_RUNNING otherwise. */
  endRelease(input: { id: string; status: 'promoted' | 'rolled-back'; by?: string }): Promise<ReleaseRecord>;
  getRelease(id: string): Promise<ReleaseRecord | undefined>;
  listReleases(options?: { limit?: number }): Promise<ReleaseRecord[]>;
  /** The arm a conversation got in a release (first assignment wins). */
  assignArm(input: { releaseId: string; conversationId: string; arm: ReleaseArm }): Promise<ReleaseArm>;
  releaseArms(releaseId: string): Promise<Map<string, ReleaseArm>>;
  /** Conversations started in [since, until) with every event they have (also after `until`), oldest first. */
  /** `types`: only these event types (the report reads five of them; fewer rows to read). */
  reportData(options: { since: string; until: string; types?: readonly ConversationEventType[] }): Promise<ReportData>;
  /** Oldest waiting ticket and how many are waiting (for monitoring). */
  waitingTickets(): Promise<{ count: number; oldestCreatedAt?: string }>;

  // channels (src/channels): registered front ends, their users' conversations, inbound de-duplication, the outbox
  /** CHANNEL_EXISTS when the name is taken. */
  createChannel(input: { id: string; name: string; kind: ChannelKind; tokenHash: string; webhookUrl?: string; webhookSecret: string; by?: string }): Promise<ChannelRecord>;
  listChannels(): Promise<ChannelRecord[]>;
  getChannel(idOrName: string): Promise<ChannelRecord | undefined>;
  /** The channel whose token has this hash (disabled ones included: the caller decides). */
  channelByTokenHash(tokenHash: string): Promise<ChannelRecord | undefined>;
  /** The secret that signs the channel's webhooks (never shown after registration). */
  channelWebhookSecret(channelId: string): Promise<string | undefined>;
  /** CHANNEL_NOT_FOUND for an unknown name. `webhookUrl: null` removes it. */
  updateChannel(input: { name: string; webhookUrl?: string | null; disabled?: boolean; tokenHash?: string }): Promise<ChannelRecord>;
  /**
   * The conversation the external user is in on this channel, started when there is none, when the last one was
   * resolved, or when it has been quiet (with kefu) for `idleMs`. Serialised per (channel, user).
   */
  channelConversation(input: { channel: ChannelRecord; externalUserId: string; idleMs: number }): Promise<{ conversation: ConversationRecord; created: boolean }>;
  /** Which channel and user a conversation belongs to (undefined for the web chat's). */
  conversationChannel(conversationId: string): Promise<ChannelConversation | undefined>;
  /**
   * Claims an inbound message by the channel's own id; a second claim learns whether the first was answered, and with
   * what. A claim still pending since before `staleBefore` (its process died) is taken over.
   */
  claimInbound(input: { channelId: string; externalMessageId: string; staleBefore: string }): Promise<InboundClaim>;
  /** The answer a claimed inbound message got (or '' when people have the conversation). */
  finishInbound(input: { channelId: string; externalMessageId: string; conversationId: string; reply: string }): Promise<void>;
  /** Queues channel deliveries for events and moves the cursor past them, in one transaction (duplicates ignored). */
  enqueueChannelDeliveries(input: { cursor: string; upToSeq: number; deliveries: Array<Pick<ChannelDelivery, 'channelId' | 'eventSeq' | 'conversationId' | 'externalUserId' | 'kind' | 'payload' | 'nextAttemptAt'>> }): Promise<void>;
  claimChannelDeliveries(input: { now: string; limit: number; leaseMs: number }): Promise<ChannelDelivery[]>;
  finishChannelDelivery(input: { id: string; status: DeliveryStatus; nextAttemptAt?: string; statusCode?: number; error?: string }): Promise<void>;
  listChannelDeliveries(options?: { channelId?: string; status?: DeliveryStatus; limit?: number }): Promise<ChannelDelivery[]>;

  /** Quick check that the database answers (for readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
