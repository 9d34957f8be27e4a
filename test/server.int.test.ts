/**
 * Every route of the chat service through app.inject, over the real answer service and a real small
 * index (test/support/chat-fixture.ts), including the bad inputs from the issue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parses a complete SSE body into events, checking every frame is well formed. */
function parseSse(body: string): SseEvent[] {
  const frames = body.split('\n\n').filter((frame) => frame.trim() !== '');
  return frames.map((frame) => {
    const lines = frame.split('\n');
    const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
    const data = lines.find((line) => line.startsWith('data: '))?.slice(6);
    if (!event || data === undefined) throw new Error(`malformed SSE frame: ${frame}`);
    return { event, data: JSON.parse(data) as Record<string, unknown> };
  });
}

let fixture: ChatFixture;
let recordsDir: string;
let records: RecordsStore;
let app: KefuApp;

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_RATE_LIMIT_PER_MINUTE: '100000' });
  recordsDir = await mkdtemp(path.join(tmpdir(), 'kefu-records-'));
  records = openSqliteRecords({ path: path.join(recordsDir, 'kefu.db') });
  app = await buildApp({
    config: fixture.config,
    answerService: fixture.answerService,
    records,
    logger: false,
    health: () => ({ checks: { model: true, index: true } }),
  });
});

afterAll(async () => {
  await app.close();
  await records.close();
  await fixture.close();
  await rm(recordsDir, { recursive: true, force: true });
});

