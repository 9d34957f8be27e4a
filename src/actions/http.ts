/**
 * The one HTTP call of an action: the URL, headers and body built from templates (each value encoded for where it
 * lands), a deadline over the whole exchange (headers and body), the body read as a stream and given up past the
 * size limit, redirects refused (a secret header must not follow one to another host), and only JSON accepted.
 * Every failure is a short reason for the ticket and the log: never the URL (its query may hold a secret), never
 * a header, never the body.
 *
 * @example
 *   const outcome = await callAction({ request, slots: { order: 'KF12345678' }, secret, maxResponseBytes: 1 << 20 });
 *   if (outcome.ok) console.log(outcome.json); else console.log(outcome.failure); // 'HTTP 500'
 */
import { renderBody, renderHeader, renderUrl } from './template.ts';
import type { ActionRequest } from './types.ts';

export type ActionCallOutcome =
  | { ok: true; status: number; json: unknown; milliseconds: number }
  /** `notFound`: the system answered 404 (no such order); `failure`: a short reason, free of secrets. */
  | { ok: false; status?: number; notFound?: boolean; failure: string; milliseconds: number };

export interface CallActionOptions {
  request: ActionRequest;
  slots: Readonly<Record<string, string>>;
  secret: (name: string) => string | undefined;
  maxResponseBytes: number;
  /** Stops the call when the customer went away. */
  signal?: AbortSignal;
}

/** Reads at most `limit` bytes of a body; undefined when it is longer (the rest is not read). */
async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer | undefined> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) return undefined;
      parts.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(parts);
}

/**
 * Makes the action's request. Never throws: every failure is an outcome with a reason.
 *
 * @example
 *   await callAction({ request, slots, secret: config.actions.secret, maxResponseBytes: config.actions.maxResponseBytes });
 */
export async function callAction(options: CallActionOptions): Promise<ActionCallOutcome> {
  const { request, slots, secret, maxResponseBytes } = options;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  const headers = new Headers({ accept: 'application/json' });
  let body: string | undefined;
  try {
    url = renderUrl({ template: request.url, slots, secret });
    for (const header of request.headers) headers.set(header.name, renderHeader({ template: header.value, slots, secret }));
    if (request.body !== undefined) {
      body = JSON.stringify(renderBody({ template: request.body, slots, secret }));
      headers.set('content-type', 'application/json');
    }
  } catch {
    return { ok: false, failure: 'the request could not be built from the slots', milliseconds: elapsed() };
  }
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  try {
    const response = await fetch(url, { method: request.method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual', signal });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, status: 404, notFound: true, failure: 'HTTP 404', milliseconds: elapsed() };
    }
    if (response.status >= 300 || response.status < 200) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, status: response.status, failure: response.status < 400 && response.status >= 300 ? `HTTP ${response.status} (a redirect; kefu does not follow them)` : `HTTP ${response.status}`, milliseconds: elapsed() };
    }
    const type = response.headers.get('content-type') ?? '';
    if (!/\bjson\b/i.test(type)) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, status: response.status, failure: `not JSON (content-type ${type.split(';')[0] || 'none'})`, milliseconds: elapsed() };
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxResponseBytes) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, status: response.status, failure: `the response is larger than ${maxResponseBytes} bytes`, milliseconds: elapsed() };
    }
    const bytes = await readCapped(response.body, maxResponseBytes);
    if (!bytes) return { ok: false, status: response.status, failure: `the response is larger than ${maxResponseBytes} bytes`, milliseconds: elapsed() };
    try {
      return { ok: true, status: response.status, json: JSON.parse(bytes.toString('utf8')) as unknown, milliseconds: elapsed() };
    } catch {
      return { ok: false, status: response.status, failure: 'the response is not valid JSON', milliseconds: elapsed() };
    }
  } catch (error) {
    if (deadline.aborted) return { ok: false, failure: `no answer within ${request.timeoutMs} ms`, milliseconds: elapsed() };
    if (options.signal?.aborted) return { ok: false, failure: 'stopped: the customer left', milliseconds: elapsed() };
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    return { ok: false, failure: `the connection failed${typeof code === 'string' ? ` (${code})` : ''}`, milliseconds: elapsed() };
  }
}
