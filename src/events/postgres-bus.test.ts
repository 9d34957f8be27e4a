/** Live events across replicas through LISTEN/NOTIFY, on a throw-away PostgreSQL cluster. */
import { expect, it } from 'vitest';
import pg from 'pg';
import { describeWithPostgres } from '../../test/support/postgres.ts';
import { openPostgresRecords } from '../records/postgres.ts';
import type { LiveSignal } from './bus.ts';
import { createPostgresBus } from './postgres-bus.ts';

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeWithPostgres('live events across replicas', (cluster) => {
  /** Two replicas on one fresh database, each with its records and its bus, listening. */
  async function twoReplicas() {
    const url = await cluster.createDatabase();
    const recordsA = openPostgresRecords({ url, startupRetryMs: 0 });
    const recordsB = openPostgresRecords({ url, startupRetryMs: 0 });
    const busA = createPostgresBus({ url, records: recordsA });
    const busB = createPostgresBus({ url, records: recordsB });
    await Promise.all([busA.ready, busB.ready]);
    return { url, recordsA, recordsB, busA, busB };
  }

  it('delivers a committed event to a stream on the other replica, read from the records, and typing as it is', async () => {
    const { recordsA, recordsB, busA, busB } = await twoReplicas();
    const heardOnB: LiveSignal[] = [];
    const heardOnA: LiveSignal[] = [];
    const conversation = await recordsA.createConversation();
    busB.subscribe({ conversationId: conversation.id }, (signal) => heardOnB.push(signal));
    busA.subscribe({}, (signal) => heardOnA.push(signal));

    const { events } = await recordsA.addCustomerMessage({ conversationId: conversation.id, text: 'Is anyone there?' });
    for (const event of events) busA.publish({ kind: 'event', event });
    busA.publish({ kind: 'typing', conversationId: conversation.id, who: 'customer' });

    const received = await until(() => (heardOnB.length >= events.length + 1 ? heardOnB : undefined), 'the events on replica B');
    expect(received.filter((signal) => signal.kind === 'event').map((signal) => signal.kind === 'event' && signal.event.seq)).toEqual(events.map((event) => event.seq));
    const first = received[0];
    expect(first?.kind === 'event' && first.event.data).toMatchObject({ role: 'user' });
    expect(received.at(-1)).toEqual({ kind: 'typing', conversationId: conversation.id, who: 'customer' });
    // The sender's own subscribers hear it once, not again through the database.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heardOnA).toHaveLength(events.length + 1);

    // A signal for another conversation does not reach this conversation's stream.
    busA.publish({ kind: 'typing', conversationId: 'another', who: 'agent' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heardOnB).toHaveLength(events.length + 1);

    await Promise.all([busA.close(), busB.close(), recordsA.close(), recordsB.close()]);
  });

  it('replays what was committed while its listening connection was down', async () => {
    const { url, recordsA, recordsB, busA, busB } = await twoReplicas();
    const heard: number[] = [];
    busB.subscribe({}, (signal) => {
      if (signal.kind === 'event') heard.push(signal.event.seq);
    });
    const conversation = await recordsA.createConversation();
    const first = await recordsA.addCustomerMessage({ conversationId: conversation.id, text: 'one' });
    for (const event of first.events) busA.publish({ kind: 'event', event });
    await until(() => (heard.length === first.events.length ? true : undefined), 'the first message');

    // Cut replica B's listening connection (as a network blip or a database restart would).
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    const second = await recordsA.addCustomerMessage({ conversationId: conversation.id, text: 'two' });
    for (const event of second.events) busA.publish({ kind: 'event', event });
    await admin.end();

    const all = [...first.events, ...second.events].map((event) => event.seq);
    await until(() => (all.every((seq) => heard.includes(seq)) ? true : undefined), 'the message sent while B was reconnecting');
    expect(new Set(heard).size).toBe(heard.length); // none twice
    await Promise.all([busA.close(), busB.close(), recordsA.close(), recordsB.close()]);
  });
});
