/**
 * The owner console through HTTP over a real index, real records and the real sync: internal documents are never
 * quoted or served to customers while an agent's search uses them; a gradual release gives two visitors two arms (the
 * candidate's new answer only in its arm), promotion reaches everyone and a rollback nobody, at once and after the
 * sync; the KPIs per arm; uploads; the report formats; the metrics behind the alert rules; owner-only routes refuse
 * anonymous callers, customers and agents; a refused question → gap → answer → FAQ file in the inbox → sync → the
 * identical question gets it; empty and markup answers; a gap answered twice at once is answered once.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { armFor } from '../src/release/index.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { syncFolder } from '../ingest/sync.ts';
import { createDocumentServices } from '../cli/document-services.ts';
import { createOwnerConsole } from '../cli/owner-console.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

const INTERNAL_SECRET = 'PARTNER-35-ONLY';
const internalDocuments = {
  'wholesale-internal.md': `# Wholesale partner terms\n\n## Partner discount\nWholesale partners receive a 35 percent discount with the partner code ${INTERNAL_SECRET} on every bulk order of pallets.\n`,
  'staff-faq.csv': 'question,answer\nWhat is the staff discount code?,The staff code is STAFF-SECRET-77.\n',
};

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let owner: string;
let agent: string;

async function sync(): Promise<void> {
  const summary = await syncFolder({ config: fixture.config, store: fixture.store, embedder: fixture.embedder, root: fixture.config.inboxDir });
  expect(summary.failed).toEqual([]);
  // The answer service looks at the index version at most every 2 s (src/retrieval): a customer sees a change
  // within that, so the test waits it out rather than reach inside.
  await new Promise((resolve) => setTimeout(resolve, 2100));
}

async function openGaps(): Promise<{ groups: Array<{ id: string; question: string; count: number; wordings: string[] }> }> {
  const response = await app.inject({ method: 'GET', url: '/api/admin/gaps?fresh=true', headers: staff(owner) });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

function staff(token: string, body?: unknown) {
  return { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
}

async function ask(question: string, options: { visitorId?: string; debugAs?: string } = {}) {
  const response = await app.inject({
    method: 'POST',
    // ?debug=1 (an owner's) adds the retrieved passages: what the customer's search saw.
    url: options.debugAs ? '/api/chat?debug=1' : '/api/chat',
    payload: { question, ...(options.visitorId ? { visitorId: options.visitorId } : {}) },
    ...(options.debugAs ? { headers: staff(options.debugAs) } : {}),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { answer: string; outcome: string; conversationId: string; conversationToken: string; retrieved: Array<{ docPath: string; text: string }>; citations: Array<{ docPath: string }> };
}

/** Two visitor ids that land in different arms of a release. */
function visitorsFor(releaseId: string, share: number): { candidate: string; control: string } {
  let candidate = '';
  let control = '';
  for (let index = 0; !candidate || !control; index += 1) {
    const visitor = `visitor-${String(index).padStart(4, '0')}`;
    if (armFor({ releaseId, visitor, share }) === 'candidate') candidate ||= visitor;
    else control ||= visitor;
  }
  return { candidate, control };
}

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '100000' }, internalDocuments);
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  const console = createOwnerConsole({ config: fixture.config, records, store: fixture.store, embedder: fixture.embedder, answerService: fixture.answerService });
  app = await buildApp({
    config: fixture.config,
    answerService: fixture.answerService,
    records,
    logger: false,
    owner: console,
    ...createDocumentServices({ config: fixture.config, store: fixture.store, isVisible: console.isVisible }),
  });
  const accounts = createAccounts({ records, settings: fixture.config.accounts });
  owner = (await accounts.addUser({ name: 'olivia', role: 'owner', displayName: 'Olivia' })).token;
  agent = (await accounts.addUser({ name: 'alice', role: 'agent', displayName: 'Alice' })).token;
});

