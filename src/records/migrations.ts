/**
 * Versioned migrations of the records database. Each has a number and a name; `schema_migrations` lists the ones
 * applied. `migrate` applies the missing ones in order, all in one transaction, so a database is never left half
 * upgraded, and refuses a database written by a newer kefu. Migrations are written once for every engine: portable
 * SQL, with the few engine-specific words taken from the `Dialect`. Never edit a released migration: add one.
 *
 * Databases made before migrations existed hold exactly the tables of migration 1 (created with IF NOT EXISTS), so
 * they are adopted as version 1 and upgraded in place from there.
 */
import { KefuError } from '../errors/index.ts';
import { type Dialect, type SqlDatabase, type SqlExecutor } from './sql-database.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(tx: SqlExecutor, dialect: Dialect): Promise<void>;
}

async function runAll(tx: SqlExecutor, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await tx.run(statement);
}

/** Adds a column unless the table already has it (a database that went through a failed manual upgrade). */
async function addColumn(tx: SqlExecutor, dialect: Dialect, table: string, column: string, definition: string): Promise<void> {
  if (!(await dialect.columnExists(tx, table, column))) await tx.run(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

const initial: Migration = {
  version: 1,
  name: 'conversations, messages, feedback, tickets',
  up: (tx, dialect) =>
    runAll(tx, [
      `CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS messages (
        seq ${dialect.autoIncrementKey},
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        role TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        outcome TEXT,
        confidence ${dialect.double},
        citations TEXT NOT NULL DEFAULT '[]',
        suggestions TEXT NOT NULL DEFAULT '[]',
        language TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, seq)',
      `CREATE TABLE IF NOT EXISTS feedback (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id),
        rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
        comment TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS feedback_by_message ON feedback(message_id)',
      `CREATE TABLE IF NOT EXISTS tickets (
        id ${dialect.autoIncrementKey},
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        reason TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        transcript TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets(status, id)',
      'CREATE INDEX IF NOT EXISTS tickets_by_conversation ON tickets(conversation_id, status)',
    ]),
};

/**
 * The event log of what happened before it existed, rebuilt from the rows (conversation starts, messages, tickets
 * and feedback), so reports cover the conversations of older installations too.
 */
async function backfillEvents(tx: SqlExecutor): Promise<void> {
  interface Pending {
    conversationId: string;
    type: string;
    at: string;
    actorType: string;
    data: Record<string, unknown>;
    order: number;
  }
  const events: Pending[] = [];
  for (const row of await tx.all('SELECT id, created_at FROM conversations')) {
    events.push({ conversationId: String(row.id), type: 'conversation-started', at: String(row.created_at), actorType: 'customer', data: { channel: 'web' }, order: 0 });
  }
  for (const row of await tx.all('SELECT id, conversation_id, role, created_at, outcome, confidence, language FROM messages ORDER BY seq')) {
    const role = String(row.role);
    const data: Record<string, unknown> = { messageId: row.id, role };
    if (row.outcome !== null) data.outcome = row.outcome;
    if (row.confidence !== null) data.confidence = row.confidence;
    if (row.language !== null) data.language = row.language;
    events.push({ conversationId: String(row.conversation_id), type: 'message-added', at: String(row.created_at), actorType: role === 'user' ? 'customer' : role === 'assistant' ? 'bot' : 'system', data, order: 1 });
  }
  for (const row of await tx.all('SELECT id, conversation_id, reason, status, created_at FROM tickets ORDER BY id')) {
    const conversationId = String(row.conversation_id);
    const at = String(row.created_at);
    events.push({ conversationId, type: 'ticket-opened', at, actorType: 'customer', data: { ticketId: Number(row.id), reason: row.reason, outsideHours: false }, order: 2 });
    events.push({ conversationId, type: 'state-changed', at, actorType: 'customer', data: { from: 'bot', to: 'waiting', cause: row.reason, ticketId: Number(row.id) }, order: 3 });
  }
  for (const row of await tx.all('SELECT f.message_id, f.rating, f.created_at, m.conversation_id FROM feedback f JOIN messages m ON m.id = f.message_id')) {
    events.push({ conversationId: String(row.conversation_id), type: 'feedback-given', at: String(row.created_at), actorType: 'customer', data: { messageId: row.message_id, rating: row.rating }, order: 4 });
  }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
  for (const event of events) {
    await tx.run('INSERT INTO conversation_events (conversation_id, type, at, actor_type, data) VALUES (?, ?, ?, ?, ?)', [
      event.conversationId,
      event.type,
      event.at,
      event.actorType,
      JSON.stringify({ ...event.data, backfilled: true }),
    ]);
  }
}

const handover: Migration = {
  version: 2,
  name: 'hand-over: conversation states, event log, tickets for people, accounts, quick replies, webhooks',
  async up(tx, dialect) {
    await addColumn(tx, dialect, 'conversations', 'state', "TEXT NOT NULL DEFAULT 'bot'");
    await addColumn(tx, dialect, 'conversations', 'state_since', 'TEXT');
    await addColumn(tx, dialect, 'conversations', 'channel', "TEXT NOT NULL DEFAULT 'web'");
    await addColumn(tx, dialect, 'conversations', 'language', 'TEXT');
    await addColumn(tx, dialect, 'conversations', 'token_hash', 'TEXT');
    await addColumn(tx, dialect, 'messages', 'retrieved', "TEXT NOT NULL DEFAULT '[]'");
    await addColumn(tx, dialect, 'messages', 'response_ms', 'INTEGER');
    await addColumn(tx, dialect, 'messages', 'author_id', 'TEXT');
    await addColumn(tx, dialect, 'messages', 'author_name', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'assignee_id', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'priority', "TEXT NOT NULL DEFAULT 'normal'");
    await addColumn(tx, dialect, 'tickets', 'tags', "TEXT NOT NULL DEFAULT '[]'");
    await addColumn(tx, dialect, 'tickets', 'contact_email', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'contact_phone', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'outside_hours', 'INTEGER NOT NULL DEFAULT 0');
    await addColumn(tx, dialect, 'tickets', 'first_response_at', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'closed_at', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'resolution', 'TEXT');
    await addColumn(tx, dialect, 'tickets', 'rating', 'INTEGER');
    // Conversations with an open ticket were waiting for a person all along.
    await runAll(tx, [
      'UPDATE conversations SET state_since = updated_at WHERE state_since IS NULL',
      "UPDATE conversations SET state = 'waiting' WHERE id IN (SELECT conversation_id FROM tickets WHERE status = 'open')",
      // Before one-open-ticket was enforced a conversation could hold two: keep the oldest open.
      "UPDATE tickets SET status = 'closed' WHERE status = 'open' AND id NOT IN (SELECT MIN(id) FROM tickets WHERE status = 'open' GROUP BY conversation_id)",
      "CREATE UNIQUE INDEX IF NOT EXISTS tickets_one_open ON tickets(conversation_id) WHERE status = 'open'",
      'CREATE INDEX IF NOT EXISTS tickets_by_assignee ON tickets(assignee_id, status)',
      'CREATE INDEX IF NOT EXISTS tickets_by_closed ON tickets(status, closed_at)',
      `CREATE TABLE IF NOT EXISTS conversation_events (
        seq ${dialect.autoIncrementKey},
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        type TEXT NOT NULL,
        at TEXT NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT,
        data TEXT NOT NULL DEFAULT '{}'
      )`,
      'CREATE INDEX IF NOT EXISTS events_by_conversation ON conversation_events(conversation_id, seq)',
      'CREATE INDEX IF NOT EXISTS events_by_time ON conversation_events(at)',
      'CREATE INDEX IF NOT EXISTS events_by_type ON conversation_events(type, at)',
      `CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        token_id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        token_issued_at TEXT NOT NULL,
        last_seen_at TEXT
      )`,
      `CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id)',
      `CREATE TABLE IF NOT EXISTS sign_in_attempts (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until TEXT,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS quick_replies (
        id TEXT PRIMARY KEY,
        team TEXT NOT NULL DEFAULT 'default',
        shortcut TEXT NOT NULL,
        text TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (team, shortcut)
      )`,
      `CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id TEXT PRIMARY KEY,
        event_seq INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        url TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        locked_until TEXT,
        last_status_code INTEGER,
        last_error TEXT,
        last_duration_ms INTEGER,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        UNIQUE (event_seq, url)
      )`,
      'CREATE INDEX IF NOT EXISTS deliveries_due ON webhook_deliveries(status, next_attempt_at)',
      `CREATE TABLE IF NOT EXISTS cursors (
        name TEXT PRIMARY KEY,
        position INTEGER NOT NULL
      )`,
    ]);
    await backfillEvents(tx);
  },
};

