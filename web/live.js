// Live updates over Server-Sent Events, read with fetch (EventSource cannot send the X-Conversation-Token header).
// Reconnects by itself with back-off and sends Last-Event-ID, so the server replays whatever was missed; a stream
// on which nothing arrives (not even the server's heartbeat) for too long is treated as dead and reopened.
// Shared by the chat (web/chat.js) and the agent workspace (web/agent/agent.js). No dependencies.

/**
 * Opens a live stream. `headers()` is called for each connection (tokens may change); `onEvent(name, data, id)`
 * gets each event; `onStatus(status)` hears 'open', 'reconnecting', and 'denied' (401/403/404: it stops).
 * Returns { close(), lastEventId() }.
 */
export function openLiveStream({ url, headers = () => ({}), lastEventId = null, heartbeatMs = 15000, onEvent, onStatus = () => {} }) {
  let stopped = false;
  let lastId = lastEventId;
  let controller = null;
  let attempt = 0;
  const silenceMs = heartbeatMs * 2.5 + 5000;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function readFrames(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let watchdog = setTimeout(() => controller.abort(), silenceMs);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), silenceMs);
        buffer += decoder.decode(value, { stream: true });
        let boundary;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          let name = 'message';
          let data = '';
          let id = null;
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('id: ')) id = line.slice(4);
          }
          if (id !== null) lastId = id;
          if (!data) continue;
          let parsed;
          try {
            parsed = JSON.parse(data);
          } catch {
            continue;
          }
          try {
            onEvent(name, parsed, id);
          } catch (error) {
            console.error(error);
          }
        }
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  (async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const requestHeaders = { accept: 'text/event-stream', ...headers() };
        if (lastId !== null && lastId !== undefined) requestHeaders['last-event-id'] = String(lastId);
        const response = await fetch(url, { headers: requestHeaders, signal: controller.signal, cache: 'no-store', credentials: 'same-origin' });
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          onStatus('denied', response.status);
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        attempt = 0;
        onStatus('open');
        await readFrames(response);
      } catch {
        // Dropped, timed out or refused: try again below.
      }
      if (stopped) return;
      onStatus('reconnecting');
      attempt += 1;
      await sleep(Math.min(1000 * 2 ** Math.min(attempt, 4), 15000) * (0.8 + Math.random() * 0.4));
    }
  })();

  return {
    close() {
      stopped = true;
      controller?.abort();
    },
    lastEventId: () => lastId,
  };
}
