/**
 * `kefu gaps`, `kefu report` and `kefu release` as a person runs them: real processes through bin/kefu.js over a data
 * folder whose conversations were recorded by the real app (a refused question is a gap). Answers land in the inbox's
 * kefu-answers.csv; mistakes get one readable message and a non-zero exit.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteRecords } from '../src/records/index.ts';
import { buildApp } from '../src/server/app.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

const root = path.resolve(import.meta.dirname, '..');
const launcher = path.join(root, 'bin', 'kefu.js');
const projectNode = path.join(root, 'node_modules', '.bin', 'node');

let fixture: ChatFixture;

function kefu(args: string[]) {
  const result = spawnSync(projectNode, [launcher, ...args], {
    cwd: fixture.dataDir,
    env: { PATH: process.env.PATH ?? '', HOME: fixture.dataDir, KEFU_DATA_DIR: fixture.dataDir, KEFU_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  fixture = await createChatFixture();
  const records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  const app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false });
  for (const question of ['Do you repair broken umbrellas?', 'Do you repair broken umbrellas?', 'Is there a loyalty card?']) {
    const response = await app.inject({ method: 'POST', url: '/api/chat', payload: { question } });
    expect(response.json()).toMatchObject({ outcome: 'refused' });
  }
  await app.close();
  await records.close();
});

afterAll(async () => {
  await fixture?.close();
});

describe('kefu gaps', () => {
  it('lists the gaps, answers one into kefu-answers.csv and dismisses another', async () => {
    const listed = kefu(['gaps', 'list', '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    const groups = (JSON.parse(listed.stdout) as { groups: Array<{ id: string; question: string; count: number }> }).groups;
    const umbrellas = groups.find((group) => group.question === 'Do you repair broken umbrellas?');
    const loyalty = groups.find((group) => group.question === 'Is there a loyalty card?');
    expect(umbrellas).toMatchObject({ count: 2 });
    expect(loyalty).toBeDefined();

    const text = kefu(['gaps', 'list']);
    expect(text.stdout).toContain(`${umbrellas?.id}  2×  Do you repair broken umbrellas?`);

    const empty = kefu(['gaps', 'answer', umbrellas?.id ?? '', '--answer', '   ']);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toMatch(/The answer is empty/);
    expect(empty.stderr).not.toMatch(/\n\s+at /);

    const answered = kefu(['gaps', 'answer', umbrellas?.id ?? '', '--answer', 'Yes: umbrella repairs cost $8.']);
    expect(answered.status, answered.stderr).toBe(0);
    expect(answered.stdout).toMatch(/in kefu-answers\.csv/);
    const file = await readFile(path.join(fixture.config.inboxDir, 'kefu-answers.csv'), 'utf8');
    expect(file).toContain('umbrella repairs cost $8');
    const again = kefu(['gaps', 'answer', umbrellas?.id ?? '', '--answer', 'Again.']);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/No open knowledge gap|already handled/);

    expect(kefu(['gaps', 'dismiss', loyalty?.id ?? '']).status).toBe(0);
    const after = JSON.parse(kefu(['gaps', 'list', '--json']).stdout) as { groups: Array<{ id: string }> };
    expect(after.groups.map((group) => group.id)).not.toContain(loyalty?.id);
    expect(after.groups.map((group) => group.id)).not.toContain(umbrellas?.id);
    const unknown = kefu(['gaps', 'dismiss', 'g0000000000']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/No open knowledge gap with id g0000000000/);
  });
});

describe('kefu report and kefu release', () => {
  it('prints the report as text, JSON, CSV with a byte-order mark and HTML; refuses a bad period', () => {
    const text = kefu(['report', '--since', '7d']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/conversations\s+3/i);
    const json = JSON.parse(kefu(['report', '--json']).stdout) as { totals: { conversations: number; refusal: { rate: number } } };
    expect(json.totals).toMatchObject({ conversations: 3, refusal: { rate: 1 } });
    expect(kefu(['report', '--csv']).stdout.startsWith('\ufeff')).toBe(true);
    expect(kefu(['report', '--html']).stdout).toContain('<svg');
    const bad = kefu(['report', '--since', 'yesterday-ish']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid report period/);
  });

  it('starts a release, shows it, refuses a second one and rolls it back', () => {
    expect(kefu(['release', 'start', '--share', '150']).stderr).toMatch(/whole percent from 1 to 99/);
    const started = kefu(['release', 'start', '--share', '20', '--note', 'try it']);
    expect(started.status, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/running\s+20% of visitors/);
    expect(kefu(['release', 'start', '--share', '10']).stderr).toMatch(/A release is already running/);
    const status = JSON.parse(kefu(['release', 'status', '--json']).stdout) as { current: { share: number; note: string } };
    expect(status.current).toMatchObject({ share: 20, note: 'try it' });
    const rolledBack = kefu(['release', 'rollback']);
    expect(rolledBack.status, rolledBack.stderr).toBe(0);
    expect(kefu(['release', 'status']).stdout).toContain('No release is running');
    expect(kefu(['release', 'promote']).stderr).toMatch(/No release is running/);
  });

  it('has --help on every command', () => {
    for (const args of [['gaps'], ['gaps', 'list'], ['gaps', 'answer'], ['gaps', 'dismiss'], ['report'], ['release'], ['release', 'start'], ['release', 'promote'], ['release', 'rollback'], ['release', 'status']]) {
      const help = kefu([...args, '--help']);
      expect(help.status, args.join(' ')).toBe(0);
      expect(help.stdout, args.join(' ')).toMatch(/Usage: kefu /);
    }
  });
});
