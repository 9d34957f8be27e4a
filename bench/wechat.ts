/**
 * WeChat endpoint figures (issue 14): a real `kefu serve` in its own process (sample knowledge base, real model, real
 * SQLite records) with the WeChat endpoint on, a simulated WeChat (test/support/wechat-server.ts) that signs and posts
 * text messages and plays the customer-service message API.
 *
 * - the endpoint's reply time (request sent → passive reply received), one follower's message at a time and four at
 *   once; target p95 <= 500 ms (WeChat gives up after 5 s);
 * - how many answers missed the passive-reply window and went through the customer-service message API.
 *
 * Prints figures and the load average; asserts nothing. Run: npm run bench:wechat
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { APP_ID, APP_SECRET, postToKefu, startSimulatedWechat, textMessage } from '../test/support/wechat-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const node = path.join(root, 'node_modules', '.bin', 'node');
const launcher = path.join(root, 'bin', 'kefu.js');
const TOKEN = 'kefuBenchToken';
const MESSAGES = 200;
const CONCURRENT = 4;
// Questions about the sample knowledge base (data/sample), in both languages it holds.
const QUESTIONS = [
  'How long do I have to return an item?',
  'How long does a refund take?',
  'Do you ship internationally?',
  'What does the warranty cover?',
  'Which payment methods do you accept?',
  'How do you use my personal data?',
  '退货期限是多久？',
  '退款多久到账？',
  '运费怎么算？',
  '保修期多长？',
];

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? NaN;
}

const summary = (values: number[]) =>
  `p50 ${percentile(values, 0.5).toFixed(1)} ms, p95 ${percentile(values, 0.95).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (n=${values.length})`;
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const wechat = await startSimulatedWechat();
const dataDir = await mkdtemp(path.join(tmpdir(), 'kefu-bench-wechat-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  KEFU_DATA_DIR: dataDir,
  KEFU_LOG_LEVEL: 'warn',
  KEFU_EMBEDDING_MODEL: path.join(root, 'data', 'models', 'bundled'),
  KEFU_WECHAT_TOKEN: TOKEN,
  KEFU_WECHAT_APP_ID: APP_ID,
  KEFU_WECHAT_APP_SECRET: APP_SECRET,
  KEFU_WECHAT_API_BASE_URL: wechat.apiBaseUrl,
};

console.log(`kefu WeChat endpoint bench · load average at start ${load()}`);
const server = spawn(node, [launcher, 'serve', '--no-watch', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  const started = performance.now();
  for (;;) {
    const ready = await fetch(`${base}/api/health`).then((response) => response.ok, () => false);
    if (ready) break;
    if (server.exitCode !== null) throw new Error('kefu serve exited');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.log(`server ready in ${((performance.now() - started) / 1000).toFixed(1)} s (pid ${server.pid})`);

  let next = 1_000_000_000_000_000n;
  const send = async (index: number) => {
    next += 1n;
    // A follower per message, as many followers asking one question each.
    const xml = textMessage({ openId: `oBench${index}`, content: QUESTIONS[index % QUESTIONS.length] ?? '', msgId: String(next) });
    return postToKefu({ base, token: TOKEN, xml });
  };
  // Warm-up: the first answers load the index's pages and the keyword dictionaries.
  for (let index = 0; index < 10; index += 1) await send(100_000 + index);

  const sequential: number[] = [];
  let fellBack = 0;
  for (let index = 0; index < MESSAGES; index += 1) {
    const response = await send(index);
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${response.body}`);
    if (response.body === 'success') fellBack += 1;
    sequential.push(response.ms);
  }
  console.log(`reply time, one message at a time: ${summary(sequential)}; ${fellBack} of ${MESSAGES} went through the customer-service API · load ${load()}`);

  const concurrent: number[] = [];
  fellBack = 0;
  for (let index = 0; index < MESSAGES; index += CONCURRENT) {
    const responses = await Promise.all(Array.from({ length: CONCURRENT }, (_, offset) => send(10_000 + index + offset)));
    for (const response of responses) {
      if (response.body === 'success') fellBack += 1;
      concurrent.push(response.ms);
    }
  }
  console.log(`reply time, ${CONCURRENT} at once: ${summary(concurrent)}; ${fellBack} of ${concurrent.length} went through the customer-service API · load ${load()}`);
  console.log(`target: p95 <= 500 ms · load average at end ${load()}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await wechat.close();
  await rm(dataDir, { recursive: true, force: true });
}
