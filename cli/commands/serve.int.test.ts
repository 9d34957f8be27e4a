/**
 * `kefu serve` as users run it, in a real process: it listens before the ingest folder is indexed, reports the
 * indexing in /api/health, answers meanwhile, survives zip bombs in the folder (at start and dropped later) with
 * bounded memory, and logs LLM fallbacks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocxBomb, makeXlsx } from '../../test/support/zip.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..', '..');
const MB = 1024 * 1024;

interface Health {
  ready: boolean;
  indexing?: { state: string; filesDone: number; filesTotal: number; lastSuccessAt?: string; lastError?: string };
}

/** A port nothing listens on: the LLM endpoint that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 9;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('kefu serve', () => {
  let directory: string;
  let inbox: string;
  let server: ChildProcess;
  let output = '';
  let base = '';
  let listenedAt = 0;
  let serverEnv: Record<string, string | undefined> = {};

  const health = async (): Promise<Health> => (await fetch(`${base}/api/health`)).json() as Promise<Health>;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-serve-'));
    inbox = path.join(directory, 'inbox');
    await mkdir(inbox);
    // A large-ish folder (the page and health used to be down until all of it was indexed) and two zip bombs.
    await writeFile(path.join(inbox, 'returns.md'), '# Returns\n\nYou have 30 days from delivery to return an item for a full refund.');
    await Promise.all(Array.from({ length: 400 }, (_, index) => writeFile(path.join(inbox, `note-${index}.md`), `# Note ${index}\n\nLocker ${index} keeps parcels for ${index % 9 + 2} days.`)));
    await writeFile(path.join(inbox, 'bomb.docx'), makeDocxBomb({ xmlBytes: 100 * MB }));
    await writeFile(path.join(inbox, 'bomb.xlsx'), makeXlsx({ xmlBytes: 100 * MB }));
    const env = {
      ...process.env,
      KEFU_DATA_DIR: path.join(directory, 'data'),
      KEFU_INBOX: inbox,
      KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled'),
      KEFU_WATCH_DEBOUNCE_MS: '300',
      KEFU_LLM_PROVIDER: 'openai',
      KEFU_LLM_BASE_URL: `http://127.0.0.1:${await closedPort()}/v1`,
      KEFU_LLM_MODEL: 'down',
      KEFU_LLM_TIMEOUT_MS: '2000',
    };
    serverEnv = env;
    server = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'serve', '--port', '0'], { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (data: Buffer) => (output += data.toString()));
    server.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    base = await waitFor(async () => /kefu chat is ready: (http:\/\/[^/\s]+)\//.exec(output)?.[1], 'kefu serve to listen', 120_000);
    listenedAt = Date.now();
  });
  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('listens before the folder is indexed, reports "indexing n of m", and answers meanwhile', async () => {
    // `kefu ingest` on the folder this server watches, started while the server indexes it.
    const ingest = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'ingest', '--json'], { cwd: repositoryRoot, env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
      child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    // Not ready until the first sync is done (a load balancer or an evaluation waits), but it answers meanwhile.
    const earlyResponse = await fetch(`${base}/api/health`);
    expect(earlyResponse.status).toBe(503);
    const early = (await earlyResponse.json()) as Health;
    expect(early.ready).toBe(false);
    expect(['starting', 'syncing']).toContain(early.indexing?.state);
    expect(early.indexing?.lastSuccessAt).toBeUndefined();
    const chat = await fetch(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'How long does locker 7 keep parcels?' }) });
    expect(chat.status).toBe(200);

    const progress = await waitFor(async () => {
      const current = await health();
      return current.indexing?.state === 'syncing' && current.indexing.filesTotal > 0 ? current.indexing : undefined;
    }, 'indexing progress');
    expect(progress.filesTotal).toBe(403);
    expect(progress.filesDone).toBeLessThanOrEqual(403);

    const done = await waitFor(async () => {
      const current = await health();
      return current.indexing?.state === 'idle' ? current.indexing : undefined;
    }, 'the first sync');
    expect(done.lastSuccessAt).toBeDefined();
    await waitFor(async () => ((await health()).ready ? true : undefined), 'readiness after the first sync');
    expect(Date.now() - listenedAt).toBeGreaterThan(0);

    // The ingest waited for the server's sync (one writer at a time) and then embedded nothing a second time.
    const result = await ingest;
    expect(result.stderr).toMatch(/Waiting for kefu serve \(pid \d+\), which is indexing .*inbox/);
    const summary = JSON.parse(result.stdout) as { chunksEmbedded: number; failed: Array<{ path: string }>; skipped: string[] };
    expect(summary.chunksEmbedded).toBe(0);
    expect(summary.skipped).toHaveLength(401);
    expect(summary.failed.map((failed) => failed.path).sort()).toEqual(['bomb.docx', 'bomb.xlsx']);
    expect(result.code).toBe(1); // the bombs failed
  });

  it('records the zip bombs as failed and stays up; a bomb dropped later fails the same way', async () => {
    expect(output).toMatch(/failed {2}bomb\.docx: INGEST_LIMIT/);
    expect(output).toMatch(/failed {2}bomb\.xlsx: INGEST_LIMIT/);
    await writeFile(path.join(inbox, 'later-bomb.docx'), makeDocxBomb({ xmlBytes: 100 * MB }));
    await waitFor(async () => (/failed {2}later-bomb\.docx: INGEST_LIMIT/.test(output) ? true : undefined), 'the later bomb to be recorded');
    expect(server.exitCode).toBeNull();
    expect((await health()).ready).toBe(true);
    // Bounded: a model, an index and a parser thread; the 100 MB bombs never expanded (they took 5 GB before).
    expect(await peakRssMb(server.pid ?? 0)).toBeLessThan(1200);
  });

  it('logs that it fell back to an extractive answer when the LLM is down', async () => {
    const response = await fetch(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'How long do I have to return an item for a refund?' }) });
    // An extractive answer exists, so the LLM is asked to write it, fails, and the extractive one is given.
    const body = (await response.json()) as { outcome: string; answer: string };
    expect(body.outcome).toBe('answered');
    expect(body.answer.length).toBeGreaterThan(0);
    await waitFor(async () => (/LLM failed; falling back to the extractive answer/.test(output) ? true : undefined), 'the fallback to be logged', 30_000);
  });

  it('stops on SIGTERM', async () => {
    server.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => server.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
    expect(output).toMatch(/stopped/);
  });
});
