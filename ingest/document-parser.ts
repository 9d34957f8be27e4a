/**
 * Parsing in isolation. Every file is parsed in a worker thread (parse-worker.ts) with a heap limit
 * (KEFU_PARSER_MEMORY_MB) and a progress timeout (KEFU_PARSER_TIMEOUT_S): pdf.js on a pathological PDF, an XML
 * bomb in a Word file or a parser that loops forever kills that thread, and the file is recorded as failed
 * (INGEST_LIMIT) while the sync, the server and the process go on. One thread is kept and reused across files
 * (starting one costs ~0.3 s) and stopped after a minute idle; a fresh one replaces a thread that died.
 *
 * Files are parsed one at a time, in the order asked. An FAQ sheet comes back as a stream of row batches that the
 * thread parses at most two batches ahead of the reader.
 *
 * @example
 *   const parser = createDocumentParser({ config });
 *   const result = await parser.parse({ path: '/srv/inbox/returns.pdf', bytes });
 *   if (result.kind === 'document') console.log(result.document.sections.length);
 *   await parser.close();
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../src/config/index.ts';
import { KefuError, errorCatalogue, type ErrorCode } from '../src/errors/index.ts';
import type { FaqBatch, FaqStream, FaqStreamEnd } from './loaders/faq.ts';
import type { LoadLimits } from './loaders/index.ts';
import { loaderError } from './loaders/shared.ts';
import type { ParsedDocument } from './types.ts';

/** An error crossing from the thread: a KefuError's code and texts, or a plain error's message and stack. */
export interface SerializedError {
  code?: ErrorCode;
  detail?: string | undefined;
  hint?: string;
  message: string;
  causeMessage?: string;
  causeStack?: string | undefined;
}

/** Messages to the thread. */
export type ToParser =
  | { type: 'parse'; id: number; path: string; bytes: ArrayBuffer; maxFileBytes: number; limits: LoadLimits; faqBatchRows: number }
  | { type: 'more'; id: number };

/** Messages from the thread. */
export type FromParser =
  | { type: 'ready'; id: 0 }
  | { type: 'document'; id: number; document: ParsedDocument }
  | { type: 'faq-batch'; id: number; batch: FaqBatch }
  | { type: 'faq-end'; id: number; end: FaqStreamEnd }
  | { type: 'failed'; id: number; error: SerializedError };

export type ParseResult = { kind: 'document'; document: ParsedDocument } | { kind: 'faq'; stream: FaqStream };

export interface DocumentParser {
  /**
   * Parses one file in the parser thread. Calls are served one at a time: a second waits until the first is done,
   * its FAQ stream included. Rejects with a KefuError (INGEST_*).
   */
  parse(options: { path: string; bytes: Buffer }): Promise<ParseResult>;
  /** Stops the thread (a stream being read fails). */
  close(): Promise<void>;
}

export interface DocumentParserOptions {
  config: Config;
  /** FAQ rows per batch. */
  faqBatchRows?: number;
  /** Stop an idle thread after this long (it holds the memory of the last file until then). */
  idleMs?: number;
}

function revive(error: SerializedError): Error {
  const cause = error.causeStack || error.causeMessage ? Object.assign(new Error(error.causeMessage ?? error.message), { stack: error.causeStack }) : undefined;
  if (error.code && error.code in errorCatalogue) {
    return new KefuError(error.code, { ...(error.detail === undefined ? {} : { detail: error.detail }), ...(error.hint ? { hint: error.hint } : {}), ...(cause ? { cause } : {}) });
  }
  return Object.assign(new Error(error.message), { stack: error.causeStack });
}

/** V8 young generation of the parser thread (its semi-spaces are resident memory of the process). */
const PARSER_YOUNG_GENERATION_MB = 8;

type Waiter = { resolve: (message: FromParser) => void; reject: (error: Error) => void };

/**
 * Starts (lazily) the parser thread with the configured memory limit and timeout.
 *
 * @example
 *   const parser = createDocumentParser({ config, faqBatchRows: 1000 });
 */
