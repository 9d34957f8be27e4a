/**
 * The `kefu` command as a person runs it: real processes through bin/kefu.js, in a temp working folder
 * with its own data dir. Checks the messages of argument mistakes, `kefu config`, unknown settings, and
 * that the launcher passes signals to the kefu it starts on the project's Node.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const launcher = path.join(root, 'bin', 'kefu.js');
const projectNode = path.join(root, 'node_modules', '.bin', 'node');
const bundledModel = path.join(root, 'data', 'models', 'bundled');

/** The system's Node, when it is older than kefu needs: then bin/kefu.js re-runs kefu on the project's Node. */
function olderSystemNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 18)) return candidate;
  }
  return undefined;
}

let workDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'kefu-cli-'));
  env = { PATH: process.env.PATH ?? '', HOME: workDir, KEFU_DATA_DIR: path.join(workDir, 'data'), KEFU_LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function kefu(args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(projectNode, [launcher, ...args], { cwd: workDir, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('argument mistakes get a message and a non-zero exit', () => {
  it.each([
    [['eval'], /--dataset is required/],
    [['eval', '--compare', 'only-one.json'], /--compare needs two files/],
    [['tickets', 'list', '-n', 'abc'], /'abc' is invalid.*whole number/],
  ])('kefu %j', (args, message) => {
    const result = kefu(args);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
    // One clear message, no stack trace.
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('kefu users', () => {
  it('adds an account and prints its token once as the last word of the last line; lists, disables, resets', async () => {
    const added = kefu(['users', 'add', 'alice', '--role', 'agent', '--display-name', 'Alice Wong']);
    expect(added.status).toBe(0);
    const lines = added.stdout.trim().split('\n');
    const token = lines.at(-1)?.split(/\s+/).at(-1) ?? '';
    expect(token).toMatch(/^kefu_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(added.stdout.split(token)).toHaveLength(2);

    const list = kefu(['users', 'list', '--json']);
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(users).toMatchObject([{ name: 'alice', displayName: 'Alice Wong', role: 'agent', disabled: false }]);
    // Only a hash is stored: the token appears nowhere in the database file.
    const database = readFileSync(path.join(workDir, 'data', 'kefu.db'));
    // The secret is everything after `kefu_<16 hex>_` (it may itself contain `_`).
    expect(database.includes(Buffer.from(token.slice('kefu_'.length + 17)))).toBe(false);
    expect(JSON.stringify(users)).not.toContain(token);

    const duplicate = kefu(['users', 'add', 'Alice', '--role', 'owner']);
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists: alice/);
    expect(kefu(['users', 'add', 'bob']).stderr).toMatch(/--role/);
    expect(kefu(['users', 'add', 'bob', '--role', 'boss']).stderr).toMatch(/Allowed choices are agent, owner, admin/);

    expect(kefu(['users', 'disable', 'alice']).stdout).toMatch(/Disabled alice/);
    expect(JSON.parse(kefu(['users', 'list', '--json']).stdout)[0].disabled).toBe(true);
    const reset = kefu(['users', 'reset', 'alice']);
    const fresh = reset.stdout.trim().split('\n').at(-1)?.split(/\s+/).at(-1) ?? '';
    expect(fresh).toMatch(/^kefu_/);
    expect(fresh).not.toBe(token);
    expect(kefu(['users', 'enable', 'alice']).stdout).toMatch(/Enabled alice/);
    const missing = kefu(['users', 'reset', 'nobody']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/No user named nobody/);
  });
});

describe('settings', () => {
  it('kefu config shows the value in force beside the default, and where it came from', async () => {
    await writeFile(path.join(workDir, '.env'), 'KEFU_RETRIEVAL_TOP_K=5\n');
    const result = kefu(['config'], { KEFU_PORT: '8080', KEFU_LLM_API_KEY: 'sk-very-secret' });
    await rm(path.join(workDir, '.env'));
    expect(result.status).toBe(0);
    const line = (name: string) => result.stdout.split('\n').find((candidate) => candidate.startsWith(`${name} `)) ?? '';
    expect(line('KEFU_PORT')).toMatch(/^KEFU_PORT\s+8080\s+3000\s/);
    expect(line('KEFU_RETRIEVAL_TOP_K')).toMatch(/^KEFU_RETRIEVAL_TOP_K\s+5 \(\.env\)\s+8\s/);
    expect(line('KEFU_HOST')).toMatch(/^KEFU_HOST\s+-\s+"127\.0\.0\.1"/);
    expect(line('KEFU_LLM_API_KEY')).toContain('***');
    expect(result.stdout).not.toContain('sk-very-secret');
  });

  it('warns at start about a KEFU_* variable it does not know, naming the closest one', () => {
    const result = kefu(['tickets', 'list'], { KEFU_PROT: '8080' });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/KEFU_PROT is not a setting kefu knows.*did you mean KEFU_PORT\?/);
    expect(kefu(['tickets', 'list']).stderr).toBe('');
  });
});

describe('the launcher on an older system Node', () => {
  const systemNode = olderSystemNode();

  /** Starts `kefu watch` through bin/kefu.js on the old Node; resolves once the re-run kefu is following the folder. */
  async function startWatch(): Promise<{ wrapper: ChildProcess; childPid: number; output: () => string }> {
    const folder = path.join(workDir, `inbox-${Date.now()}`);
    await mkdir(folder, { recursive: true });
    // stdio is piped, not a terminal: every signal is passed on (a terminal's Ctrl+C reaches the child itself).
    const wrapper = spawn(systemNode ?? 'node', [launcher, 'watch', '--folder', folder], {
      cwd: workDir,
      env: { ...env, KEFU_EMBEDDING_MODEL: bundledModel },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    wrapper.stdout?.on('data', (data: Buffer) => (output += data.toString()));
    wrapper.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    // "watching" is printed once the first sync is done; kefu installs its signal handlers right after it.
    await expect.poll(() => output, { timeout: 60_000, interval: 100 }).toMatch(/watching/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const children = readFileSync(`/proc/${wrapper.pid}/task/${wrapper.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const childPid = children[0] ?? 0;
    expect(childPid).toBeGreaterThan(0);
    return { wrapper, childPid, output: () => output };
  }

  const exited = (process: ChildProcess) =>
    new Promise<number | null>((resolve) => (process.exitCode !== null ? resolve(process.exitCode) : process.once('exit', (code) => resolve(code))));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it.skipIf(!systemNode)('passes SIGTERM on to kefu and exits with its code, leaving nothing running', async () => {
    const { wrapper, childPid, output } = await startWatch();
    wrapper.kill('SIGTERM');
    expect(await exited(wrapper)).toBe(0);
    expect(output()).toMatch(/stopping/);
    await expect.poll(() => alive(childPid), { timeout: 10_000 }).toBe(false);
  });

  it.skipIf(!systemNode)('exits with 128 + the signal number when kefu is killed by a signal', async () => {
    const { wrapper, childPid } = await startWatch();
    process.kill(childPid, 'SIGKILL');
    expect(await exited(wrapper)).toBe(137);
  });
});
