import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder, type KefuEmbedder } from '../src/embeddings/index.ts';
import { createMemoryVectorCache } from '../src/intents/vector-cache.ts';
import { writeIntentFixtures } from './intents-fixtures.ts';
import { loadIntentDataset, runIntentEvaluation, type IntentEvalReport } from './intents.ts';

const run = promisify(execFile);
const repositoryRoot = path.resolve(import.meta.dirname, '..');
const node = path.join(repositoryRoot, 'node_modules', '.bin', 'node');
const kefu = path.join(repositoryRoot, 'bin', 'kefu.js');

let temp: string;
let embedder: KefuEmbedder;

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-intent-eval-'));
  await writeIntentFixtures(temp);
  embedder = await createEmbedder({ config: loadConfig({ env: {}, dotenvDir: null, cwd: repositoryRoot }), logger: { warn: () => {} } });
});

afterAll(async () => {
  await embedder?.dispose();
  await rm(temp, { recursive: true, force: true });
});

describe('runIntentEvaluation', () => {
  it('clinc150 layout: trains with out-of-scope examples, tunes on val, scores test', async () => {
    const dataset = await loadIntentDataset({ name: 'clinc150', sharedDataDir: temp });
    const cache = createMemoryVectorCache();
    const report = await runIntentEvaluation({ dataset, embedder, vectorCache: cache });
    expect(report.kind).toBe('intents');
    expect(report.intents).toBe(4);
    expect(report.examples).toEqual({ train: 56, validation: 10, test: 16 });
    expect(report.test.inScope).toBe(12);
    expect(report.test.outOfScope).toBe(4);
    // Four well-separated intents: the held-out phrasings are recognised, the off-topic ones mostly not.
    expect(report.intentAccuracy).toBeGreaterThanOrEqual(11 / 12);
    expect(report.inScopeAccuracy).toBeGreaterThanOrEqual(9 / 12);
    expect(report.oosRecall).toBeGreaterThanOrEqual(2 / 4);
    expect(report.threshold.method).toBe('balanced-out-of-scope');
    expect(report.validation.examples).toBe(10);
    expect(report.timing.textsEmbedded).toBe(66);
    // The second run finds every vector in the cache.
    const again = await runIntentEvaluation({ dataset, embedder, vectorCache: cache });
    expect(again.timing.textsEmbedded).toBe(0);
    expect(again.test).toEqual(report.test);
  });

  it('banking77 layout: no out-of-scope data, the trainer holds out part of train', async () => {
    const dataset = await loadIntentDataset({ name: 'banking77', sharedDataDir: temp });
    const report = await runIntentEvaluation({ dataset, embedder });
    expect(report.inScopeAccuracy).toBeUndefined();
    expect(report.oosRecall).toBeUndefined();
    expect(report.intentAccuracy).toBeGreaterThanOrEqual(11 / 12);
    expect(report.threshold.method).toBe('in-scope-quantile');
    expect(report.validation.examples).toBe(12);
    expect(report.validation.intentAccuracy).toBeGreaterThan(0.5);
  });
});

describe('kefu eval --dataset clinc150 (the command line)', () => {
  it('evaluates the intent classifier, prints the JSON summary and writes the report', async () => {
    const reports = path.join(temp, 'reports');
    const environment = { ...process.env, KEFU_DATA_DIR: path.join(temp, 'data'), KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') };
    const { stdout, stderr } = await run(node, [kefu, 'eval', '--dataset', 'clinc150', '--eval-data', temp, '--json', '--reports', reports], { env: environment, cwd: temp });
    const report = JSON.parse(stdout) as IntentEvalReport;
    expect(report.dataset).toBe('clinc150');
    expect(typeof report.inScopeAccuracy).toBe('number');
    expect(typeof report.oosRecall).toBe('number');
    expect(stderr).toMatch(/clinc150: 56 training, 10 validation, 16 test examples/);
    expect(await readdir(reports)).toContain('clinc150-latest.json');
    expect(JSON.parse(await readFile(path.join(reports, 'clinc150-latest.json'), 'utf8'))).toMatchObject({ kind: 'intents', dataset: 'clinc150' });
    // The vectors were cached beside the evaluation data folder for the next run.
    expect(await readdir(path.join(temp, 'data', 'eval', 'intents'))).toEqual(['clinc150-vectors.bin']);
  });
});

describe('kefu intents', () => {
  it('check: lists errors with their lines and exits 1; a good file passes with its summary', async () => {
    const bad = path.join(temp, 'intents.csv');
    await writeFile(bad, 'intent,example,route\norder_status,where is my order,action:order-status\norder_status,track my parcel,telephone\n,orphan example,\n');
    const failure = await run(node, [kefu, 'intents', 'check', bad], { cwd: temp }).then(() => undefined, (error: { code: number; stdout: string }) => error);
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain('line 3: intent "order_status": unknown route "telephone"');
    expect(failure?.stdout).toContain('line 4: the example "orphan example" has no intent name');

    const good = path.join(temp, 'good.intents.yaml');
    await writeFile(good, 'intents:\n  - name: order_status\n    route: action:order-status\n    examples: [where is my order, track my parcel]\n  - name: complaint\n    route: person:high\n    examples: [I want to complain]\n');
    const { stdout } = await run(node, [kefu, 'intents', 'check', good], { cwd: temp });
    expect(stdout).toContain('line 5: intent "complaint" has only one example');
    expect(stdout).toMatch(/order_status\s+2 example\(s\)\s+→ action:order-status/);
    expect(stdout).toContain('OK, with warnings');
  });

  it('try: trains on the file and shows the intent, confidence and route of each message', async () => {
    const file = path.join(temp, 'shop.intents.csv');
    const rows = ['intent,example,route'];
    for (const text of ['where is my order', 'has my parcel shipped', 'track my delivery', 'when will my package arrive', 'my order is late', '我的订单到哪了']) rows.push(`order_status,${text},action:order-status`);
    for (const text of ['I want to complain', 'your service is awful', 'I want to speak to a manager', 'this is unacceptable', 'I am very unhappy', '我要投诉']) rows.push(`complaint,${text},person:high`);
    for (const text of ['what is the weather', 'tell me a joke', 'who won the match', 'play a song']) rows.push(`out_of_scope,${text},`);
    await writeFile(file, `${rows.join('\n')}\n`);
    const environment = { ...process.env, KEFU_EMBEDDING_MODEL: path.join(repositoryRoot, 'data', 'models', 'bundled') };
    const { stdout } = await run(node, [kefu, 'intents', 'try', file, "where's my parcel", '--json'], { env: environment, cwd: temp });
    const result = JSON.parse(stdout.trim()) as { message: string; intent?: string; route: string; confidence: number };
    expect(result).toMatchObject({ message: "where's my parcel", intent: 'order_status', route: 'action:order-status' });
    expect(result.confidence).toBeGreaterThan(0.5);
  });
});
