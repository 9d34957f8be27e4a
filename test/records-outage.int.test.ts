/**
 * The records database failing while kefu runs (issue 16, "bad input"): customers are still answered, as JSON and as
 * a stream, and each reply says it was not stored (`stored: false`); nothing is handed over; the failure is logged at
 * error level and counted in /metrics; internal documents stay out of customers' answers (routing keeps its last
 * good view, and an app that never had one refuses with RECORDS_FAILED rather than answer without it); once the
 * database is back, a continued conversation and new questions are stored again, and nothing from the outage
 * appears in a transcript. PostgreSQL: the real cluster is stopped and started under a real app. SQLite has no
 * server to stop: its real store is wrapped so that its calls fail with RECORDS_FAILED, which also lets one test
 * fail only the answer's storing (the question was stored).
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { KefuError } from '../src/errors/index.ts';
import { openPostgresRecords } from '../src/records/postgres.ts';
import { openSqliteRecords } from '../src/records/sqlite.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createDocumentServices } from '../cli/document-services.ts';
import { createOwnerConsole } from '../cli/owner-console.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import { launchBrowser } from './support/browser.ts';
import { describeWithPostgres } from './support/postgres.ts';

const INTERNAL_SECRET = 'PARTNER-35-ONLY';
const internalDocuments = {
  'wholesale-internal.md': `# Wholesale partner terms\n\n## Partner discount\nWholesale partners receive a 35 percent discount with the partner code ${INTERNAL_SECRET} on every bulk order of pallets.\n`,
};
const WHOLESALE = 'What discount do wholesale partners get on bulk pallet orders?';
const REFUNDS = 'How long do refunds take?';
const SHIPPING = 'How long does express shipping take?';

interface ChatBody {
  answer?: string;
  outcome?: string;
  stored?: boolean;
  conversationId?: string;
  conversationToken?: string;
  messageId?: string;
  state?: string;
  handoff?: unknown;
  citations?: Array<{ docPath: string }>;
  error?: { code: string };
}

let fixture: ChatFixture;

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '100000' }, internalDocuments);
}, 180_000);

afterAll(async () => {
  await fixture?.close();
});

/** A real app with the owner console (document visibility, releases) over these records; log lines are kept. */
async function startApp(records: RecordsStore, lines: string[] = []): Promise<KefuApp> {
  const owner = createOwnerConsole({ config: fixture.config, records, store: fixture.store, embedder: fixture.embedder, answerService: fixture.answerService });
  return buildApp({
    config: fixture.config,
    answerService: fixture.answerService,
    records,
    logger: { level: 'warn', stream: { write: (line: string) => void lines.push(line) } },
    owner,
    ...createDocumentServices({ config: fixture.config, store: fixture.store, isVisible: owner.isVisible }),
  });
}

async function chat(app: KefuApp, question: string, conversation?: ChatBody): Promise<{ status: number; body: ChatBody }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/chat',
    payload: { question, ...(conversation?.conversationId ? { conversationId: conversation.conversationId } : {}) },
    ...(conversation?.conversationToken ? { headers: { 'x-conversation-token': conversation.conversationToken } } : {}),
  });
  return { status: response.statusCode, body: response.json() as ChatBody };
}

/** The streamed reply's `answer-end` (or `error`) event. */
async function chatStream(app: KefuApp, question: string): Promise<{ name: string; data: ChatBody }> {
  const response = await app.inject({ method: 'POST', url: '/api/chat', headers: { accept: 'text/event-stream' }, payload: { question } });
  expect(response.statusCode).toBe(200);
  const frames = response.body
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => ({ name: /^event: (.*)$/m.exec(frame)?.[1] ?? '', data: JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? 'null') as ChatBody }));
  const last = frames.at(-1);
  if (!last) throw new Error(`no events in ${response.body}`);
  return last;
}