afterAll(async () => {
  await app?.close();
  await records?.close();
  await fixture?.close();
});

describe('document visibility', () => {
  it('never quotes or serves an internal document to a customer, while an agent\'s search uses it', async () => {
    // Visible until marked: the customer does get it (so the rule below is what hides it).
    const before = await ask('What discount do wholesale partners get on bulk pallet orders?');
    expect(JSON.stringify(before)).toContain(INTERNAL_SECRET);

    for (const documentPath of Object.keys(internalDocuments)) {
      const marked = await app.inject({ method: 'PUT', url: '/api/admin/documents/visibility', headers: staff(owner, {}), payload: { path: documentPath, visibility: 'internal' } });
      expect(marked.statusCode, marked.body).toBe(200);
    }
    const listed = (await app.inject({ method: 'GET', url: '/api/admin/documents', headers: staff(owner) })).json() as { documents: Array<{ path: string; visibility: string; chunks: number }> };
    expect(listed.documents.find((document) => document.path === 'wholesale-internal.md')).toMatchObject({ visibility: 'internal', chunks: 1 });

    for (const question of ['What discount do wholesale partners get on bulk pallet orders?', 'partner code for pallets', 'What is the staff discount code?']) {
      const answer = await ask(question, { debugAs: owner });
      const text = JSON.stringify(answer);
      expect(text, question).not.toContain(INTERNAL_SECRET);
      expect(text, question).not.toContain('STAFF-SECRET-77');
      expect(answer.retrieved.map((passage) => passage.docPath), question).not.toContain('wholesale-internal.md');
      expect(answer.retrieved.map((passage) => passage.docPath), question).not.toContain('staff-faq.csv');
    }
    // The customer's own filter cannot widen it.
    const filtered = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'partner discount code', filters: { docPath: ['wholesale-internal.md'] } } });
    expect(filtered.body).not.toContain(INTERNAL_SECRET);
    // Nor are the files served.
    expect((await app.inject({ method: 'GET', url: '/api/documents/wholesale-internal.md' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/document-view?path=staff-faq.csv' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/documents/returns-policy.md' })).statusCode).toBe(200);

    // Agents search with it.
    const search = await app.inject({ method: 'POST', url: '/api/agent/search', headers: staff(agent, {}), payload: { question: 'What discount do wholesale partners get on bulk pallet orders?' } });
    expect(search.statusCode, search.body).toBe(200);
    expect(search.body).toContain(INTERNAL_SECRET);
    const staffFaq = (await app.inject({ method: 'POST', url: '/api/agent/search', headers: staff(agent, {}), payload: { question: 'What is the staff discount code?' } })).json() as { answer: string; outcome: string };
    expect(staffFaq).toMatchObject({ outcome: 'faq' });
    expect(staffFaq.answer).toContain('STAFF-SECRET-77');
  });
});

