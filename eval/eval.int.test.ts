import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerRequest } from '../src/answer/types.ts';
import { loadConfig } from '../src/config/index.ts';
import { checkGold, readCatalog } from './catalog.ts';
import { loadDataset } from './datasets.ts';
import { runEvaluation } from './runner.ts';
import { createRemoteTarget, prepareLocalTarget } from './targets.ts';
import type { RunReport } from './types.ts';

const run = promisify(execFile);
const repositoryRoot = path.resolve(import.meta.dirname, '..');

let temp: string;
let datasetDir: string;
let report: RunReport;
let concurrent: RunReport;
let secondSyncIndexed: number;

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-eval-int-'));
  datasetDir = path.join(temp, 'tiny-shop');
  await mkdir(path.join(datasetDir, 'corpus'), { recursive: true });
  await writeFile(path.join(datasetDir, 'corpus', 'returns.md'), [
    '# Returns and refunds',
    '',
    'You can return any unused item within 30 days of delivery for a full refund.',
    'Refunds are paid to the original payment method within 5 business days after we receive the item.',
  ].join('\n'));
  await writeFile(path.join(datasetDir, 'corpus', 'shipping.md'), [
    '# Shipping',
    '',
    'Standard shipping is free on orders over 50 euros and takes 3 to 5 working days.',
    'Express shipping costs 9 euros and arrives the next working day.',
  ].join('\n'));
  await writeFile(path.join(datasetDir, 'questions.jsonl'), [
    JSON.stringify({ id: 'refund-window', question: 'How many days do I have to return an item for a refund?', gold: [{ document: 'returns.md' }], reference: 'Within 30 days of delivery.', keyPhrases: ['30 days'] }),
    JSON.stringify({ id: 'express-cost', question: 'How much does express shipping cost?', gold: [{ document: 'shipping.md' }], reference: 'Express shipping costs 9 euros.', keyPhrases: ['9 euros'] }),
    '{"id": "broken", "question": ',
    JSON.stringify({ id: 'missing-gold', question: 'Where is the warranty policy?', gold: [{ document: 'warranty.md' }] }),
    JSON.stringify({ id: 'unknown', question: 'What is the quarterly dividend of the company shares?', expected: 'refuse' }),
  ].join('\n'));

  const config = loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot });
  const evalDir = path.join(temp, 'eval');
  const dataset = await loadDataset({ dataset: datasetDir, evalDir });
  const checked = checkGold(dataset.questions, await readCatalog(dataset.corpusDir));
  const local = await prepareLocalTarget({ config, dataset, evalDir });
  try {
    report = await runEvaluation({ dataset: { ...dataset, questions: checked.questions }, target: local.target, issues: checked.issues });
    concurrent = await runEvaluation({ dataset: { ...dataset, questions: checked.questions }, target: local.target, issues: checked.issues, concurrency: 3 });
  } finally {
    await local.close();
  }
  // a second run reuses the index: nothing is ingested again
  const again = await prepareLocalTarget({ config, dataset, evalDir });
  secondSyncIndexed = again.sync.indexed.length;
  await again.close();
});

afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('kefu eval end to end on a tiny corpus', () => {
  it('ingests the corpus into its own index and finds the right document for each question', () => {
    expect(report.questionCount).toBe(3);
    for (const configuration of ['keyword', 'vector', 'hybrid-rrf', 'hybrid-weighted', 'hybrid-adaptive']) {
      expect(report.summary[configuration]).toMatchObject({ scored: 2, errors: 0, 'hit@1': 1, 'mrr@10': 1 });
    }
    expect(secondSyncIndexed).toBe(0);
  });

  it('gives the same answers and figures with several questions in flight', () => {
    const withoutLatency = (summary: Record<string, number> | undefined) => Object.fromEntries(Object.entries(summary ?? {}).filter(([metric]) => !metric.startsWith('latency.')));
    for (const configuration of Object.keys(report.summary)) {
      expect(withoutLatency(concurrent.summary[configuration])).toEqual(withoutLatency(report.summary[configuration]));
    }
    expect(concurrent.questions.map((record) => record.results['hybrid-adaptive']?.answer)).toEqual(report.questions.map((record) => record.results['hybrid-adaptive']?.answer));
  });

  it('scores answers and the refusal of the unanswerable question', () => {
    const main = report.summary['hybrid-adaptive'] ?? {};
    expect(main.falseRefusalRate).toBe(0);
    expect(main.keyPhraseCoverage).toBe(1);
    expect(main.groundedness).toBeGreaterThan(0.9);
    expect(main.refusalRecall).toBe(1);
    expect(main['latency.total.p50']).toBeGreaterThan(0);
  });

  it('reports the broken line and the gold document that is not in the corpus as dataset issues', () => {
    expect(report.issues).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'parse', line: 3, message: 'not valid JSON' }),
      expect.objectContaining({ kind: 'gold', questionId: 'missing-gold', message: 'gold document warranty.md is not in the corpus' }),
    ]));
  });

  it('runs from the command line: off-topic questions, table, reports, and --check exits 1 below the thresholds', async () => {
    // two other "public datasets" for --off-topic, in their published layouts
    const shared = path.join(temp, 'shared');
    await mkdir(path.join(shared, 'clinc150'), { recursive: true });
    await mkdir(path.join(shared, 'lcqmc'), { recursive: true });
    await writeFile(path.join(shared, 'clinc150', 'data_full.json'), JSON.stringify({ oos_test: [['what is the lifespan of a border collie', 'oos'], ['how do i fix a leaking roof', 'oos']] }));
    await writeFile(path.join(shared, 'lcqmc', 'test.txt'), 'text_a\ttext_b\tlabel\n豚鹿的性格特点\t怎样修改游戏密码\t0\n');
    const thresholds = path.join(temp, 'thresholds.json');
    await writeFile(thresholds, JSON.stringify({ 'tiny-shop': { keyword: { 'hit@1': 0.5 }, 'hybrid-adaptive': { 'hit@1': 1.01, falseRefusalRate: 0 } } }));
    const reports = path.join(temp, 'reports');
    const environment = { ...process.env, KEFU_DATA_DIR: path.join(temp, 'data'), KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') };
    const failure = await run(path.join(repositoryRoot, 'node_modules', '.bin', 'node'), [
      path.join(repositoryRoot, 'bin', 'kefu.js'), 'eval', '--dataset', datasetDir, '--check', '--thresholds', thresholds, '--reports', reports,
      '--eval-data', shared, '--off-topic', '4', '--split', 'test',
    ], { env: environment, cwd: temp }).then(() => undefined, (error: { code: number; stdout: string; stderr: string }) => error);
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain('Gate FAILED for tiny-shop: 1 of 3 threshold(s) not met');
    expect(failure?.stdout).toContain('hybrid-adaptive hit@1 = 1.000, needs >= 1.010');
    expect(failure?.stderr).toMatch(/run time: [\d.]+ s \(index/);
    const files = await readdir(reports);
    expect(files).toEqual(expect.arrayContaining(['tiny-shop-latest.json', 'tiny-shop-latest.md', 'tiny-shop-latest.html']));
    const written = JSON.parse(await readFile(path.join(reports, 'tiny-shop-latest.json'), 'utf8')) as RunReport;
    // the test half of the tiny set, plus 2 English and 2 Chinese off-topic questions
    expect(written).toMatchObject({ split: 'test', seed: 42, offTopic: 4 });
    expect(written.questions.filter((record) => record.offTopic).map((record) => record.source).sort()).toEqual(['clinc150', 'clinc150', 'lcqmc', 'lcqmc']);
    expect(written.summary['hybrid-adaptive']?.offTopicRefusal).toBeGreaterThanOrEqual(0);
    expect(await readFile(path.join(reports, 'tiny-shop-latest.html'), 'utf8')).toContain('off-topic · clinc150');
  });
});

