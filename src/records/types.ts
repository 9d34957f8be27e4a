/**
 * The records kept about conversations: what customers asked, what kefu answered, how they rated it and
 * which conversations were handed to a person. Behind this small interface so a server database
 * (PostgreSQL) can replace the embedded SQLite one; every method is async for that reason.
 */

export type MessageRole = 'user' | 'assistant' | 'system';
export type Rating = 'up' | 'down';
export type TicketReason = 'customer-request' | 'no-answer' | 'negative-feedback';
export type TicketStatus = 'open' | 'closed';

export interface ConversationRecord {
  id: string;
  /** ISO times. */
  createdAt: string;
  updatedAt: string;
}

export interface StoredCitation {
  n: number;
  chunkId: string;
  docPath: string;
  title: string;
  page?: number;
  headingPath: string;
  quote: string;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  role: MessageRole;
  text: string;
  createdAt: string;
  /** Assistant answers only: 'answered' | 'faq' | 'refused' | 'handoff'. */
  outcome?: string;
  confidence?: number;
  citations: StoredCitation[];
  suggestions: string[];
  /** 'en' | 'zh' | 'other' for answers; detected language of questions is not stored. */
  language?: string;
}

export interface NewMessage {
  conversationId: string;
  role: MessageRole;
  text: string;
  outcome?: string;
  confidence?: number;
  citations?: StoredCitation[];
  suggestions?: string[];
  language?: string;
}

export interface FeedbackRecord {
  id: string;
  messageId: string;
  rating: Rating;
  comment: string;
  createdAt: string;
}

export interface TicketRecord {
  /** Sequential number shown to customers and agents, e.g. 12 → "KF-000012". */
  id: number;
  number: string;
  conversationId: string;
  reason: TicketReason;
  status: TicketStatus;
  /** What the customer wrote when asking for a person (optional). */
  note: string;
  createdAt: string;
  /** The conversation as it was when the ticket was opened. */
  transcript: MessageRecord[];
}

export interface OpenedTicket {
  ticket: TicketRecord;
  /** False when the conversation's existing open ticket was returned. */
  created: boolean;
}

export interface RecordsStore {
  /** Starts a new, empty conversation. */
  createConversation(): Promise<ConversationRecord>;
  getConversation(id: string): Promise<ConversationRecord | undefined>;
  /**
   * Appends messages to a conversation in one transaction; when the promise resolves they are on disk
   * (they survive the process being killed). Returns them with their ids.
   */
  appendMessages(messages: NewMessage[]): Promise<MessageRecord[]>;
  /** The conversation's messages, oldest first. */
  listMessages(conversationId: string): Promise<MessageRecord[]>;
  getMessage(id: string): Promise<MessageRecord | undefined>;
  addFeedback(input: { messageId: string; rating: Rating; comment?: string }): Promise<FeedbackRecord>;
  listFeedback(messageId: string): Promise<FeedbackRecord[]>;
  /**
   * Opens a ticket holding a snapshot of the conversation's transcript, unless the conversation already has an
   * open ticket: then that one is returned (`created: false`) and nothing is written. One open ticket per
   * conversation, however many times or from how many requests at once the customer asks.
   */
  openTicket(input: { conversationId: string; reason: TicketReason; note?: string }): Promise<OpenedTicket>;
  listTickets(options?: { status?: TicketStatus; limit?: number }): Promise<TicketRecord[]>;
  /** Quick check that the database answers (for readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