async function unstoredCount(app: KefuApp, step: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(new RegExp(`^kefu_unstored_turns_total\\{step="${step}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

interface Outage {
  records: RecordsStore;
  down(): Promise<void>;
  up(): Promise<void>;
}

/** The whole story on one engine. */
async function answersThroughAnOutage(outage: Outage): Promise<void> {
  const { records } = outage;
  const lines: string[] = [];
  const app = await startApp(records, lines);
  // A second replica that has not answered anyone yet: it has no view of which documents are internal.
  const coldApp = await startApp(records);
  try {
    const owner = (await createAccounts({ records, settings: fixture.config.accounts }).addUser({ name: 'olivia', role: 'owner', displayName: 'Olivia' })).token;
    // Visible until marked: so what hides it below is the rule, not the question.
    expect(JSON.stringify((await chat(app, WHOLESALE)).body)).toContain(INTERNAL_SECRET);
    const marked = await app.inject({ method: 'PUT', url: '/api/admin/documents/visibility', headers: { authorization: `Bearer ${owner}` }, payload: { path: 'wholesale-internal.md', visibility: 'internal' } });
    expect(marked.statusCode, marked.body).toBe(200);
    const before = await chat(app, REFUNDS);
    expect(before.body).toMatchObject({ stored: true, conversationId: expect.any(String), messageId: expect.any(String) });
    expect(JSON.stringify((await chat(app, WHOLESALE)).body)).not.toContain(INTERNAL_SECRET);

    await outage.down();
    // Past routing's 2 s cache, so the records are read again (and fail) on the next question.
    await new Promise((resolve) => setTimeout(resolve, 2100));

    const fresh = await chat(app, REFUNDS);
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    expect(fresh.body).toMatchObject({ stored: false, state: 'bot', outcome: 'answered' });
    expect(fresh.body.answer).toContain('5 business days');
    expect(fresh.body.citations?.map((citation) => citation.docPath)).toContain('returns-policy.md');
    expect(fresh.body.conversationId).toBeUndefined();
    expect(fresh.body.conversationToken).toBeUndefined();
    expect(fresh.body.messageId).toBeUndefined();

    // Internal documents stay hidden from customers with the records down.
    const hidden = await chat(app, WHOLESALE);
    expect(hidden.status).toBe(200);
    expect(JSON.stringify(hidden.body)).not.toContain(INTERNAL_SECRET);
    expect(hidden.body.citations?.map((citation) => citation.docPath) ?? []).not.toContain('wholesale-internal.md');

    // A continued conversation: its token cannot be checked, so it is answered as a fresh question, unstored.
    const continued = await chat(app, SHIPPING, before.body);
    expect(continued.status, JSON.stringify(continued.body)).toBe(200);
    expect(continued.body).toMatchObject({ stored: false });
    expect(continued.body.answer).toContain('1 to 2 business days');
    expect(continued.body.conversationId).toBeUndefined();

    // Streamed: the answer-end says so too.
    const streamed = await chatStream(app, REFUNDS);
    expect(streamed.name).toBe('answer-end');
    expect(streamed.data).toMatchObject({ stored: false, outcome: 'answered' });
    expect(streamed.data.messageId).toBeUndefined();

    // Asking for a person: answered, but no ticket can be opened (nobody would find it): no hand-over.
    const person = await chat(app, 'I want to speak to a human');
    expect(person.status).toBe(200);
    expect(person.body).toMatchObject({ stored: false, state: 'bot' });
    expect(person.body.handoff).toBeUndefined();

    // The replica that never read the visibility refuses rather than answer without the customer filters.
    const cold = await chat(coldApp, WHOLESALE);
    expect(cold.status).toBe(500);
    expect(cold.body.error?.code).toBe('RECORDS_FAILED');

    // Logged at error level, and counted.
    const failures = lines.map((line) => JSON.parse(line) as { level: number; msg: string; code?: string; step?: string }).filter((line) => line.msg.startsWith('records failed'));
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures.every((line) => line.level === 50 && line.code === 'RECORDS_FAILED' && line.step === 'question')).toBe(true);
    expect(await unstoredCount(app, 'question')).toBeGreaterThanOrEqual(5);

    await outage.up();
    const resumed = await chat(app, REFUNDS, before.body);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect(resumed.body).toMatchObject({ stored: true, conversationId: before.body.conversationId, messageId: expect.any(String) });
    const transcript = (await records.listMessages(before.body.conversationId ?? '')).map((message) => message.text);
    expect(transcript.filter((text) => text === REFUNDS)).toHaveLength(2);
    expect(transcript).not.toContain(SHIPPING);
    const after = await chat(app, SHIPPING);
    expect(after.body).toMatchObject({ stored: true, conversationId: expect.any(String), conversationToken: expect.any(String) });
    expect(JSON.stringify((await chat(app, WHOLESALE)).body)).not.toContain(INTERNAL_SECRET);
  } finally {
    await app.close();
    await coldApp.close();
  }
}

describeWithPostgres('records outage on PostgreSQL: the cluster stopped mid-operation', (cluster) => {
  it('keeps answering customers (stored: false), keeps internal documents out, and stores again once it is back', async () => {
    const records = openPostgresRecords({ url: await cluster.createDatabase(), startupRetryMs: 0 });
    try {
      await answersThroughAnOutage({
        records,
        down: async () => cluster.halt(),
        async up() {
          cluster.start();
          // The pool drops its dead connections and opens new ones.
          for (let attempt = 0; attempt < 50 && !(await records.ping()); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 200));
          expect(await records.ping()).toBe(true);
        },
      });
    } finally {
      await records.close();
    }
  }, 180_000);
});

/**
 * The real SQLite store, whose calls fail as a failing database's do (RECORDS_FAILED) while `failing` names them
 * (`'all'`: every call, and ping says false).
 */
function failingSqlite(file: string): { records: RecordsStore; fail(which: 'all' | string[] | undefined): void } {
  const real = openSqliteRecords({ path: file });
  let failing: 'all' | string[] | undefined;
  const records = new Proxy(real, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || typeof name !== 'string' || name === 'close') return value;
      return async (...args: unknown[]) => {
        if (failing === 'all' || failing?.includes(name)) {
          if (name === 'ping') return false;
          throw new KefuError('RECORDS_FAILED', { detail: `${file} (taken down by the test)` });
        }
        return (value as (...inner: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return { records, fail: (which) => (failing = which) };
}

describe('records outage on SQLite', () => {
  it('keeps answering customers (stored: false), keeps internal documents out, and stores again once it is back', async () => {
    const sqlite = failingSqlite(path.join(fixture.dataDir, 'outage.db'));
    try {
      await answersThroughAnOutage({ records: sqlite.records, down: async () => sqlite.fail('all'), up: async () => sqlite.fail(undefined) });
    } finally {
      await sqlite.records.close();
    }
  }, 120_000);

  it('answers when only the answer cannot be stored: the question is kept, no message id, no hand-over, counted', async () => {
    const sqlite = failingSqlite(path.join(fixture.dataDir, 'answer-step.db'));
    const app = await startApp(sqlite.records);
    try {
      sqlite.fail(['recordMessages']);
      const reply = await chat(app, 'I want to speak to a human');
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.body).toMatchObject({ stored: false, conversationId: expect.any(String), conversationToken: expect.any(String), state: 'bot' });
      expect(reply.body.messageId).toBeUndefined();
      expect(reply.body.handoff).toBeUndefined();
      expect(await unstoredCount(app, 'answer')).toBe(1);
      sqlite.fail(undefined);
      const transcript = await sqlite.records.listMessages(reply.body.conversationId ?? '');
      expect(transcript.map((message) => message.role)).toEqual(['user']);
      expect(await sqlite.records.listTickets()).toEqual([]);
    } finally {
      await app.close();
      await sqlite.records.close();
    }
  }, 120_000);

  it('the web chat shows the answer and says it was not saved; once the records are back it saves the conversation', async () => {
    const sqlite = failingSqlite(path.join(fixture.dataDir, 'browser.db'));
    const app = await startApp(sqlite.records);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const chrome = await launchBrowser();
    try {
      // Warm routing, as a running kefu is, then take the records down.
      expect((await chat(app, SHIPPING)).body).toMatchObject({ stored: true });
      sqlite.fail('all');
      const page = await chrome.browser.newPage({ locale: 'en-US' });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
      await page.getByLabel('Your question').fill(REFUNDS);
      await page.keyboard.press('Enter');
      const answer = page.locator('.message-assistant[aria-busy="false"]').last();
      await answer.locator('.message-status').waitFor({ timeout: 30_000 });
      expect(await answer.locator('.message-status').textContent()).toBe('This conversation could not be saved.');
      expect(await answer.locator('.message-text').textContent()).toContain('5 business days');
      expect(await answer.locator('.feedback').count()).toBe(0);
      expect(await page.evaluate(() => localStorage.getItem('kefu-conversation'))).toBeNull();

      sqlite.fail(undefined);
      await page.getByLabel('Your question').fill(SHIPPING);
      await page.keyboard.press('Enter');
      const saved = page.locator('.message-assistant[aria-busy="false"]').nth(1);
      await saved.locator('.feedback').waitFor({ timeout: 30_000 });
      expect(await saved.locator('.message-status').count()).toBe(0);
      const conversationId = await page.evaluate(() => (JSON.parse(localStorage.getItem('kefu-conversation') ?? '{}') as { id?: string }).id);
      expect((await sqlite.records.listMessages(conversationId ?? '')).map((message) => message.text)).toEqual([SHIPPING, expect.stringContaining('1 to 2 business days')]);
      expect(pageErrors).toEqual([]);
    } finally {
      await chrome.close();
      await app.close();
      await sqlite.records.close();
    }
  }, 120_000);
});