describe('kefu eval --url against a running server', () => {
  /**
   * A real HTTP server speaking the evaluation contract (POST /api/eval/ask, Bearer token, the full
   * AnswerResult back) over the real answer service. It refuses the first attempt of every third
   * question with 429 and Retry-After, as a rate-limited server does.
   */
  async function serveEvalRoute(token: string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
    const config = loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot });
    const dataset = await loadDataset({ dataset: datasetDir, evalDir: path.join(temp, 'eval') });
    const local = await prepareLocalTarget({ config, dataset, evalDir: path.join(temp, 'eval') });
    let requests = 0;
    const server = createServer((request, response) => {
      requests++;
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
      request.on('end', () => {
        const reply = (status: number, value: unknown, headers: Record<string, string> = {}) => {
          response.writeHead(status, { 'content-type': 'application/json', ...headers });
          response.end(JSON.stringify(value));
        };
        if (request.url !== '/api/eval/ask' || request.method !== 'POST') return reply(404, { code: 'ROUTE_NOT_FOUND', message: 'Nothing here' });
        if (request.headers.authorization !== `Bearer ${token}`) return reply(401, { code: 'UNAUTHORIZED', message: 'bad token' });
        if (requests % 3 === 0) return reply(429, { code: 'RATE_LIMITED', message: 'Too many requests' }, { 'retry-after': '0' });
        local.target.ask(JSON.parse(body) as AnswerRequest).then((result) => reply(200, result), (error: unknown) => reply(500, { code: 'INTERNAL', message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${address.port}`,
      requests: () => requests,
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await local.close();
      },
    };
  }

  it('asks over HTTP with the token, retries 429 as told by Retry-After, and scores the same way', async () => {
    const server = await serveEvalRoute('s3cret');
    try {
      const dataset = await loadDataset({ dataset: datasetDir, evalDir: path.join(temp, 'eval') });
      const checked = checkGold(dataset.questions, await readCatalog(dataset.corpusDir));
      const remote = await runEvaluation({ dataset: { ...dataset, questions: checked.questions }, target: createRemoteTarget({ url: server.url, token: 's3cret' }) });
      expect(remote.target).toBe(`server ${server.url}`);
      expect(remote.summary.keyword).toMatchObject({ errors: 0, 'hit@1': 1 });
      expect(remote.summary['hybrid-adaptive']).toMatchObject({ errors: 0, 'hit@1': 1, refusalRecall: 1, falseRefusalRate: 0 });
      // 11 asks (2 answerable × 5 configurations + 1 unanswerable), some refused once with 429 and asked again
      expect(server.requests()).toBeGreaterThan(11);
      const main = remote.questions.find((record) => record.id === 'express-cost')?.results['hybrid-adaptive'];
      expect(main?.evidence).toMatchObject({ coverage: expect.any(Number) });
    } finally {
      await server.close();
    }
  });

  it('asks a real `kefu serve` through POST /api/eval/ask and scores it the same way', async () => {
    const port = 38_000 + Math.floor(Math.random() * 2000);
    const server = spawn(path.join(repositoryRoot, 'node_modules', '.bin', 'node'), [path.join(repositoryRoot, 'bin', 'kefu.js'), 'serve', '--no-watch', '--port', String(port)], {
      env: {
        ...process.env,
        KEFU_DATA_DIR: path.join(temp, 'server-data'),
        KEFU_INBOX: path.join(datasetDir, 'corpus'),
        KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled'),
        KEFU_EVAL_TOKEN: 'serve-s3cret',
        KEFU_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 120_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        ready = await fetch(`${url}/api/health`).then((response) => response.ok, () => false);
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(ready).toBe(true);
      const dataset = await loadDataset({ dataset: datasetDir, evalDir: path.join(temp, 'eval') });
      const checked = checkGold(dataset.questions, await readCatalog(dataset.corpusDir));
      const remote = await runEvaluation({ dataset: { ...dataset, questions: checked.questions }, target: createRemoteTarget({ url, token: 'serve-s3cret' }) });
      expect(remote.summary.keyword).toMatchObject({ errors: 0, 'hit@1': 1 });
      expect(remote.summary['hybrid-adaptive']).toMatchObject({ errors: 0, 'hit@1': 1, refusalRecall: 1, falseRefusalRate: 0 });
      expect(remote.questions.find((record) => record.id === 'express-cost')?.results['hybrid-adaptive']?.evidence).toBeDefined();
      await expect(createRemoteTarget({ url, token: 'wrong' }).ask({ question: 'How much does express shipping cost?' }))
        .rejects.toMatchObject({ code: 'EVAL_SERVER', fatal: true, httpStatus: 401 });
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('stops with a clear error and exit code 1 when the token is wrong', async () => {
    const server = await serveEvalRoute('s3cret');
    try {
      const failure = await run(path.join(repositoryRoot, 'node_modules', '.bin', 'node'), [
        path.join(repositoryRoot, 'bin', 'kefu.js'), 'eval', '--dataset', datasetDir, '--url', server.url, '--no-write-reports',
      ], { env: { ...process.env, KEFU_DATA_DIR: path.join(temp, 'data'), KEFU_EVAL_TOKEN: 'wrong' }, cwd: temp }).then(() => undefined, (error: { code: number; stderr: string }) => error);
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toContain('refused the token (HTTP 401');
      expect(failure?.stderr).toContain('--token');
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