describe('POST /api/chat', () => {
  it('answers as JSON with citations, stores the exchange and continues a conversation', async () => {
    const first = await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'How long do refunds take?' } });
    expect(first.statusCode).toBe(200);
    const answer = first.json();
    expect(answer.outcome).toBe('answered');
    expect(answer.answer).toMatch(/5 business days/);
    expect(answer.citations[0]).toMatchObject({ n: 1, docPath: 'returns-policy.md', title: 'Returns and refunds' });
    expect(answer.messageId).toEqual(expect.any(String));

    const followUp = await app.inject({
      method: 'POST',
      url: '/api/chat',
      payload: { question: 'How do I reset my password?', conversationId: answer.conversationId },
    });
    expect(followUp.json()).toMatchObject({ outcome: 'faq', conversationId: answer.conversationId });

    const transcript = await app.inject({ method: 'GET', url: `/api/conversations/${answer.conversationId}` });
    expect(transcript.statusCode).toBe(200);
    const messages = transcript.json().messages as Array<{ role: string; text: string; id: string; citations: unknown[] }>;
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages[0]?.text).toBe('How long do refunds take?');
    expect(messages[1]?.id).toBe(answer.messageId);
    expect(messages[1]?.citations).toHaveLength(answer.citations.length);
  });

  it('accepts the evaluation options and caller-supplied history', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/chat',
      payload: {
        question: 'and how long do refunds take?',
        history: [{ role: 'user', text: 'I want to return a jacket' }],
        retrievalMode: 'keyword',
        fusion: 'rrf',
        topK: 3,
        retrieveOnly: true,
      },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.retrieved.length).toBeGreaterThan(0);
    expect(body.retrieved.length).toBeLessThanOrEqual(3);
    expect(body.retrieved[0].docPath).toBe('returns-policy.md');
  });

  it('streams Server-Sent Events: answer-delta pieces, then citations, then answer-end', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/chat',
      headers: { accept: 'text/event-stream' },
      payload: { question: 'How long does express shipping take?' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(response.body);
    const names = events.map((event) => event.event);
    const firstCitations = names.indexOf('citations');
    expect(names[0]).toBe('answer-delta');
    expect(names.slice(0, firstCitations).every((name) => name === 'answer-delta')).toBe(true);
    expect(names.slice(firstCitations)).toEqual(['citations', 'answer-end']);
    const text = events.filter((event) => event.event === 'answer-delta').map((event) => event.data.text).join('');
    expect(text).toMatch(/1 to 2 business days/);
    const citations = events[firstCitations]?.data.citations as Array<{ docPath: string }>;
    expect(citations[0]?.docPath).toBe('shipping.md');
    const end = events.at(-1)?.data ?? {};
    expect(end).toMatchObject({ outcome: 'answered', messageId: expect.any(String), conversationId: expect.any(String), query: expect.any(String) });
    expect(end.suggestions).toEqual(expect.any(Array));

    // The streamed answer was stored once complete: it can be rated.
    const feedback = await app.inject({ method: 'POST', url: '/api/feedback', payload: { messageId: end.messageId, rating: 'up' } });
    expect(feedback.statusCode).toBe(201);
  });

  it('keeps serving when a client disconnects mid-stream, without logging errors', async () => {
    const logLines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(chunk.toString());
        callback();
      },
    });
    const streamingApp = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: { level: 'info', stream: logStream } });
    await streamingApp.listen({ port: 0, host: '127.0.0.1' });
    const { port } = streamingApp.server.address() as AddressInfo;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await new Promise<void>((resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port, path: '/api/chat', method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } },
          (response) => {
            response.once('data', () => {
              request.destroy();
              resolve();
            });
          },
        );
        request.on('error', (error) => (request.destroyed ? resolve() : reject(error)));
        request.end(JSON.stringify({ question: 'What are the international shipping times and customs fees?' }));
      });
    }
    const after = await fetch(`http://127.0.0.1:${port}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'How long do refunds take?' }),
    });
    expect(after.status).toBe(200);
    expect((await after.json()).outcome).toBe('answered');
    await streamingApp.close();
    const errors = logLines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level >= 50);
    expect(errors).toEqual([]);
  });

  it('refuses with a handoff offer when the documents do not answer, in the question language', async () => {
    const english = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'What is the capital of France?' } })).json();
    expect(english.outcome).toBe('refused');
    expect(english.citations).toEqual([]);
    const chinese = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: '法国的首都是哪里？' } })).json();
    expect(chinese.outcome).toBe('refused');
    expect(chinese.answer).toMatch(/[\u4e00-\u9fff]/);
  });

  it.each([
    ['invalid JSON', { payload: '{"question": ', headers: { 'content-type': 'application/json' } }, 400, 'REQUEST_INVALID'],
    ['a missing question', { payload: {} }, 400, 'QUESTION_EMPTY'],
    ['an empty question', { payload: { question: '' } }, 400, 'QUESTION_EMPTY'],
    ['a blank question', { payload: { question: '   \n ' } }, 400, 'QUESTION_EMPTY'],
    ['a question over the length limit', { payload: { question: 'why '.repeat(600) } }, 400, 'QUESTION_TOO_LONG'],
    ['a 1 MB body', { payload: { question: 'x'.repeat(1024 * 1024) } }, 413, 'REQUEST_TOO_LARGE'],
    ['an unknown conversation', { payload: { question: 'Hi', conversationId: 'no-such-conversation' } }, 404, 'CONVERSATION_NOT_FOUND'],
    ['a bad retrieval mode', { payload: { question: 'Hi', retrievalMode: 'magic' } }, 400, 'REQUEST_INVALID'],
    ['a form body', { payload: 'question=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'REQUEST_MEDIA_TYPE'],
  ] as const)('answers %s with a clear JSON error', async (_name, request, status, code) => {
    const response = await app.inject({ method: 'POST', url: '/api/chat', ...request });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    const body = response.json();
    expect(body.error.code).toBe(code);
    expect(body.error.message).toEqual(expect.any(String));
    expect(body.error.hint).toEqual(expect.any(String));
    expect(response.body).not.toMatch(/\/work\/|node_modules|at .*\.ts:\d+/);
  });
});

describe('conversations, feedback and hand-over', () => {
  it('answers 404 for an unknown conversation', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/conversations/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('CONVERSATION_NOT_FOUND');
  });

  it('records feedback with a comment and refuses feedback on a message that does not exist', async () => {
    const answer = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'Do you ship to Mexico?' } })).json();
    const response = await app.inject({ method: 'POST', url: '/api/feedback', payload: { messageId: answer.messageId, rating: 'down', comment: 'too vague' } });
    expect(response.statusCode).toBe(201);
    expect(await records.listFeedback(answer.messageId)).toMatchObject([{ rating: 'down', comment: 'too vague' }]);

    const missing = await app.inject({ method: 'POST', url: '/api/feedback', payload: { messageId: 'not-a-message', rating: 'up' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('MESSAGE_NOT_FOUND');
    const badRating = await app.inject({ method: 'POST', url: '/api/feedback', payload: { messageId: answer.messageId, rating: 'meh' } });
    expect(badRating.statusCode).toBe(400);
  });

  it('opens a ticket with the transcript and tells the customer what happens next', async () => {
    const answer = (await app.inject({ method: 'POST', url: '/api/chat', payload: { question: 'What is the capital of France?' } })).json();
    const response = await app.inject({ method: 'POST', url: '/api/handoff', payload: { conversationId: answer.conversationId, reason: 'no-answer', note: 'please call' } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.ticket.number).toMatch(/^KF-\d{6}$/);
    expect(body.message).toContain(body.ticket.number);
    const [ticket] = await records.listTickets({ status: 'open' });
    expect(ticket).toMatchObject({ number: body.ticket.number, reason: 'no-answer', note: 'please call' });
    expect(ticket?.transcript.map((message) => message.text)).toEqual(['What is the capital of France?', answer.answer]);

    const chinese = await app.inject({ method: 'POST', url: '/api/handoff', payload: { conversationId: answer.conversationId, language: 'zh' } });
    expect(chinese.json().message).toMatch(/工单/);
    const unknown = await app.inject({ method: 'POST', url: '/api/handoff', payload: { conversationId: 'nope' } });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('documents, health, metrics and docs', () => {
  it('serves a cited document as inert text and refuses paths outside the inbox', async () => {
    const document = await app.inject({ method: 'GET', url: '/api/documents/tracking.txt' });
    expect(document.statusCode).toBe(200);
    expect(document.headers['content-type']).toMatch(/^text\/plain/);
    expect(document.headers['content-security-policy']).toMatch(/sandbox/);
    expect(document.body).toContain('<script>');
    const chinese = await app.inject({ method: 'GET', url: `/api/documents/${encodeURIComponent('退款政策.md')}` });
    expect(chinese.statusCode).toBe(200);
    for (const url of ['/api/documents/..%2F..%2Fetc%2Fpasswd', '/api/documents/%2Fetc%2Fpasswd', '/api/documents/missing.pdf', '/api/documents/..%2Fkefu.db']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
    }
  });

  it('reports readiness and Prometheus metrics', async () => {
    const health = await app.inject({ method: 'GET', url: '/api/health' });
    expect(health.json()).toEqual({ live: true, ready: true, checks: { model: true, index: true, records: true } });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/kefu_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/api\/chat",status="200"\}|kefu_http_request_duration_seconds_bucket\{method="POST",route="\/api\/chat",status="200",le="0.005"\}/);
    expect(metrics.body).toMatch(/kefu_answers_total\{outcome="answered"\} \d+/);
    expect(metrics.body).toMatch(/kefu_answers_total\{outcome="refused"\} \d+/);
    expect(metrics.body).toMatch(/kefu_retrieval_duration_seconds_count \d+/);
    expect(metrics.body).toMatch(/kefu_tickets_opened_total\{reason="no-answer"\} 1/);
  });

  it('is not ready while a dependency is not', async () => {
    const notReady = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, health: () => ({ checks: { model: false, index: true } }) });
    const response = await notReady.inject({ method: 'GET', url: '/api/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ live: true, ready: false });
    await notReady.close();
  });

  it('publishes an OpenAPI document from the validation schemas, and interactive docs', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const chat = document.paths['/api/chat'].post;
    expect(chat.requestBody.content['application/json'].schema.properties.question.maxLength).toBe(fixture.config.server.maxQuestionChars);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/conversations/{id}', '/api/feedback', '/api/handoff', '/api/health']));
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });

  it('serves the chat page with security headers, and the embeddable widget cross-origin', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const widget = await app.inject({ method: 'GET', url: '/widget.js' });
    expect(widget.statusCode).toBe(200);
    expect(widget.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const readme = await app.inject({ method: 'GET', url: '/README.md' });
    expect(readme.statusCode).toBe(404);
  });
});

describe('rate limiting', () => {
  it('answers 429 with JSON when one client sends 200 requests a second, and keeps serving health checks', async () => {
    const limited = await buildApp({
      config: { ...fixture.config, server: { ...fixture.config.server, rateLimitPerMinute: 50 } },
      answerService: fixture.answerService,
      records,
      logger: false,
      health: () => ({ checks: { model: true, index: true } }),
    });
    // One after another as fast as inject goes (well over 200 a second); all-in-one-tick bursts would
    // race inside the limiter's in-memory store, which real sockets never do.
    const started = performance.now();
    const responses = [];
    for (let index = 0; index < 200; index += 1) {
      responses.push(await limited.inject({ method: 'GET', url: '/api/conversations/burst', remoteAddress: '10.0.0.7' }));
    }
    expect(performance.now() - started).toBeLessThan(1000);
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 404)).toHaveLength(50);
    expect(statuses.filter((status) => status === 429)).toHaveLength(150);
    const rejected = responses.find((response) => response.statusCode === 429);
    expect(rejected?.json().error.code).toBe('RATE_LIMITED');
    // Other clients are unaffected.
    expect((await limited.inject({ method: 'GET', url: '/api/conversations/x', remoteAddress: '10.0.0.8' })).statusCode).toBe(404);
    expect((await limited.inject({ method: 'GET', url: '/api/health', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
    await limited.close();
  });
});