const ownerConsole: Migration = {
  version: 3,
  name: 'owner console: document visibility, knowledge-change journal, gap claims, question vectors, releases',
  up: (tx) =>
    runAll(tx, [
      // Reports and gaps read conversations and messages by time.
      'CREATE INDEX IF NOT EXISTS conversations_by_created ON conversations(created_at)',
      'CREATE INDEX IF NOT EXISTS messages_by_time ON messages(created_at)',
      'CREATE INDEX IF NOT EXISTS feedback_by_time ON feedback(rating, created_at)',
      'CREATE INDEX IF NOT EXISTS tickets_by_created ON tickets(created_at)',
      `CREATE TABLE IF NOT EXISTS document_settings (
        path TEXT PRIMARY KEY,
        visibility TEXT NOT NULL DEFAULT 'customers',
        updated_at TEXT NOT NULL,
        updated_by TEXT
      )`,
      `CREATE TABLE IF NOT EXISTS knowledge_changes (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        file TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        question TEXT NOT NULL DEFAULT '',
        answer TEXT NOT NULL DEFAULT '',
        wordings TEXT NOT NULL DEFAULT '[]',
        category TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        release_id TEXT,
        gap_id TEXT,
        message_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        created_by TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS knowledge_changes_by_file ON knowledge_changes(file, status)',
      'CREATE INDEX IF NOT EXISTS knowledge_changes_by_release ON knowledge_changes(release_id)',
      // One row per customer question a person handled: two people answering one gap at once collide here.
      `CREATE TABLE IF NOT EXISTS gap_claims (
        message_id TEXT PRIMARY KEY,
        gap_id TEXT NOT NULL,
        action TEXT NOT NULL,
        change_id TEXT,
        at TEXT NOT NULL,
        by_user TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS gap_claims_by_change ON gap_claims(change_id)',
      'CREATE INDEX IF NOT EXISTS gap_claims_by_time ON gap_claims(at)',
      `CREATE TABLE IF NOT EXISTS gap_dismissed (
        question_key TEXT PRIMARY KEY,
        gap_id TEXT NOT NULL,
        at TEXT NOT NULL,
        by_user TEXT
      )`,
      `CREATE TABLE IF NOT EXISTS question_vectors (
        key TEXT PRIMARY KEY,
        vector TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS releases (
        id TEXT PRIMARY KEY,
        share INTEGER NOT NULL,
        status TEXT NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}',
        note TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL,
        started_by TEXT,
        ended_at TEXT,
        ended_by TEXT
      )`,
      // At most one running release, whatever runs at once.
      "CREATE UNIQUE INDEX IF NOT EXISTS releases_one_running ON releases(status) WHERE status = 'running'",
      `CREATE TABLE IF NOT EXISTS release_assignments (
        release_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        arm TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (release_id, conversation_id)
      )`,
    ]),
};

const channels: Migration = {
  version: 4,
  name: 'channels: registered front ends, their users\' conversations, inbound de-duplication, the outbound outbox',
  up: (tx) =>
    runAll(tx, [
      // A front end registered by an owner or admin (an app backend, a mini-program backend, a WeChat account).
      `CREATE TABLE IF NOT EXISTS channels (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        token_issued_at TEXT NOT NULL,
        webhook_url TEXT,
        webhook_secret TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        created_by TEXT
      )`,
      // The conversation an external user of a channel is in now (a new one after it was resolved or went quiet).
      `CREATE TABLE IF NOT EXISTS channel_users (
        channel_id TEXT NOT NULL REFERENCES channels(id),
        external_user_id TEXT NOT NULL,
        conversation_id TEXT REFERENCES conversations(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (channel_id, external_user_id)
      )`,
      // Which channel and user a conversation belongs to (every conversation a user ever had, not only the current).
      `CREATE TABLE IF NOT EXISTS channel_conversations (
        conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
        channel_id TEXT NOT NULL REFERENCES channels(id),
        external_user_id TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS channel_conversations_by_user ON channel_conversations(channel_id, external_user_id)',
      // Inbound messages by the channel's own id (WeChat MsgId): a retry gets the first answer, never a second one.
      `CREATE TABLE IF NOT EXISTS channel_messages (
        channel_id TEXT NOT NULL,
        external_message_id TEXT NOT NULL,
        conversation_id TEXT,
        status TEXT NOT NULL,
        reply TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (channel_id, external_message_id)
      )`,
      // What people (and kefu's notices) say outside a turn, queued per channel from the event log and sent by the
      // channel outbox (a webhook, or WeChat's customer-service message API).
      `CREATE TABLE IF NOT EXISTS channel_deliveries (
        id TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        event_seq INTEGER NOT NULL,
        conversation_id TEXT NOT NULL,
        external_user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        locked_until TEXT,
        last_status_code INTEGER,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        UNIQUE (channel_id, event_seq)
      )`,
      'CREATE INDEX IF NOT EXISTS channel_deliveries_due ON channel_deliveries(status, next_attempt_at)',
    ]),
};

/** Every migration, in order. Append only. */
export const MIGRATIONS: readonly Migration[] = [initial, handover, ownerConsole, channels];

/** The schema version this kefu writes. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export interface MigrationResult {
  /** Versions applied now (empty when the database was current). */
  applied: number[];
  version: number;
}

/**
 * Brings the database to the latest version, in one transaction.
 *
 * @example
 *   const { applied } = await migrate({ database }); // [1, 2] on a new or pre-migration database
 */
export async function migrate(options: { database: SqlDatabase; migrations?: readonly Migration[] }): Promise<MigrationResult> {
  const { database } = options;
  const migrations = options.migrations ?? MIGRATIONS;
  return database.transaction(async (tx) => {
    // Two replicas starting at once: one migrates, the other waits here and then finds nothing left to do.
    await database.dialect.lockMigrations?.(tx);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const done = new Set((await tx.all('SELECT version FROM schema_migrations')).map((row) => Number(row.version)));
    const latest = migrations.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...done);
    if (newest > latest) {
      throw new KefuError('RECORDS_FAILED', {
        detail: `the database is at schema version ${newest}, written by a newer kefu (this one knows up to ${latest})`,
        hint: 'Upgrade kefu to the version that wrote this database, or point KEFU_DATA_DIR at another folder.',
      });
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await migration.up(tx, database.dialect);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, new Date().toISOString()]);
      applied.push(migration.version);
    }
    return { applied, version: latest };
  });
}

/** Applied migrations, for `kefu` diagnostics and tests. */
export async function appliedMigrations(database: SqlDatabase): Promise<Array<{ version: number; name: string; appliedAt: string }>> {
  const rows = await database.all('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
  return rows.map((row) => ({ version: Number(row.version), name: String(row.name), appliedAt: String(row.applied_at) }));
}

