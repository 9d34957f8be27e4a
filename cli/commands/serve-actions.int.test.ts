/**
 * `kefu serve` as a real process with an actions.yaml: a secret the file names that is not set stops kefu at start
 * with a message naming the variable (not at the first customer), and never prints another variable's value.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repositoryRoot = path.resolve(import.meta.dirname, '..', '..');
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-serve-actions-'));
  await mkdir(path.join(directory, 'data', 'inbox'), { recursive: true });
  await writeFile(path.join(directory, 'data', 'inbox', 'returns.md'), '# Returns\n\nYou have 30 days to return an item.');
  await writeFile(
    path.join(directory, 'data', 'actions.yaml'),
    `actions:
  - name: order-status
    slots:
      - { name: order, type: pattern, pattern: 'KF\\d{8}', ask: What is your order number? }
    request:
      url: 'https://orders.example.com/api/orders/{order}'
      headers: { Authorization: 'Bearer {env.ORDER_API_TOKEN}', X-Shop: '{env.SHOP_KEY}' }
    reply: 'Order {order}: {response.status}'
`,
  );
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

function serve(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin', 'kefu.js'), 'serve', '--port', '0', '--no-watch'], {
      cwd: directory,
      env: { ...process.env, KEFU_DATA_DIR: path.join(directory, 'data'), KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    // Listening means the start-up check let it through: stop it, the test then fails on its exit code.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', () => {
      if (output.includes('kefu chat is ready')) child.kill('SIGKILL');
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('kefu serve with actions.yaml', () => {
  it('refuses to start when a secret the actions file names is not set, naming it', async () => {
    const { code, output } = await serve({ SHOP_KEY: 'shop-key-value-123' });
    expect(code).toBe(1);
    expect(output).toContain('A secret the actions file needs is not set: ORDER_API_TOKEN');
    expect(output).toContain('Set the environment variable named above');
    expect(output).not.toContain('shop-key-value-123');
    expect(output).not.toContain('kefu chat is ready');
  }, 90_000);
});
