import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KefuError } from '../errors/index.ts';
import { acquireWriterLock, type LockHolder } from './writer-lock.ts';

const moduleUrl = pathToFileURL(path.join(import.meta.dirname, 'writer-lock.ts')).href;

/** Another process that takes the lock, says so on stdout, and holds it until killed. */
async function holdInAnotherProcess(lockPath: string): Promise<ChildProcess> {
  const script = `
    const { acquireWriterLock } = await import(${JSON.stringify(moduleUrl)});
    await acquireWriterLock({ path: ${JSON.stringify(lockPath)}, holder: { owner: 'kefu serve', activity: 'indexing /srv/inbox' }, timeoutMs: 0 });
    console.log('locked');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (data: Buffer) => { if (data.toString().includes('locked')) resolve(); });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

describe('the index writer lock', () => {
  let directory: string;
  let lockPath: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-lock-'));
    lockPath = path.join(directory, 'index.lock');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
  });

  it('makes a second writer wait, names who holds it, and is free the moment the holder is killed with SIGKILL', async () => {
    const holder = await holdInAnotherProcess(lockPath);
    children.push(holder);
    const seen: Array<LockHolder | undefined> = [];
    const waiting = acquireWriterLock({ path: lockPath, holder: { owner: 'kefu ingest', activity: 'indexing /srv/inbox' }, timeoutMs: 20_000, pollMs: 50, onWait: (current) => seen.push(current) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ pid: holder.pid, owner: 'kefu serve', activity: 'indexing /srv/inbox' });

    holder.kill('SIGKILL'); // no cleanup code runs: the kernel drops the lock
    const lock = await waiting;
    expect(existsSync(`${lockPath}.json`)).toBe(true);
    lock.release();
    expect(existsSync(`${lockPath}.json`)).toBe(false);
  });

  it('gives up after the timeout with INDEX_LOCKED naming the holder', async () => {
    children.push(await holdInAnotherProcess(lockPath));
    const error = await acquireWriterLock({ path: lockPath, holder: { owner: 'kefu ingest', activity: 'x' }, timeoutMs: 200, pollMs: 50 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KefuError);
    expect((error as KefuError).code).toBe('INDEX_LOCKED');
    expect((error as KefuError).message).toMatch(/kefu serve \(pid \d+\), which is indexing \/srv\/inbox/);
  });

  it('serialises two writers in one process, and a waiting writer stops when its signal aborts', async () => {
    const first = await acquireWriterLock({ path: lockPath, holder: { owner: 'kefu serve', activity: 'a' }, timeoutMs: 0 });
    const controller = new AbortController();
    const second = acquireWriterLock({ path: lockPath, holder: { owner: 'kefu serve', activity: 'b' }, timeoutMs: Infinity, pollMs: 20, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('closing')), 100);
    await expect(second).rejects.toThrow('closing');
    first.release();
    const third = await acquireWriterLock({ path: lockPath, holder: { owner: 'kefu serve', activity: 'c' }, timeoutMs: 1000 });
    third.release();
  });
});
