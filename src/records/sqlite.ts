/**
 * The embedded records database: one SQLite file (Node's built-in `node:sqlite`) in WAL mode.
 *
 * Durability: every write is one transaction, committed before the promise resolves. In WAL mode a
 * commit is appended to the `-wal` file with write(2) before `COMMIT` returns, so with the default
 * `synchronous: 'normal'` a process that is killed (`kill -9`, a crash, an OOM kill) loses nothing that
 * was acknowledged: the bytes are in the operating system's page cache and the next open replays the
 * WAL. Only a power cut or kernel crash could lose the last commits; `synchronous: 'full'` also fsyncs
 * each commit and survives that too, at the cost of one fsync per write.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { KefuError } from '../errors/index.ts';
import type {
  FeedbackRecord,
  MessageRecord,
  Rating,
  RecordsStore,
  StoredCitation,
  TicketReason,
  TicketRecord,
  TicketStatus,
} from './types.ts';

export interface OpenSqliteRecordsOptions {
  /** The database file, e.g. `config.databasePath`; its folder is created. `':memory:'` for a throwaway store. */
  path: string;
  /** 'normal' (default) survives process kills; 'full' also survives power loss (one fsync per write). */
  synchronous?: 'normal' | 'full';
}

const schema = `
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at TEXT NOT NULL,
  outcome TEXT,
  confidence REAL,
  citations TEXT NOT NULL DEFAULT '[]',
  suggestions TEXT NOT NULL DEFAULT '[]',
  language TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, seq);
CREATE TABLE IF NOT EXISTS feedback (
  id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages(id),
  rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_by_message ON feedback(message_id);
CREATE TABLE IF NOT EXISTS tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  reason TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  transcript TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets(status, id);
CREATE INDEX IF NOT EXISTS tickets_by_conversation ON tickets(conversation_id, status);
`;

interface MessageRow {
  id: string;
  conversation_id: string;
  role: string;
  text: string;
  created_at: string;
  outcome: string | null;
  confidence: number | null;
  citations: string;
  suggestions: string;
  language: string | null;
}

interface TicketRow {
  id: number;
  conversation_id: string;
  reason: string;
  status: string;
  note: string;
  created_at: string;
  transcript: string;
}

function toMessage(row: MessageRow): MessageRecord {
  const message: MessageRecord = {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role as MessageRecord['role'],
    text: row.text,
    createdAt: row.created_at,
    citations: JSON.parse(row.citations) as StoredCitation[],
    suggestions: JSON.parse(row.suggestions) as string[],
  };
  if (row.outcome !== null) message.outcome = row.outcome;
  if (row.confidence !== null) message.confidence = row.confidence;
  if (row.language !== null) message.language = row.language;
  return message;
}

function toTicket(row: TicketRow): TicketRecord {
  return {
    id: row.id,
    number: ticketNumber(row.id),
    conversationId: row.conversation_id,
    reason: row.reason as TicketReason,
    status: row.status as TicketStatus,
    note: row.note,
    createdAt: row.created_at,
    transcript: JSON.parse(row.transcript) as MessageRecord[],
  };
}

/** The number customers and agents quote: 12 → "KF-000012". */
export function ticketNumber(id: number): string {
  return `KF-${String(id).padStart(6, '0')}`;
}

/**
 * Opens (creating if needed) the records database.
 *
 * @example
 *   const records = openSqliteRecords({ path: config.databasePath });
 *   const conversation = await records.createConversation();
 */
