/**
 * A stand-in LLM server for tests: the one fake this project allows, because no real language model
 * can run on its machines. It speaks just enough of two real wire protocols for LangChain's clients:
 * OpenAI chat completions (`POST /v1/chat/completions`, JSON or `stream: true` SSE) and Ollama
 * (`POST /api/chat`, NDJSON stream or JSON). Each request is recorded (path, headers, parsed body)
 * and answered with whatever `reply` decides.
 *
 * @example
 *   const llm = await startStandInLlm({ reply: () => ({ text: 'Refunds take 14 days [1].' }) });
 *   // KEFU_LLM_BASE_URL = llm.openaiBaseUrl (…/v1) or llm.origin (Ollama)
 *   await llm.close();
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: StandInRequestBody;
}

export interface StandInRequestBody {
  model?: string;
  stream?: boolean;
  messages?: Array<{ role: string; content: string }>;
  [key: string]: unknown;
}

export interface StandInReply {
  /** The reply text; streamed in small pieces (`pieceLength` characters) when the client asks for a stream. */
  text?: string;
  pieceLength?: number;
  /** Wait this long before sending anything (a slow or hung model). */
  delayMs?: number;
  /** Wait this long between streamed pieces. */
  pieceDelayMs?: number;
  /** Reply with this HTTP status and an error body instead. */
  status?: number;
}

export interface StandInLlm {
  /** `http://127.0.0.1:<port>`: the Ollama base URL. */
  origin: string;
  /** `http://127.0.0.1:<port>/v1`: the OpenAI-compatible base URL. */
  openaiBaseUrl: string;
  requests: RecordedRequest[];
  /** How many requests the client closed before the reply was complete (aborts, timeouts). */
  closedEarly(): number;
  close(): Promise<void>;
}

function pieces(text: string, length: number): string[] {
  const characters = Array.from(text);
  const result: string[] = [];
  for (let index = 0; index < characters.length; index += length) result.push(characters.slice(index, index + length).join(''));
  return result;
}

export async function startStandInLlm(options: { reply: (request: RecordedRequest) => StandInReply }): Promise<StandInLlm> {
  const requests: RecordedRequest[] = [];
  let closedEarly = 0;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body: StandInRequestBody = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StandInRequestBody;
      } catch {
        // not JSON: recorded as empty
      }
      const recorded: RecordedRequest = { path: request.url ?? '', headers: request.headers, body };
      requests.push(recorded);
      response.on('close', () => {
        if (!response.writableFinished) closedEarly++;
      });
      void respond(recorded, options.reply(recorded), response);
    });
  });

  async function respond(request: RecordedRequest, reply: StandInReply, response: ServerResponse): Promise<void> {
    if (reply.delayMs) await delay(reply.delayMs);
    if (response.destroyed) return;
    const model = request.body.model ?? 'stand-in';
    const text = reply.text ?? '';
    const ollama = request.path.startsWith('/api/chat');
    const openai = request.path.endsWith('/chat/completions');
    if (!ollama && !openai) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${request.path}` }));
      return;
    }
    if (reply.status && reply.status >= 400) {
      const error = ollama ? { error: 'stand-in failure' } : { error: { message: 'stand-in failure', type: 'server_error', code: null } };
      response.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(error));
      return;
    }
    // Ollama streams unless told not to; OpenAI only when asked.
    const streaming = ollama ? request.body.stream !== false : request.body.stream === true;
    const created = Math.floor(Date.now() / 1000);
    if (!streaming) {
      const json = ollama
        ? { model, created_at: new Date().toISOString(), message: { role: 'assistant', content: text }, done: true, done_reason: 'stop' }
        : {
            id: 'chatcmpl-stand-in',
            object: 'chat.completion',
            created,
            model,
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null }],
            usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
          };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      return;
    }
    response.writeHead(200, { 'content-type': ollama ? 'application/x-ndjson' : 'text/event-stream', 'cache-control': 'no-cache' });
    const write = (piece: string, done: boolean): string =>
      ollama
        ? `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: piece }, done, ...(done ? { done_reason: 'stop', eval_count: 10, prompt_eval_count: 10 } : {}) })}\n`
        : `data: ${JSON.stringify({ id: 'chatcmpl-stand-in', object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: done ? {} : { role: 'assistant', content: piece }, finish_reason: done ? 'stop' : null, logprobs: null }] })}\n\n`;
    for (const piece of pieces(text, reply.pieceLength ?? 3)) {
      if (response.destroyed) return;
      response.write(write(piece, false));
      if (reply.pieceDelayMs) await delay(reply.pieceDelayMs);
    }
    if (response.destroyed) return;
    response.write(write('', true));
    if (!ollama) response.write('data: [DONE]\n\n');
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    openaiBaseUrl: `${origin}/v1`,
    requests,
    closedEarly: () => closedEarly,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released), for "endpoint unreachable" tests. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
