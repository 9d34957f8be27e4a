/**
 * The permission matrix: every route that shows or changes conversations, accounts or settings, called by an
 * anonymous client, a customer (with their conversation token), an agent, an owner and an admin (with their bearer
 * tokens), over a listening app. Denied calls must answer exactly 401 (no or wrong credentials) or 403 (wrong role or
 * wrong conversation); allowed calls must get past the check (whatever the state of the conversation makes of them).
 * The route list is checked against the OpenAPI document, so a new route without a row here fails.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createOwnerConsole } from '../cli/owner-console.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';
import path from 'node:path';

type Actor = 'anonymous' | 'customer' | 'agent' | 'owner' | 'admin';
const ACTORS: Actor[] = ['anonymous', 'customer', 'agent', 'owner', 'admin'];
/** Allowed actors per kind of route; everyone else is refused. */
const ALLOWED: Record<string, Actor[]> = {
  public: ['anonymous', 'customer', 'agent', 'owner', 'admin'],
  customer: ['customer'],
  staff: ['agent', 'owner', 'admin'],
  conversations: ['agent', 'owner'],
  knowledge: ['owner'],
  reports: ['owner'],
  administration: ['admin'],
  channels: ['owner', 'admin'],
};
/** What a refused actor gets for each kind: without the right kind of credentials 401, with the wrong role 403. */
function refusal(kind: string, actor: Actor): number {
  if (kind === 'customer') return actor === 'anonymous' || actor !== 'customer' ? 401 : 403;
  return actor === 'anonymous' || actor === 'customer' ? 401 : 403;
}

interface Route {
  method: string;
  url: string;
  kind: keyof typeof ALLOWED;
  /** The body, or a function of the actor (signing in uses the actor's own name and token). */
  body?: unknown;
  stream?: boolean;
}

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let base: string;
const bearer: Record<string, string> = {};
let conversationId = '';
let conversationToken = '';
let messageId = '';

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '100000' });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  const owner = createOwnerConsole({ config: fixture.config, records, store: fixture.store, embedder: fixture.embedder, answerService: fixture.answerService });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, documents: fixture.documents, owner });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const accounts = createAccounts({ records, settings: fixture.config.accounts });
  for (const role of ['agent', 'owner', 'admin'] as const) bearer[role] = (await accounts.addUser({ name: `the-${role}`, role })).token;
  await accounts.addUser({ name: 'someone', role: 'agent' });
});

// Each actor meets a fresh conversation handed over to people, so an allowed call is judged on the same state.
beforeEach(async () => {
  const started = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'How long do refunds take?' } })).json();
  conversationId = started.conversationId;
  conversationToken = started.conversationToken;
  messageId = started.messageId;
  await app.inject({ method: 'POST', url: '/api/handoff', payload: { conversationId }, headers: { 'x-conversation-token': conversationToken } });
});

afterAll(async () => {
  await app?.close();
  await records?.close();
  await fixture?.close();
});