describe('gradual release', () => {
  it('gives the candidate\'s new answer only to its arm; promotion reaches everyone, a rollback nobody', async () => {
    const giftWrap = 'Do you offer gift wrapping for orders?';
    const refused = await ask(giftWrap);
    expect(refused.outcome).toBe('refused');

    const started = await app.inject({ method: 'POST', url: '/api/admin/releases', headers: staff(owner, {}), payload: { share: 50, note: 'gift wrapping' } });
    expect(started.statusCode, started.body).toBe(201);
    const releaseId = (started.json() as { release: { id: string } }).release.id;
    expect((await app.inject({ method: 'POST', url: '/api/admin/releases', headers: staff(owner, {}), payload: { share: 10 } })).json()).toMatchObject({ error: { code: 'RELEASE_RUNNING' } });

    const gaps = await openGaps();
    const gap = gaps.groups.find((group) => group.question === giftWrap);
    expect(gap).toBeDefined();
    const answered = await app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: { answer: 'Yes: gift wrapping costs $4 per order.' } });
    expect(answered.statusCode, answered.body).toBe(201);
    expect(answered.json()).toMatchObject({ change: { status: 'staged', releaseId } });
    await sync();

    const visitors = visitorsFor(releaseId, 50);
    const candidate = await ask(giftWrap, { visitorId: visitors.candidate });
    expect(candidate.answer).toContain('gift wrapping costs $4');
    const control = await ask(giftWrap, { visitorId: visitors.control });
    expect(control.answer).not.toContain('gift wrapping costs $4');
    // Sticky: the same visitors, new conversations, the same arms.
    expect((await ask(giftWrap, { visitorId: visitors.candidate })).answer).toContain('gift wrapping costs $4');
    expect((await ask(giftWrap, { visitorId: visitors.control })).answer).not.toContain('gift wrapping costs $4');

    const report = (await app.inject({ method: 'GET', url: `/api/admin/report?since=1d&release=${releaseId}`, headers: staff(owner) })).json() as { arms: { control: { conversations: number; refusal: { rate: number } }; candidate: { conversations: number; refusal: { rate: number } } } };
    expect(report.arms.candidate.conversations).toBe(2);
    expect(report.arms.control.conversations).toBe(2);
    expect(report.arms.candidate.refusal.rate).toBe(0);
    expect(report.arms.control.refusal.rate).toBe(1);

    const promoted = await app.inject({ method: 'POST', url: '/api/admin/releases/current/promote', headers: staff(owner) });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json()).toMatchObject({ release: { status: 'promoted' }, applied: 1 });
    // At once, before the index has caught up, and after it.
    expect((await ask(giftWrap, { visitorId: visitors.control })).answer).toContain('gift wrapping costs $4');
    await sync();
    expect((await ask(giftWrap, { visitorId: visitors.control })).answer).toContain('gift wrapping costs $4');
    expect((await ask(giftWrap)).answer).toContain('gift wrapping costs $4');
    expect(await readFile(path.join(fixture.config.inboxDir, 'kefu-answers.csv'), 'utf8')).toContain('gift wrapping costs $4');

    // A second release, rolled back.
    const giftCards = 'Can I buy a gift card for a friend?';
    // Refused, or (with the gift-wrapping entry now in the FAQ) "did you mean …?": either way a gap.
    expect(['refused', 'clarify']).toContain((await ask(giftCards)).outcome);
    const second = (await app.inject({ method: 'POST', url: '/api/admin/releases', headers: staff(owner, {}), payload: { share: 50 } })).json() as { release: { id: string } };
    const cardGap = ((await app.inject({ method: 'GET', url: '/api/admin/gaps?fresh=true', headers: staff(owner) })).json() as { groups: Array<{ id: string; question: string }> }).groups.find((group) => group.question === giftCards);
    expect((await app.inject({ method: 'POST', url: `/api/admin/gaps/${cardGap?.id}/answer`, headers: staff(owner, {}), payload: { answer: 'Gift cards are sold in our shop from $10.' } })).statusCode).toBe(201);
    await sync();
    const secondVisitors = visitorsFor(second.release.id, 50);
    expect((await ask(giftCards, { visitorId: secondVisitors.candidate })).answer).toContain('Gift cards are sold');
    const rolledBack = await app.inject({ method: 'POST', url: '/api/admin/releases/current/rollback', headers: staff(owner) });
    expect(rolledBack.json()).toMatchObject({ release: { status: 'rolled-back' }, reverted: 1 });
    expect((await ask(giftCards, { visitorId: secondVisitors.candidate })).answer).not.toContain('Gift cards are sold');
    await sync();
    expect((await ask(giftCards, { visitorId: secondVisitors.candidate })).answer).not.toContain('Gift cards are sold');
    expect((await ask(giftCards, { visitorId: secondVisitors.control })).answer).not.toContain('Gift cards are sold');
    // Its gap is open again; the first answer stays.
    const open = (await app.inject({ method: 'GET', url: '/api/admin/gaps?fresh=true', headers: staff(owner) })).json() as { groups: Array<{ question: string }> };
    expect(open.groups.map((group) => group.question)).toContain(giftCards);
    expect((await ask(giftWrap)).answer).toContain('gift wrapping costs $4');
    expect((await app.inject({ method: 'POST', url: '/api/admin/releases/current/promote', headers: staff(owner) })).json()).toMatchObject({ error: { code: 'RELEASE_NOT_RUNNING' } });
  });
});

