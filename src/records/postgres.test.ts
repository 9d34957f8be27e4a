/**
 * What only PostgreSQL has to prove (the shared rules run on it in handover.test.ts): two replicas migrating at once,
 * a server that is down at start (retried with back-off) or goes down while kefu runs (a clear RECORDS_FAILED, and
 * nothing acknowledged is lost), and `?` placeholders numbered outside quotes.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { describeWithPostgres, freePort, startPostgres } from '../../test/support/postgres.ts';
import { appliedMigrations, MIGRATIONS, migrate, SCHEMA_VERSION } from './migrations.ts';
import { numberPlaceholders, openPostgresDatabase, redactUrl } from './postgres-database.ts';
import { openPostgresRecords } from './postgres.ts';
import { acquireWriterRole } from './postgres-writer-lock.ts';

describe('numberPlaceholders', () => {
  it('numbers ? in order and leaves quoted ones alone', () => {
    expect(numberPlaceholders("SELECT '?' AS q, \"a?\" FROM t WHERE a = ? AND b IN (?, ?)")).toBe("SELECT '?' AS q, \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)");
  });
  it('never shows a password in a location', () => {
    expect(redactUrl('postgres://kefu:s3cret@db:5432/kefu')).toBe('postgres://kefu:***@db:5432/kefu');
  });
});

describeWithPostgres('records on PostgreSQL', (cluster) => {

  it('migrates once when two replicas start at the same moment: one applies, the other waits and finds it done', async () => {
    const url = await cluster.createDatabase();
    const first = openPostgresDatabase({ url });
    const second = openPostgresDatabase({ url });
    const results = await Promise.all([migrate({ database: first }), migrate({ database: second })]);
    const applied = results.map((result) => result.applied.length).sort();
    expect(applied).toEqual([0, MIGRATIONS.length]);
    expect((await appliedMigrations(first)).map((migration) => migration.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
    await Promise.all([first.close(), second.close()]);
  });

  it('refuses a database written by a newer kefu, naming both versions, and changes nothing', async () => {
    const url = await cluster.createDatabase();
    const database = openPostgresDatabase({ url });
    await migrate({ database });
    await database.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [SCHEMA_VERSION + 1, 'from the future', new Date().toISOString()]);
    const records = openPostgresRecords({ url, startupRetryMs: 0 });
    await expect(records.createConversation()).rejects.toMatchObject({ code: 'RECORDS_FAILED', message: expect.stringContaining(`schema version ${SCHEMA_VERSION + 1}`) });
    await records.close();
    await database.close();
  });

  it('waits for a server that is down at start, saying so before each retry, and works once it is up', async () => {
    const url = await cluster.createDatabase();
    const port = await freePort();
    // A TCP proxy that refuses until opened stands for a database server that is still starting.
    const { createServer, connect } = await import('node:net');
    let open = false;
    const proxy = createServer((socket) => {
      if (!open) return socket.destroy();
      const upstream = connect(cluster.port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    const retries: number[] = [];
    const records = openPostgresRecords({
      url: url.replace(`:${cluster.port}/`, `:${port}/`),
      startupRetryMs: 60_000,
      onRetry: ({ delayMs, location }) => {
        expect(location).not.toContain('password');
        retries.push(delayMs);
        if (retries.length === 2) open = true;
      },
    });
    const conversation = await records.createConversation();
    expect(conversation.id).toBeTruthy();
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[1]).toBeGreaterThan(retries[0] ?? 0); // back-off
    await records.close();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('gives up after the start-up wait with a clear RECORDS_FAILED naming the server (no password)', async () => {
    const port = await freePort();
    const records = openPostgresRecords({ url: `postgres://kefu:s3cret@127.0.0.1:${port}/kefu`, startupRetryMs: 600 });
    const failure = records.createConversation();
    await expect(failure).rejects.toMatchObject({ code: 'RECORDS_FAILED' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).not.toContain('s3cret');
    expect(await records.ping()).toBe(false);
    await records.close();
  });

  it('fails clearly while the server is down and works again after, with every acknowledged message kept', async () => {
    // Its own cluster: this one is stopped and started.
    const own = await startPostgres();
    try {
      const url = await own.createDatabase();
      const records = openPostgresRecords({ url, startupRetryMs: 0 });
      const conversation = await records.createConversation();
      const acknowledged: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const [message] = await records.appendMessages([{ conversationId: conversation.id, role: 'user', text: `before ${index}` }]);
        if (message) acknowledged.push(message.text);
      }
      own.halt();
      await expect(records.appendMessages([{ conversationId: conversation.id, role: 'user', text: 'while down' }])).rejects.toMatchObject({ code: 'RECORDS_FAILED' });
      expect(await records.ping()).toBe(false);
      own.start();
      // The pool drops the dead connections and opens new ones.
      let back = false;
      for (let attempt = 0; attempt < 50 && !back; attempt += 1) {
        back = await records.ping();
        if (!back) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(back).toBe(true);
      const [after] = await records.appendMessages([{ conversationId: conversation.id, role: 'user', text: 'after' }]);
      const texts = (await records.listMessages(conversation.id)).map((message) => message.text);
      expect(texts).toEqual([...acknowledged, after?.text]);
      await records.close();
    } finally {
      await own.stop();
    }
  }, 120_000);

  it('lets one writer run: a second refuses naming the first; the role is free again when the first stops or dies', async () => {
    const url = await cluster.createDatabase();
    const first = await acquireWriterRole({ url, holder: 'kefu serve pid 111 on host-a' });
    await expect(acquireWriterRole({ url, holder: 'kefu watch pid 222 on host-b' })).rejects.toMatchObject({
      code: 'INDEX_WRITER_RUNNING',
      message: expect.stringContaining('kefu serve pid 111 on host-a'),
    });
    await first.release();
    const second = await acquireWriterRole({ url, holder: 'kefu watch pid 222 on host-b' });
    // The writer's process dies: the server ends its session and with it the lock.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'kefu writer:%'");
    await admin.end();
    let third;
    for (let attempt = 0; attempt < 50 && !third; attempt += 1) {
      third = await acquireWriterRole({ url, holder: 'kefu serve pid 333 on host-c' }).catch(() => undefined);
      if (!third) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(third).toBeDefined();
    await third?.release();
    await second.release();
  });

  it('stores counts and keys as numbers, as SQLite does', async () => {
    const url = await cluster.createDatabase();
    const records = openPostgresRecords({ url, startupRetryMs: 0 });
    const conversation = await records.createConversation();
    const { ticket } = await records.openTicket({ conversationId: conversation.id, reason: 'customer-request' });
    expect(typeof ticket.id).toBe('number');
    expect(typeof (await records.lastEventSeq())).toBe('number');
    await records.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ data_type: string }>("SELECT data_type FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'seq'");
    expect(rows[0]?.data_type).toBe('bigint');
    await client.end();
  });
});