function routes(): Route[] {
  const c = conversationId;
  return [
    { method: 'POST', url: '/api/chat', kind: 'public', body: { question: 'Do you ship to Canada?' } },
    { method: 'POST', url: '/api/session', kind: 'staff', body: (actor: Actor) => (actor in bearer ? { name: `the-${actor}`, token: bearer[actor] } : { name: 'the-agent', token: conversationToken }) },
    { method: 'GET', url: `/api/conversations/${c}`, kind: 'customer' },
    { method: 'GET', url: `/api/conversations/${c}/events`, kind: 'customer', stream: true },
    { method: 'POST', url: `/api/conversations/${c}/typing`, kind: 'customer' },
    { method: 'POST', url: `/api/conversations/${c}/contact`, kind: 'customer', body: { email: 'sam@example.com' } },
    { method: 'POST', url: `/api/conversations/${c}/rating`, kind: 'customer', body: { score: 5 } },
    { method: 'POST', url: '/api/feedback', kind: 'customer', body: { messageId, rating: 'up' } },
    { method: 'POST', url: '/api/handoff', kind: 'customer', body: { conversationId: c } },
    { method: 'GET', url: '/api/session', kind: 'staff' },
    { method: 'DELETE', url: '/api/session', kind: 'staff' },
    { method: 'GET', url: '/api/agent/conversations?status=waiting', kind: 'conversations' },
    { method: 'GET', url: `/api/agent/conversations/${c}`, kind: 'conversations' },
    { method: 'POST', url: `/api/agent/conversations/${c}/messages`, kind: 'conversations', body: { text: 'Hello' } },
    { method: 'POST', url: `/api/agent/conversations/${c}/notes`, kind: 'conversations', body: { text: 'A note' } },
    { method: 'POST', url: `/api/agent/conversations/${c}/assign`, kind: 'conversations', body: {} },
    { method: 'PATCH', url: `/api/agent/conversations/${c}`, kind: 'conversations', body: { priority: 'high', tags: ['refund'] } },
    { method: 'POST', url: `/api/agent/conversations/${c}/typing`, kind: 'conversations' },
    { method: 'POST', url: `/api/agent/conversations/${c}/viewing`, kind: 'conversations', body: { viewing: true } },
    { method: 'POST', url: `/api/agent/conversations/${c}/resolve`, kind: 'conversations' },
    { method: 'POST', url: `/api/agent/conversations/${c}/hand-back`, kind: 'conversations' },
    { method: 'GET', url: '/api/agent/agents', kind: 'conversations' },
    { method: 'GET', url: '/api/agent/passages/no-such-chunk', kind: 'conversations' },
    { method: 'GET', url: '/api/agent/quick-replies', kind: 'conversations' },
    { method: 'POST', url: '/api/agent/quick-replies', kind: 'conversations', body: { shortcut: 'hi', text: 'Hello!' } },
    { method: 'PUT', url: '/api/agent/quick-replies/no-such-reply', kind: 'conversations', body: { shortcut: 'hey', text: 'Hey!' } },
    { method: 'DELETE', url: '/api/agent/quick-replies/no-such-reply', kind: 'conversations' },
    { method: 'GET', url: '/api/agent/events', kind: 'conversations', stream: true },
    { method: 'POST', url: '/api/agent/corrections', kind: 'conversations', body: { messageId: 'no-such-message', answer: 'The right answer.' } },
    { method: 'POST', url: '/api/agent/search', kind: 'conversations', body: { question: 'How long do refunds take?' } },
    // The owner console (owners only). Harmless targets: unknown ids and paths, a release started and ended.
    { method: 'GET', url: '/api/admin/documents', kind: 'knowledge' },
    { method: 'POST', url: '/api/admin/documents?name=notes.exe', kind: 'knowledge', body: { not: 'a file' } },
    { method: 'DELETE', url: '/api/admin/documents?path=no-such-document.md', kind: 'knowledge' },
    { method: 'PUT', url: '/api/admin/documents/visibility', kind: 'knowledge', body: { path: 'shipping.md', visibility: 'customers' } },
    { method: 'GET', url: '/api/admin/gaps', kind: 'knowledge' },
    { method: 'POST', url: '/api/admin/gaps/no-such-gap/answer', kind: 'knowledge', body: { answer: 'An answer.' } },
    { method: 'POST', url: '/api/admin/gaps/no-such-gap/wordings', kind: 'knowledge', body: { file: 'faq.csv', entryId: 'row-1' } },
    { method: 'POST', url: '/api/admin/gaps/no-such-gap/dismiss', kind: 'knowledge' },
    { method: 'GET', url: '/api/admin/faq', kind: 'knowledge' },
    { method: 'GET', url: '/api/admin/answers', kind: 'knowledge' },
    { method: 'DELETE', url: '/api/admin/answers/no-such-answer', kind: 'knowledge' },
    { method: 'POST', url: '/api/admin/checks', kind: 'knowledge', body: { question: 'Q?', answer: 'A.' } },
    { method: 'GET', url: '/api/admin/releases', kind: 'knowledge' },
    { method: 'POST', url: '/api/admin/releases', kind: 'knowledge', body: { share: 10 } },
    { method: 'PATCH', url: '/api/admin/releases/current', kind: 'knowledge', body: { share: 20 } },
    { method: 'POST', url: '/api/admin/releases/current/promote', kind: 'knowledge' },
    { method: 'POST', url: '/api/admin/releases/current/rollback', kind: 'knowledge' },
    { method: 'GET', url: '/api/admin/report?since=7d', kind: 'reports' },
    { method: 'GET', url: '/api/admin/users', kind: 'administration' },
    { method: 'POST', url: '/api/admin/users', kind: 'administration', body: { name: 'new-person', role: 'agent' } },
    { method: 'POST', url: '/api/admin/users/someone/reset', kind: 'administration' },
    { method: 'POST', url: '/api/admin/users/someone/disable', kind: 'administration' },
    { method: 'POST', url: '/api/admin/users/someone/enable', kind: 'administration' },
    { method: 'GET', url: '/api/admin/settings', kind: 'administration' },
    { method: 'GET', url: '/api/admin/webhooks', kind: 'administration' },
    { method: 'POST', url: '/api/admin/webhooks/deliveries/no-such-delivery/retry', kind: 'administration' },
    // Channels (owners and admins); unknown names answer 404 to those let in.
    { method: 'GET', url: '/api/admin/channels', kind: 'channels' },
    { method: 'POST', url: '/api/admin/channels', kind: 'channels', body: { name: 'matrix-app', kind: 'app' } },
    { method: 'PATCH', url: '/api/admin/channels/no-such-channel', kind: 'channels', body: { disabled: true } },
    { method: 'POST', url: '/api/admin/channels/no-such-channel/reset', kind: 'channels' },
    { method: 'GET', url: '/api/admin/channels/no-such-channel/deliveries', kind: 'channels' },
  ];
}

