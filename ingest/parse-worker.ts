/**
 * The parser thread (started by document-parser.ts with a heap limit): reads one file at a time with `openFile`
 * and posts back the document, or an FAQ sheet's rows in batches. A parser that runs out of memory or hangs kills
 * only this thread; the process that started it records the file as failed and starts a fresh thread.
 *
 * FAQ batches are sent ahead of the reader by at most `FAQ_WINDOW`: the next batch is parsed while the last one
 * is embedded, and a slow reader never makes this thread pile up rows in memory.
 */
import { parentPort } from 'node:worker_threads';
import { isKefuError } from '../src/errors/index.ts';
import type { FromParser, SerializedError, ToParser } from './document-parser.ts';
import { openFile } from './loaders/index.ts';

/** FAQ batches posted and not yet taken by the reader. */
const FAQ_WINDOW = 2;

const port = parentPort;
if (!port) throw new Error('parse-worker.ts runs as a worker thread (see document-parser.ts)');

function post(message: FromParser): void {
  port?.postMessage(message);
}

function serialize(error: unknown): SerializedError {
  if (isKefuError(error)) {
    const cause = error.cause instanceof Error ? error.cause : undefined;
    return { code: error.code, detail: error.detail, hint: error.hint, message: error.message, ...(cause ? { causeMessage: cause.message, causeStack: cause.stack } : {}) };
  }
  const plain = error instanceof Error ? error : new Error(String(error));
  return { message: plain.message, ...(plain.stack ? { causeStack: plain.stack } : {}) };
}

interface Credit {
  available: number;
  wake?: () => void;
}
const credits = new Map<number, Credit>();

async function handle(request: Extract<ToParser, { type: 'parse' }>): Promise<void> {
  const { id } = request;
  try {
    const opened = await openFile({ path: request.path, bytes: Buffer.from(request.bytes), maxFileBytes: request.maxFileBytes, limits: request.limits, faqBatchRows: request.faqBatchRows });
    if (opened.kind === 'document') {
      post({ type: 'document', id, document: opened.document });
      return;
    }
    const credit: Credit = { available: FAQ_WINDOW };
    credits.set(id, credit);
    for (;;) {
      while (credit.available <= 0) await new Promise<void>((resolve) => (credit.wake = resolve));
      credit.available--;
      const step = await opened.stream.next();
      if (step.done) {
        post({ type: 'faq-end', id, end: step.value });
        return;
      }
      post({ type: 'faq-batch', id, batch: step.value });
    }
  } catch (error) {
    post({ type: 'failed', id, error: serialize(error) });
  } finally {
    credits.delete(id);
  }
}

post({ type: 'ready', id: 0 });

port.on('message', (message: ToParser) => {
  if (message.type === 'more') {
    const credit = credits.get(message.id);
    if (!credit) return;
    credit.available++;
    const wake = credit.wake;
    credit.wake = undefined;
    wake?.();
    return;
  }
  void handle(message);
});
