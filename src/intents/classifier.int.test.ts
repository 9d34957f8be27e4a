import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { createEmbedder, type KefuEmbedder } from '../embeddings/index.ts';
import { KefuError } from '../errors/index.ts';
import { intentModelFingerprint, intentModelFromJSON, trainIntentClassifier, type IntentModel } from './classifier.ts';
import { parseIntentsFile } from './intents-file.ts';
import { createMemoryVectorCache, openVectorCacheFile } from './vector-cache.ts';

/** What a shop's knowledge owner might write: English and Chinese examples, routes, and off-topic messages. */
const INTENTS_YAML = `
intents:
  - name: order_status
    route: action:order-status
    examples:
      - where is my order
      - has my order shipped yet
      - I still have not received my package
      - when will my parcel arrive
      - can you track my delivery
      - my order is late, where is it
      - what is the status of my order
      - 我的订单到哪了
      - 快递什么时候到
      - 查一下我的订单状态
  - name: refund
    route: faq:refund-policy
    examples:
      - I want my money back
      - how do I get a refund
      - can I return this for a refund
      - refund my purchase please
      - how long does a refund take
      - the item is broken, I want a refund
      - 我要退款
      - 退款多久到账
      - 怎么申请退款
  - name: complaint
    route: person:high
    examples:
      - I want to make a complaint
      - your service is terrible
      - this is unacceptable, I want to speak to a manager
      - I am very unhappy with how I was treated
      - I want to file a formal complaint
      - the staff were rude to me
      - 我要投诉
      - 你们的服务太差了
      - 我对处理结果非常不满意
  - name: opening_hours
    examples:
      - when are you open
      - what are your opening hours
      - are you open on sunday
      - what time do you close today
      - are you open on public holidays
      - 你们几点开门
      - 周末营业吗
  - name: out_of_scope
    examples:
      - what is the weather tomorrow
      - tell me a joke
      - who won the football game last night
      - what is the capital of france
      - play some music
      - how tall is mount everest
      - 今天天气怎么样
      - 给我讲个笑话
`;

let workDir: string;
let embedder: KefuEmbedder;
let model: IntentModel;
const parsed = parseIntentsFile({ path: 'intents.yaml', text: INTENTS_YAML });

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'kefu-intents-'));
  const config = loadConfig({ env: {}, dotenvDir: null, cwd: path.resolve(import.meta.dirname, '..', '..') });
  embedder = await createEmbedder({ config, logger: { warn: () => {} } });
  model = await trainIntentClassifier({ examples: parsed.trainingExamples, embedder });
});

afterAll(async () => {
  await embedder?.dispose();
  await rm(workDir, { recursive: true, force: true });
});

const classify = async (text: string) => model.classify({ text, vector: await embedder.embedQuery(text) });

describe('trainIntentClassifier over the bundled model', () => {
  it('recognises paraphrases it was not given, in English and Chinese', async () => {
    expect(parsed.errors).toEqual([]);
    expect(model.intents).toEqual(['complaint', 'opening_hours', 'order_status', 'refund']);
    expect((await classify("where's my package? it hasn't come")).intent).toBe('order_status');
    expect((await classify('I would like my money returned')).intent).toBe('refund');
    expect((await classify('I demand to talk to your manager')).intent).toBe('complaint');
    expect((await classify('are you open on saturday')).intent).toBe('opening_hours');
    expect((await classify('我的快递到哪里了')).intent).toBe('order_status');
    expect((await classify('申请退款')).intent).toBe('refund');
  });

  it('gives no intent to a message that belongs to none, and says how sure it was', async () => {
    const weather = await classify('will it rain this weekend');
    expect(weather.intent).toBeUndefined();
    expect(weather.outOfScope).toBeDefined();
    const result = await classify('where is my order');
    expect(result.confidence).toBeGreaterThan(model.threshold);
    expect(result.ranking[0]?.intent).toBe('order_status');
    // With out-of-scope examples, confidence is the best intent against "none": at least its probability.
    expect(result.confidence).toBeGreaterThanOrEqual(result.ranking[0]?.probability ?? 1);
    expect(result.ranking.length).toBe(4);
    const probabilities = result.ranking.map((score) => score.probability);
    expect(probabilities).toEqual([...probabilities].sort((left, right) => right - left));
  });

  it('reports what training measured', () => {
    const { report } = model;
    expect(report.examples).toBe(parsed.trainingExamples.length);
    expect(report.intents).toBe(4);
    expect(report.outOfScopeExamples).toBe(8);
    expect(report.heldOut).toBeGreaterThan(0);
    expect(report.threshold.method).toBe('balanced-out-of-scope');
    expect(report.embedded).toBe(parsed.trainingExamples.length);
    expect(model.fingerprint).toBe(intentModelFingerprint({ examples: parsed.trainingExamples, embedderModelId: embedder.modelId }));
  });

  it('survives JSON and gives the same answers; refuses a model of another embedder or a damaged one', async () => {
    const json = JSON.parse(JSON.stringify(model.toJSON())) as unknown;
    const restored = intentModelFromJSON({ json, embedderModelId: embedder.modelId });
    for (const text of ['where is my order', '我要投诉', 'tell me about the moon']) {
      const vector = await embedder.embedQuery(text);
      expect(restored.classify({ text, vector })).toEqual(model.classify({ text, vector }));
    }
    expect(restored.threshold).toBe(model.threshold);
    expect(() => intentModelFromJSON({ json, embedderModelId: 'hub:other-model:fp32' })).toThrow(/trained over bundled:.*the configured embedding model is hub:other-model/);
    const damaged = { ...(json as Record<string, unknown>), labels: ['only-one'] };
    expect(() => intentModelFromJSON({ json: damaged })).toThrow(KefuError);
    expect(() => model.classify({ text: 'hi', vector: [1, 2, 3] })).toThrow(/3 values, the model was trained on 384/);
  });

  it('is deterministic, and a retrain with the vector cache embeds only new examples', async () => {
    const file = path.join(workDir, 'intent-vectors.bin');
    const cache = await openVectorCacheFile({ path: file, modelId: embedder.modelId, dimension: embedder.dimension });
    const first = await trainIntentClassifier({ examples: parsed.trainingExamples, embedder, vectorCache: cache });
    await cache.save();
    expect(JSON.stringify(first.toJSON().weights)).toBe(JSON.stringify(model.toJSON().weights));

    const reopened = await openVectorCacheFile({ path: file, modelId: embedder.modelId, dimension: embedder.dimension });
    const more = [...parsed.trainingExamples, { text: 'where can I find my tracking number', intent: 'order_status' }];
    const second = await trainIntentClassifier({ examples: more, embedder, vectorCache: reopened });
    expect(second.report.embedded).toBe(1);
    expect(second.fingerprint).not.toBe(first.fingerprint);

    const otherModel = await openVectorCacheFile({ path: file, modelId: 'another-model', dimension: embedder.dimension });
    expect(otherModel.size).toBe(0);
  });

  it('works without out-of-scope examples, learning the threshold from held-out intents', async () => {
    const inScopeOnly = parsed.trainingExamples.filter((example) => example.intent !== 'out_of_scope');
    const plain = await trainIntentClassifier({ examples: inScopeOnly, embedder, vectorCache: createMemoryVectorCache() });
    expect(plain.report.threshold.method).toBe('in-scope-quantile');
    expect(plain.threshold).toBeGreaterThan(0);
    const vector = await embedder.embedQuery('has my order shipped?');
    expect(plain.classify({ text: 'has my order shipped?', vector }).intent).toBe('order_status');
  });
});
