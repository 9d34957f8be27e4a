/**
 * `kefu ingest` as users run it: real processes on a real folder. Two at once must not corrupt the index or
 * embed the same files twice.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repositoryRoot = path.resolve(import.meta.dirname, '..', '..');
const kefu = path.join(repositoryRoot, 'bin', 'kefu.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [kefu, ...args], { cwd: repositoryRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kefu ingest, two at once', () => {
  let directory: string;
  let env: Record<string, string>;
  let folder: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'kefu-two-writers-'));
    folder = path.join(directory, 'policies');
    await mkdir(folder);
    for (let index = 0; index < 40; index++) {
      await writeFile(path.join(folder, `policy-${String(index).padStart(2, '0')}.md`), `# Policy ${index}\n\nParcel lockers in district ${index} keep parcels for ${index + 3} days.\n\n## Fees\n\nThe fee in district ${index} is ${index + 1} dollars.`);
    }
    env = { KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_MODEL_CACHE_DIR: '', KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') };
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('one waits for the other (saying for whom), both succeed, nothing is duplicated or embedded twice', async () => {
    const [first, second] = await Promise.all([run(['ingest', folder, '--json'], env), run(['ingest', folder, '--json'], env)]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const waited = [first, second].filter((result) => /Waiting for kefu ingest \(pid \d+\), which is indexing .*policies/.test(result.stderr));
    expect(waited).toHaveLength(1);
    const summaries = [first, second].map((result) => JSON.parse(result.stdout) as { indexed: unknown[]; skipped: unknown[]; chunksEmbedded: number });
    const embedded = summaries.map((summary) => summary.chunksEmbedded).sort((a, b) => a - b);
    expect(embedded[0]).toBe(0);
    expect(embedded[1]).toBeGreaterThanOrEqual(40);
    expect(summaries.map((summary) => summary.indexed.length).sort((a, b) => a - b)).toEqual([0, 40]);

    const database = await lancedb.connect(path.join(directory, 'data', 'index'));
    try {
      const documents = (await (await database.openTable('documents')).query().select(['path']).toArray()) as Array<{ path: string }>;
      expect(documents).toHaveLength(40);
      const ids = ((await (await database.openTable('chunks')).query().select(['id']).toArray()) as Array<{ id: string }>).map((row) => row.id);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      database.close();
    }

    const third = await run(['ingest', folder], env);
    expect(third.code).toBe(0);
    expect(third.stderr).not.toMatch(/Repair/);
    expect(third.stdout).toMatch(/0 indexed, 40 skipped unchanged/);
  });
});