describe('the rest of the console over HTTP', () => {
  it('uploads into the ingest folder and refuses unsafe names and types', async () => {
    const upload = (name: string, body: string | Buffer) =>
      app.inject({ method: 'POST', url: `/api/admin/documents?name=${encodeURIComponent(name)}`, headers: { ...staff(owner), 'content-type': 'application/octet-stream' }, payload: body });
    const created = await upload('guides/care.md', '# Care\n\nWash at 30 degrees.\n');
    expect(created.statusCode, created.body).toBe(201);
    expect(await readFile(path.join(fixture.config.inboxDir, 'guides', 'care.md'), 'utf8')).toContain('Wash at 30 degrees');
    expect((await upload('../escape.md', '# x')).json()).toMatchObject({ error: { code: 'UPLOAD_INVALID' } });
    expect((await upload('.env.md', '# x')).statusCode).toBe(400);
    expect((await upload('run.exe', 'MZ')).statusCode).toBe(415);
    expect((await upload('empty.md', '')).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/admin/documents?name=x.md', headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/octet-stream' }, payload: '# x' })).statusCode).toBe(403);
    await sync();
    const removed = await app.inject({ method: 'DELETE', url: '/api/admin/documents?path=guides%2Fcare.md', headers: staff(owner) });
    expect(removed.statusCode, removed.body).toBe(200);
    await expect(readFile(path.join(fixture.config.inboxDir, 'guides', 'care.md'))).rejects.toThrow();
  });

  it('serves the report as JSON, CSV with a byte-order mark and HTML; refuses a bad period', async () => {
    const json = (await app.inject({ method: 'GET', url: '/api/admin/report?since=7d&tz=Asia/Shanghai', headers: staff(owner) })).json() as { totals: { conversations: number }; byDay: unknown[] };
    expect(json.totals.conversations).toBeGreaterThan(5);
    expect(json.byDay.length).toBeGreaterThanOrEqual(7);
    const csv = await app.inject({ method: 'GET', url: '/api/admin/report?format=csv', headers: staff(owner) });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const html = await app.inject({ method: 'GET', url: '/api/admin/report?format=html', headers: staff(owner) });
    expect(html.body).toContain('<svg');
    const empty = (await app.inject({ method: 'GET', url: '/api/admin/report?since=2020-01-01&until=2020-01-31', headers: staff(owner) })).json() as { totals: { conversations: number; botResolution: { resolved: { rate: number | null } } } };
    expect(empty.totals).toMatchObject({ conversations: 0, botResolution: { resolved: { rate: null } } });
    expect((await app.inject({ method: 'GET', url: '/api/admin/report?tz=Mars/Base', headers: staff(owner) })).json()).toMatchObject({ error: { code: 'PERIOD_INVALID' } });
    expect((await app.inject({ method: 'GET', url: '/api/admin/report', headers: staff(agent) })).statusCode).toBe(403);
  });

  it('exposes the measures behind the alert rules on /metrics', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of ['kefu_answer_duration_seconds_bucket', 'kefu_handover_waiting_tickets', 'kefu_handover_oldest_waiting_seconds', 'kefu_handover_first_response_target_seconds', 'kefu_documents{status="indexed"}', 'kefu_indexing_stalled', 'kefu_release_share_percent', 'kefu_release_answers_total{arm="candidate"']) {
      expect(text).toContain(name);
    }
  });

  it('corrects an answer from a conversation (agents too); the next identical question gets it after the sync', async () => {
    const question = 'Is there a student discount?';
    const first = await ask(question);
    expect(first.answer).not.toContain('15 percent');
    const messages = (await app.inject({ method: 'GET', url: `/api/conversations/${first.conversationId}`, headers: { 'x-conversation-token': first.conversationToken } })).json() as { messages: Array<{ id: string; role: string }> };
    const answerId = messages.messages.find((message) => message.role === 'assistant')?.id ?? '';
    expect((await app.inject({ method: 'POST', url: '/api/agent/corrections', headers: staff(agent, {}), payload: { messageId: answerId, answer: '   ' } })).json()).toMatchObject({ error: { code: 'ANSWER_EMPTY' } });
    const corrected = await app.inject({ method: 'POST', url: '/api/agent/corrections', headers: staff(agent, {}), payload: { messageId: answerId, answer: 'Students get 15 percent off with a valid student card.' } });
    expect(corrected.statusCode, corrected.body).toBe(201);
    await sync();
    expect((await ask(question)).answer).toContain('15 percent off');
  });
});