export function createDocumentParser(options: DocumentParserOptions): DocumentParser {
  const { config } = options;
  const limits: LoadLimits = {
    maxUnzippedBytes: config.ingest.maxUnzippedBytes,
    maxZipRatio: config.ingest.maxZipRatio,
    maxTextChars: config.ingest.maxTextChars,
    maxChunks: config.ingest.maxChunksPerFile,
  };
  const faqBatchRows = options.faqBatchRows ?? 1000;
  const idleMs = options.idleMs ?? 60_000;
  const timeoutMs = config.ingest.parserTimeoutMs;

  let worker: Worker | undefined;
  /** Resolves when the thread has loaded its modules (the timeout measures parsing, not start-up). */
  const started = new WeakMap<Worker, Promise<void>>();
  let nextId = 1;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;
  /** Messages that arrived before anyone asked for them, and the one reader waiting, per request. */
  const inbox = new Map<number, FromParser[]>();
  const waiting = new Map<number, Waiter>();
  /** The file being parsed, the thread parsing it, and why that thread died if it did. */
  let current: { id: number; path: string; thread: Worker; death?: Error } | undefined;
  /** Serialises parse calls: resolves when the previous request (stream included) is finished. */
  let turn: Promise<void> = Promise.resolve();

  /** A thread died: the request it was serving fails now, and so does any later read of its stream. */
  function threadDied(thread: Worker, error: unknown): void {
    if (worker === thread) worker = undefined;
    if (!current || current.thread !== thread || current.death) return;
    current.death = deathError(error);
    const waiter = waiting.get(current.id);
    waiting.delete(current.id);
    waiter?.reject(current.death);
  }

  function deathError(error: unknown): Error {
    const path = current?.path ?? 'the file';
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return loaderError('INGEST_LIMIT', path, `parsing it needed more memory than KEFU_PARSER_MEMORY_MB=${config.ingest.parserMemoryMb} allows`, error);
    }
    return loaderError('INGEST_CORRUPT', path, 'the parser stopped on it unexpectedly', error);
  }

  function start(): Worker {
    const thread = new Worker(new URL('./parse-worker.ts', import.meta.url), {
      // The process's flags, except those that only apply to code given on the command line (`node -e`).
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
      // A small young generation: parsing the Northwind PDFs peaked 34 MB lower with 8 MB than with 32 MB, at no
      // measurable cost in parse time (bench/README.md, "Ingest memory").
      resourceLimits: { maxOldGenerationSizeMb: config.ingest.parserMemoryMb, maxYoungGenerationSizeMb: PARSER_YOUNG_GENERATION_MB },
    });
    started.set(thread, new Promise<void>((resolve, reject) => {
      thread.once('message', (message: FromParser) => (message.type === 'ready' ? resolve() : reject(new Error(`unexpected first message ${message.type}`))));
      thread.once('error', reject);
      thread.once('exit', () => reject(new Error('the parser thread exited while starting')));
    }));
    started.get(thread)?.catch(() => {}); // reported by parse() when it waits for it
    thread.on('message', (message: FromParser) => {
      if (message.type === 'ready') return;
      const waiter = waiting.get(message.id);
      if (waiter) {
        waiting.delete(message.id);
        waiter.resolve(message);
      } else {
        inbox.set(message.id, [...(inbox.get(message.id) ?? []), message]);
      }
    });
    thread.on('error', (error) => threadDied(thread, error));
    thread.on('exit', () => threadDied(thread, new Error('the parser thread exited')));
    return thread;
  }

  function ensureWorker(): Worker {
    if (closed) throw new KefuError('INGEST_CORRUPT', { detail: 'the document parser is closed' });
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    worker ??= start();
    worker.ref();
    return worker;
  }

  function becomeIdle(): void {
    current = undefined;
    const idle = worker;
    if (!idle) return;
    idle.unref(); // an idle parser never keeps the process alive
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (worker === idle && !current) {
        worker = undefined;
        void idle.terminate();
      }
    }, idleMs);
    idleTimer.unref();
  }

  /** The next message of a request; a thread silent for `timeoutMs` while we wait is stopped. */
  function receive(id: number): Promise<FromParser> {
    const queued = inbox.get(id);
    if (queued && queued.length > 0) {
      const message = queued.shift() as FromParser;
      if (queued.length === 0) inbox.delete(id);
      return Promise.resolve(message);
    }
    if (current?.id === id && current.death) return Promise.reject(current.death);
    return new Promise<FromParser>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        const stuck = current?.thread;
        if (worker === stuck) worker = undefined;
        const error = loaderError('INGEST_LIMIT', current?.path ?? 'the file', `parsing it made no progress for ${Math.round(timeoutMs / 1000)} s; limit KEFU_PARSER_TIMEOUT_S=${Math.round(timeoutMs / 1000)}`);
        if (current?.id === id) current.death = error;
        reject(error);
        void stuck?.terminate();
      }, timeoutMs);
      waiting.set(id, {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** The main-side view of an FAQ stream: pulls batches, grants the thread one more each time. */
  async function* faqStream(id: number, first: FromParser, done: () => void): FaqStream {
    let finished = false;
    try {
      let message = first;
      for (;;) {
        if (message.type === 'failed') throw revive(message.error);
        if (message.type === 'faq-end') {
          finished = true;
          return message.end;
        }
        if (message.type !== 'faq-batch') throw new KefuError('INGEST_CORRUPT', { detail: `${current?.path ?? 'file'} (unexpected parser message ${message.type})` });
        if (current?.id === id && !current.death) current.thread.postMessage({ type: 'more', id } satisfies ToParser);
        yield message.batch;
        message = await receive(id);
      }
    } finally {
      inbox.delete(id);
      if (!finished && current?.id === id) {
        // Abandoned or failed half-way: the thread may still be parsing it; a fresh thread serves the next file.
        const abandoned = current.thread;
        current.death ??= new KefuError('INGEST_CORRUPT', { detail: `${current.path} (reading stopped)` });
        if (worker === abandoned) worker = undefined;
        void abandoned.terminate();
      }
      done();
    }
  }

  return {
    async parse({ path, bytes }) {
      let release = () => {};
      const previous = turn;
      turn = new Promise<void>((resolve) => (release = resolve));
      await previous;
      let handedOver = false;
      try {
        const thread = ensureWorker();
        try {
          await started.get(thread);
        } catch (error) {
          if (worker === thread) worker = undefined;
          throw new KefuError('INGEST_CORRUPT', { detail: `${path} (the parser thread could not start)`, cause: error });
        }
        const id = nextId++;
        current = { id, path, thread };
        // A copy the thread owns: the caller keeps its buffer (it was hashed) and the copy is moved, not cloned.
        const copy = new Uint8Array(bytes).buffer;
        thread.postMessage({ type: 'parse', id, path, bytes: copy, maxFileBytes: config.ingest.maxFileBytes, limits, faqBatchRows } satisfies ToParser, [copy]);
        const first = await receive(id);
        if (first.type === 'failed') throw revive(first.error);
        if (first.type === 'document') return { kind: 'document', document: first.document };
        handedOver = true;
        return {
          kind: 'faq',
          stream: faqStream(id, first, () => {
            becomeIdle();
            release();
          }),
        };
      } finally {
        if (!handedOver) {
          becomeIdle();
          release();
        }
      }
    },

    async close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      const running = worker;
      worker = undefined;
      await running?.terminate();
    },
  };
}
