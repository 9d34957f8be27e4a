/**
 * Raw HTTP over a TCP socket, for what fetch and app.inject cannot send: malformed framing, garbage
 * methods, oversized headers, bodies that trickle in. Always bounded in time; loopback only.
 */
import net from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without an HTTP response. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, as text. */
  raw: string;
}

/** Parses the first HTTP response in `raw` (enough for our small, non-chunked error bodies). */
export function parseRawResponse(raw: string): RawResponse {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(raw);
  if (!match) return { status: 0, headers: {}, body: '', raw };
  const headers: Record<string, string> = {};
  for (const line of (match[2] ?? '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = match[3] ?? '';
  if (headers['transfer-encoding'] === 'chunked') {
    let decoded = '';
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = Number.parseInt(rest.slice(0, lineEnd), 16);
      if (!size) break;
      decoded += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = decoded;
  } else if (headers['content-length']) {
    body = body.slice(0, Number(headers['content-length']));
  }
  return { status: Number(match[1]), headers, body, raw };
}

/**
 * Sends `request` (a string or bytes, sent as given) and collects the reply until the server closes the
 * connection, a full response with Content-Length arrived, or `timeoutMs` passed.
 */
export function rawRequest(options: { port: number; request: string | Buffer; timeoutMs?: number }): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: options.port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRawResponse(Buffer.concat(chunks).toString('utf8')));
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 5000);
    socket.on('connect', () => socket.write(options.request));
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      const parsed = parseRawResponse(Buffer.concat(chunks).toString('utf8'));
      const length = Number(parsed.headers['content-length'] ?? Number.NaN);
      if (parsed.status && Number.isFinite(length) && Buffer.byteLength(parsed.body) >= length) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}