describe('who may use the console', () => {
  const routes: Array<{ method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string; payload?: Record<string, unknown> }> = [
    { method: 'GET', url: '/api/admin/documents' },
    { method: 'PUT', url: '/api/admin/documents/visibility', payload: { path: 'shipping.md', visibility: 'internal' } },
    { method: 'DELETE', url: '/api/admin/documents?path=shipping.md' },
    { method: 'GET', url: '/api/admin/gaps' },
    { method: 'POST', url: '/api/admin/gaps/g-1/answer', payload: { answer: 'x' } },
    { method: 'POST', url: '/api/admin/gaps/g-1/dismiss' },
    { method: 'GET', url: '/api/admin/faq' },
    { method: 'GET', url: '/api/admin/answers' },
    { method: 'GET', url: '/api/admin/releases' },
    { method: 'POST', url: '/api/admin/releases', payload: { share: 10 } },
    { method: 'POST', url: '/api/admin/releases/current/promote' },
    { method: 'GET', url: '/api/admin/report' },
  ];

  it('refuses anonymous callers (401), customers with a conversation token (401) and agents (403); nothing changes', async () => {
    const customer = await ask('How long does standard shipping take?');
    for (const route of routes) {
      const json = route.payload === undefined ? {} : { 'content-type': 'application/json' };
      const inject = (headers: Record<string, string>) =>
        app.inject({ method: route.method, url: route.url, headers: { ...json, ...headers }, ...(route.payload === undefined ? {} : { payload: route.payload }) });
      expect((await inject({})).statusCode, `anonymous ${route.method} ${route.url}`).toBe(401);
      expect((await inject({ 'x-conversation-token': customer.conversationToken })).statusCode, `customer ${route.method} ${route.url}`).toBe(401);
      expect((await inject({ authorization: `Bearer ${agent}` })).statusCode, `agent ${route.method} ${route.url}`).toBe(403);
      expect((await inject({ authorization: 'Bearer not-a-token' })).statusCode, `bad token ${route.method} ${route.url}`).toBe(401);
    }
    const listed = (await app.inject({ method: 'GET', url: '/api/admin/documents', headers: staff(owner) })).json() as { documents: Array<{ path: string; visibility: string }> };
    expect(listed.documents.find((document) => document.path === 'shipping.md')).toMatchObject({ visibility: 'customers' });
    expect((await app.inject({ method: 'GET', url: '/api/admin/releases', headers: staff(owner) })).json()).toMatchObject({ current: null });
    // Customers cannot search as staff either.
    expect((await app.inject({ method: 'POST', url: '/api/agent/search', headers: { 'content-type': 'application/json' }, payload: { question: 'x' } })).statusCode).toBe(401);
  });
});

