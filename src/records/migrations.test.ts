import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedMigrations, MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { openSqliteDatabase } from './sqlite-database.ts';
import { openSqliteRecords } from './sqlite.ts';

/** A database written by kefu before versioned migrations (see test/fixtures/README.md). */
const LEGACY = path.resolve(import.meta.dirname, '..', '..', 'test', 'fixtures', 'records-before-migrations.db');
const LEGACY_CONVERSATION = 'b6847f71-3271-45b9-a5e5-e3f4f8d5a8eb';
const LEGACY_REFUSED = '9a0d3641-24a1-4e0c-9729-8de2e194c489';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-migrations-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function versions(file: string): number[] {
  const database = new DatabaseSync(file, { readOnly: true });
  const rows = database.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
  database.close();
  return rows.map((row) => row.version);
}

describe('records migrations', () => {
  it('numbers migrations 1, 2, … in order', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('creates a new database at the latest version and applies nothing on reopen', async () => {
    const file = path.join(directory, 'kefu.db');
    const records = openSqliteRecords({ path: file });
    expect(await records.ping()).toBe(true);
    await records.close();
    expect(versions(file)).toEqual(MIGRATIONS.map((migration) => migration.version));
    const database = openSqliteDatabase({ path: file });
    const before = await appliedMigrations(database);
    await database.close();
    const again = openSqliteRecords({ path: file });
    await again.ping();
    await again.close();
    const reopened = openSqliteDatabase({ path: file });
    expect(await appliedMigrations(reopened)).toEqual(before);
    await reopened.close();
  });

  it('upgrades a database written before migrations in place, keeping every conversation, message, feedback and ticket', async () => {
    const file = path.join(directory, 'kefu.db');
    await copyFile(LEGACY, file);
    const records = openSqliteRecords({ path: file });

    const messages = await records.listMessages(LEGACY_CONVERSATION);
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'system']);
    expect(messages[1]).toMatchObject({ outcome: 'answered', confidence: 0.81, language: 'en', suggestions: ['How do I return an item?'], retrieved: [] });
    expect(messages[1]?.citations[0]).toMatchObject({ n: 1, docPath: 'returns-policy.md', quote: 'Refunds are issued within 5 business days.' });
    expect(await records.listFeedback(messages[1]?.id ?? '')).toMatchObject([{ rating: 'down', comment: 'too slow' }]);
    const [ticket] = await records.listTickets();
    expect(ticket).toMatchObject({ number: 'KF-000001', status: 'open', reason: 'customer-request', note: 'please call', priority: 'normal', tags: [], outsideHours: false });
    expect(ticket?.transcript.map((message) => message.text)).toEqual(['How long do refunds take?', 'Refunds take 5 business days [1].', '我要转人工']);

    // The open ticket means the conversation was waiting for a person; the other one is with kefu.
    expect(await records.getConversation(LEGACY_CONVERSATION)).toMatchObject({ state: 'waiting', channel: 'web', hasToken: false });
    expect(await records.getConversation(LEGACY_REFUSED)).toMatchObject({ state: 'bot' });
    expect((await records.listQueue({ view: 'waiting' })).map((item) => item.ticket.number)).toEqual(['KF-000001']);

    // The event log is rebuilt from the rows, in time order (the fixture's rows share milliseconds), marked as backfilled.
    const events = await records.listEvents({ conversationId: LEGACY_CONVERSATION });
    expect(events.map((event) => event.type).sort()).toEqual(
      ['conversation-started', 'feedback-given', 'message-added', 'message-added', 'message-added', 'message-added', 'state-changed', 'ticket-opened'],
    );
    expect(events.map((event) => event.at)).toEqual(events.map((event) => event.at).sort());
    expect(events[0]?.type).toBe('conversation-started');
    expect(events.find((event) => event.type === 'state-changed')?.data).toMatchObject({ from: 'bot', to: 'waiting', cause: 'customer-request' });
    expect(events.every((event) => event.data.backfilled === true)).toBe(true);
    expect(events.find((event) => event.type === 'message-added' && event.data.role === 'assistant')?.data).toMatchObject({ outcome: 'answered', confidence: 0.81 });

    // New writes work on the upgraded file, and the hand-over goes on where it was.
    const agent = await records.createUser({ name: 'alice', displayName: 'Alice', role: 'agent', tokenId: 't1', tokenHash: 'h' });
    const reply = await records.addAgentMessage({ conversationId: LEGACY_CONVERSATION, author: { id: agent.id, displayName: 'Alice' }, text: 'Hello, Alice here.' });
    expect(reply.ticket).toMatchObject({ number: 'KF-000001', assigneeId: agent.id });
    await records.close();
    expect(versions(file)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it('refuses a database written by a newer kefu, naming the versions, and leaves it untouched', async () => {
    const file = path.join(directory, 'kefu.db');
    const first = openSqliteRecords({ path: file });
    await first.ping();
    await first.close();
    const raw = new DatabaseSync(file);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'from the future', new Date().toISOString());
    raw.close();
    const records = openSqliteRecords({ path: file });
    await expect(records.createConversation()).rejects.toMatchObject({ code: 'RECORDS_FAILED', message: expect.stringContaining(`schema version ${SCHEMA_VERSION + 1}`) });
    expect(await records.ping()).toBe(false);
    await records.close();
    expect(versions(file)).toEqual([...MIGRATIONS.map((migration) => migration.version), SCHEMA_VERSION + 1]);
  });

  it('upgrades once when two connections open the same old file at the same time', async () => {
    const file = path.join(directory, 'kefu.db');
    await copyFile(LEGACY, file);
    const a = openSqliteRecords({ path: file });
    const b = openSqliteRecords({ path: file });
    await Promise.all([a.ping(), b.ping()]);
    expect((await a.listEvents({ conversationId: LEGACY_CONVERSATION })).length).toBe(8);
    await a.close();
    await b.close();
    expect(versions(file)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });
});