export function openSqliteRecords(options: OpenSqliteRecordsOptions): RecordsStore {
  if (options.path !== ':memory:') mkdirSync(path.dirname(options.path), { recursive: true });
  let database: DatabaseSync;
  try {
    database = new DatabaseSync(options.path);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    database.exec('PRAGMA foreign_keys = ON');
    database.exec('PRAGMA busy_timeout = 5000');
    database.exec(schema);
  } catch (error) {
    throw new KefuError('RECORDS_FAILED', { detail: options.path, cause: error });
  }
  const db = database;
  let closed = false;

  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const transaction = <T>(work: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };

  // node:sqlite is synchronous; the async surface matches what a network database needs.
  const run = async <T>(work: () => T): Promise<T> => {
    if (closed) throw new KefuError('RECORDS_FAILED', { detail: 'the records database is closed' });
    try {
      return work();
    } catch (error) {
      if (error instanceof KefuError) throw error;
      throw new KefuError('RECORDS_FAILED', { detail: options.path, cause: error });
    }
  };

  const messagesOf = (conversationId: string): MessageRecord[] =>
    (prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq').all(conversationId) as unknown as MessageRow[]).map(toMessage);

  const conversationExists = (id: string): boolean => prepare('SELECT 1 FROM conversations WHERE id = ?').get(id) !== undefined;

  return {
    createConversation: () =>
      run(() => {
        const now = new Date().toISOString();
        const conversation = { id: randomUUID(), createdAt: now, updatedAt: now };
        prepare('INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)').run(conversation.id, now, now);
        return conversation;
      }),

    getConversation: (id) =>
      run(() => {
        const row = prepare('SELECT id, created_at, updated_at FROM conversations WHERE id = ?').get(id) as
          | { id: string; created_at: string; updated_at: string }
          | undefined;
        return row ? { id: row.id, createdAt: row.created_at, updatedAt: row.updated_at } : undefined;
      }),

    appendMessages: (messages) =>
      run(() =>
        transaction(() => {
          const stored: MessageRecord[] = [];
          for (const message of messages) {
            if (!conversationExists(message.conversationId)) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: message.conversationId });
            const record: MessageRecord = {
              id: randomUUID(),
              conversationId: message.conversationId,
              role: message.role,
              text: message.text,
              createdAt: new Date().toISOString(),
              citations: message.citations ?? [],
              suggestions: message.suggestions ?? [],
            };
            if (message.outcome !== undefined) record.outcome = message.outcome;
            if (message.confidence !== undefined) record.confidence = message.confidence;
            if (message.language !== undefined) record.language = message.language;
            const values: SQLInputValue[] = [
              record.id,
              record.conversationId,
              record.role,
              record.text,
              record.createdAt,
              record.outcome ?? null,
              record.confidence ?? null,
              JSON.stringify(record.citations),
              JSON.stringify(record.suggestions),
              record.language ?? null,
            ];
            prepare(
              'INSERT INTO messages (id, conversation_id, role, text, created_at, outcome, confidence, citations, suggestions, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            ).run(...values);
            prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(record.createdAt, record.conversationId);
            stored.push(record);
          }
          return stored;
        }),
      ),

    listMessages: (conversationId) => run(() => messagesOf(conversationId)),

    getMessage: (id) =>
      run(() => {
        const row = prepare('SELECT * FROM messages WHERE id = ?').get(id) as unknown as MessageRow | undefined;
        return row ? toMessage(row) : undefined;
      }),

    addFeedback: (input: { messageId: string; rating: Rating; comment?: string }) =>
      run(() => {
        const message = prepare('SELECT role FROM messages WHERE id = ?').get(input.messageId) as { role: string } | undefined;
        if (!message || message.role !== 'assistant') throw new KefuError('MESSAGE_NOT_FOUND', { detail: input.messageId });
        const feedback: FeedbackRecord = {
          id: randomUUID(),
          messageId: input.messageId,
          rating: input.rating,
          comment: input.comment ?? '',
          createdAt: new Date().toISOString(),
        };
        prepare('INSERT INTO feedback (id, message_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)').run(
          feedback.id,
          feedback.messageId,
          feedback.rating,
          feedback.comment,
          feedback.createdAt,
        );
        return feedback;
      }),

    listFeedback: (messageId) =>
      run(() =>
        (prepare('SELECT * FROM feedback WHERE message_id = ? ORDER BY created_at').all(messageId) as unknown as Array<{
          id: string;
          message_id: string;
          rating: Rating;
          comment: string;
          created_at: string;
        }>).map((row) => ({ id: row.id, messageId: row.message_id, rating: row.rating, comment: row.comment, createdAt: row.created_at })),
      ),

    openTicket: (input) =>
      run(() =>
        // BEGIN IMMEDIATE takes the write lock before the look-up, so two requests (or two processes) cannot
        // both find no open ticket and both open one.
        transaction(() => {
          if (!conversationExists(input.conversationId)) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: input.conversationId });
          const existing = prepare("SELECT * FROM tickets WHERE conversation_id = ? AND status = 'open' ORDER BY id LIMIT 1").get(input.conversationId) as unknown as
            | TicketRow
            | undefined;
          if (existing) return { ticket: toTicket(existing), created: false };
          const transcript = messagesOf(input.conversationId);
          const createdAt = new Date().toISOString();
          const result = prepare(
            "INSERT INTO tickets (conversation_id, reason, status, note, created_at, transcript) VALUES (?, ?, 'open', ?, ?, ?)",
          ).run(input.conversationId, input.reason, input.note ?? '', createdAt, JSON.stringify(transcript));
          const id = Number(result.lastInsertRowid);
          const ticket: TicketRecord = {
            id,
            number: ticketNumber(id),
            conversationId: input.conversationId,
            reason: input.reason,
            status: 'open',
            note: input.note ?? '',
            createdAt,
            transcript,
          };
          return { ticket, created: true };
        }),
      ),

    listTickets: (listOptions = {}) =>
      run(() => {
        const limit = listOptions.limit ?? 100;
        const rows = (
          listOptions.status
            ? prepare('SELECT * FROM tickets WHERE status = ? ORDER BY id DESC LIMIT ?').all(listOptions.status, limit)
            : prepare('SELECT * FROM tickets ORDER BY id DESC LIMIT ?').all(limit)
        ) as unknown as TicketRow[];
        return rows.map(toTicket);
      }),

    ping: async () => {
      if (closed) return false;
      try {
        prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },

    close: async () => {
      if (closed) return;
      closed = true;
      statements.clear();
      db.close();
    },
  };
}