describe('knowledge gaps', () => {
  const answers = () => readFile(path.join(fixture.config.inboxDir, 'kefu-answers.csv'), 'utf8');

  it('a refused question becomes a gap; its answer is written to the FAQ file in the inbox and, after the sync, the identical question gets it', async () => {
    const question = 'Do you repair broken umbrellas?';
    expect((await ask(question)).outcome).toBe('refused');
    expect((await ask('do you repair broken umbrellas')).outcome).toBe('refused');
    const gap = (await openGaps()).groups.find((group) => group.wordings.includes(question) || group.question === question);
    expect(gap, 'the refused question is listed').toBeDefined();
    expect(gap?.count).toBeGreaterThanOrEqual(2);

    expect((await app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: { answer: ' \n\t ' } })).json()).toMatchObject({ error: { code: 'ANSWER_EMPTY' } });
    expect((await app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: {} })).statusCode).toBe(400);

    const answer = 'Yes: umbrella repairs cost $8 and take a week.';
    const answered = await app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: { answer } });
    expect(answered.statusCode, answered.body).toBe(201);
    expect(await answers()).toContain(answer);
    // The answered gap leaves the list; answering it again says so.
    expect((await openGaps()).groups.map((group) => group.id)).not.toContain(gap?.id);
    expect((await app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: { answer } })).statusCode).toBeGreaterThanOrEqual(400);

    await sync();
    const again = await ask(question);
    expect(again.outcome).toBe('faq');
    expect(again.answer).toContain('umbrella repairs cost $8');
    expect(again.citations.map((citation) => citation.docPath)).toContain('kefu-answers.csv');
  });

  it('keeps HTML and script in an answer as text, in the file and in the answer customers get', async () => {
    const question = 'Can I engrave a message on a watch?';
    expect((await ask(question)).outcome).toBe('refused');
    const gap = (await openGaps()).groups.find((group) => group.question === question);
    expect(gap).toBeDefined();
    const answer = 'Yes <b>free</b> engraving <script>window.__owned = true</script><img src=x onerror="alert(1)"> up to 20 letters.';
    expect((await app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: { answer } })).statusCode).toBe(201);
    expect(await answers()).toContain('<script>window.__owned = true</script>');
    await sync();
    const reply = await ask(question);
    expect(reply.outcome).toBe('faq');
    expect(reply.answer).toContain('<script>window.__owned = true</script>');
    expect(reply.answer).toContain('<img src=x onerror="alert(1)">');
  });

  it('answers a gap answered twice at once only once; a dismissed gap leaves the list', async () => {
    const question = 'Do you sell replacement straps for backpacks?';
    expect((await ask(question)).outcome).toBe('refused');
    const gap = (await openGaps()).groups.find((group) => group.question === question);
    expect(gap).toBeDefined();
    const send = (answer: string) => app.inject({ method: 'POST', url: `/api/admin/gaps/${gap?.id}/answer`, headers: staff(owner, {}), payload: { answer } });
    const results = await Promise.all([send('Straps cost $6 (answer one).'), send('Straps cost $6 (answer two).')]);
    const statuses = results.map((result) => result.statusCode).sort();
    expect(statuses).toEqual([201, 409]);
    expect(results.find((result) => result.statusCode === 409)?.json()).toMatchObject({ error: { code: 'GAP_ALREADY_HANDLED' } });
    const file = await answers();
    expect((file.match(/Straps cost \$6/g) ?? []).length).toBe(1);

    const other = 'Is there a loyalty card for regular customers?';
    expect((await ask(other)).outcome).toBe('refused');
    const otherGap = (await openGaps()).groups.find((group) => group.question === other);
    expect((await app.inject({ method: 'POST', url: `/api/admin/gaps/${otherGap?.id}/dismiss`, headers: staff(owner) })).statusCode).toBe(200);
    expect((await openGaps()).groups.map((group) => group.question)).not.toContain(other);
    expect(await answers()).not.toContain('loyalty');
  });
});
