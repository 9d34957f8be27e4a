/**
 * A Server-Sent Events client for tests, over fetch (so it can send headers such as X-Conversation-Token and
 * Last-Event-ID, as the web chat does). Collects every event and waits for the one a test expects.
 */
export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
  /** performance.now() when the event arrived. */
  at: number;
}

export interface SseStream {
  events: SseEvent[];
  /** Resolves with the first event (already received or to come) matching `match`. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** The last id received (for Last-Event-ID). */
  lastId(): string | undefined;
  close(): void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`SSE ${url}: HTTP ${response.status} ${await response.text()}`);
  const events: SseEvent[] = [];
  const waiters: Array<{ match: (event: SseEvent) => boolean; resolve: (event: SseEvent) => void }> = [];
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          let name = 'message';
          let data = '';
          let id: string | undefined;
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('id: ')) id = line.slice(4);
          }
          if (!data) continue;
          const event: SseEvent = { event: name, data: JSON.parse(data) as Record<string, unknown>, at: performance.now(), ...(id ? { id } : {}) };
          events.push(event);
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(event);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    ended,
    next(match, timeoutMs = 20_000) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching SSE event within ${timeoutMs} ms; got ${JSON.stringify(events.map((event) => [event.event, JSON.stringify(event.data).slice(0, 120)]))}`)), timeoutMs);
        waiters.push({ match, resolve: (event) => (clearTimeout(timer), resolve(event)) });
      });
    },
    lastId: () => events.filter((event) => event.id !== undefined).at(-1)?.id,
    close: () => controller.abort(),
  };
}