function headersOf(actor: Actor, route: Route): Record<string, string> {
  const headers: Record<string, string> = {};
  if (route.body !== undefined) headers['content-type'] = 'application/json';
  if (route.stream) headers.accept = 'text/event-stream';
  if (actor === 'customer') headers['x-conversation-token'] = conversationToken;
  else if (actor !== 'anonymous') headers.authorization = `Bearer ${bearer[actor] ?? ''}`;
  return headers;
}

async function call(actor: Actor, route: Route): Promise<{ status: number; code?: string }> {
  const controller = new AbortController();
  const response = await fetch(`${base}${route.url}`, {
    method: route.method,
    headers: headersOf(actor, route),
    signal: controller.signal,
    ...(route.body !== undefined ? { body: JSON.stringify(typeof route.body === 'function' ? (route.body as (who: Actor) => unknown)(actor) : route.body) } : {}),
  });
  // A live stream that was let in stays open: its headers are the answer.
  if (route.stream && response.ok) {
    controller.abort();
    return { status: response.status };
  }
  const text = await response.text();
  const code = text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined;
  return { status: response.status, ...(code ? { code } : {}) };
}

describe('permission matrix', () => {
  it('lists every staff and customer route the OpenAPI document has', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .filter(([url]) => /^\/api\/(agent|admin|session|conversations|feedback|handoff|chat)/.test(url))
      .flatMap(([url, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${url}`))
      .sort();
    const template = (url: string) =>
      url
        .split('?')[0]
        ?.replace(conversationId, '{id}')
        .replace(/\/(no-such-chunk)$/, '/{chunkId}')
        .replace(/\/(no-such-reply|no-such-delivery|no-such-gap|no-such-answer)(\/|$)/, '/{id}$2')
        .replace(/\/users\/someone\//, '/users/{name}/')
        .replace(/\/channels\/no-such-channel/, '/channels/{name}') ?? url;
    const covered = [...new Set(routes().map((route) => `${route.method} ${template(route.url)}`))].sort();
    expect(covered).toEqual(documented);
  });

  it.each(ACTORS)('answers the %s exactly as the matrix says, on every route', async (actor) => {
    for (const route of routes()) {
      const { status, code } = await call(actor, route);
      const allowed = ALLOWED[route.kind]?.includes(actor) ?? false;
      const line = `${route.method} ${route.url} as ${actor}: ${status} ${code ?? ''}`;
      if (allowed) {
        expect(status, line).not.toBe(401);
        expect(status, line).not.toBe(403);
        expect(status, line).toBeLessThan(500);
      } else {
        expect(status, line).toBe(refusal(route.kind, actor));
        expect(code, line).toMatch(/^(AUTH_REQUIRED|AUTH_INVALID|AUTH_FORBIDDEN|CONVERSATION_TOKEN_REQUIRED|CONVERSATION_TOKEN_INVALID)$/);
      }
    }
  });

  it('refuses another conversation\'s token with 403, and a staff token on a customer route with 401', async () => {
    const other = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'How do I reset my password?' } })).json();
    const response = await fetch(`${base}/api/conversations/${conversationId}`, { headers: { 'x-conversation-token': other.conversationToken } });
    expect(response.status).toBe(403);
    expect((await fetch(`${base}/api/conversations/${conversationId}`, { headers: { authorization: `Bearer ${bearer.agent}` } })).status).toBe(401);
  });
});
