import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INTENT_SETTINGS } from '../src/intents/classifier.ts';
import { writeIntentFixtures } from './intents-fixtures.ts';
import { isIntentDataset, loadIntentDataset, renderIntentReport, type IntentEvalReport } from './intents.ts';

let temp: string;

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-intent-data-'));
  await writeIntentFixtures(temp);
});

afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('intent datasets', () => {
  it('knows which datasets are intent datasets', () => {
    expect(isIntentDataset('banking77')).toBe(true);
    expect(isIntentDataset('clinc150')).toBe(true);
    expect(isIntentDataset('northwind')).toBe(false);
  });

  it('reads banking77 as published: train and test, no validation part (the trainer holds one out)', async () => {
    const dataset = await loadIntentDataset({ name: 'banking77', sharedDataDir: temp });
    expect(dataset.train).toHaveLength(56);
    expect(dataset.test).toHaveLength(12);
    expect(dataset.validation).toBeUndefined();
    expect(dataset.train[0]).toEqual({ text: 'when will my card arrive', intent: 'card_arrival', language: 'en' });
  });

  it('reads clinc150 with its out-of-scope parts as the out_of_scope intent', async () => {
    const dataset = await loadIntentDataset({ name: 'clinc150', sharedDataDir: temp });
    expect(dataset.train).toHaveLength(48 + 8);
    expect(dataset.validation).toHaveLength(8 + 2);
    expect(dataset.test).toHaveLength(12 + 4);
    expect(dataset.train.filter((example) => example.intent === 'out_of_scope')).toHaveLength(8);
    expect(dataset.test.some((example) => example.intent === 'oos')).toBe(false);
  });

  it('names the missing file and the damaged one', async () => {
    await expect(loadIntentDataset({ name: 'banking77', sharedDataDir: path.join(temp, 'nowhere') })).rejects.toThrow(/nowhere\/banking77\/train\.csv could not be read/);
    const broken = await mkdtemp(path.join(os.tmpdir(), 'kefu-intent-broken-'));
    try {
      await writeIntentFixtures(broken);
      await writeFile(path.join(broken, 'clinc150', 'data_full.json'), '{"train": [');
      await expect(loadIntentDataset({ name: 'clinc150', sharedDataDir: broken })).rejects.toThrow(/data_full\.json is not valid JSON/);
      await writeFile(path.join(broken, 'clinc150', 'data_full.json'), '{"train": []}');
      await expect(loadIntentDataset({ name: 'clinc150', sharedDataDir: broken })).rejects.toThrow(/has no "oos_train" list/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});

describe('renderIntentReport', () => {
  it('shows validation and test figures side by side, the threshold and the timings', () => {
    const report: IntentEvalReport = {
      kind: 'intents',
      dataset: 'clinc150',
      createdAt: '2026-01-01T00:00:00.000Z',
      protocol: 'trained on train + oos_train',
      intentAccuracy: 0.961,
      inScopeAccuracy: 0.943,
      oosRecall: 0.71,
      test: { intentAccuracy: 0.961, inScopeAccuracy: 0.943, inScopeRejected: 0.02, oosRecall: 0.71, inScope: 4500, outOfScope: 1000 },
      validation: { intentAccuracy: 0.96, inScopeAccuracy: 0.95, oosRecall: 0.9, examples: 3100 },
      examples: { train: 15100, validation: 3100, test: 5500 },
      intents: 150,
      threshold: { threshold: 0.42, method: 'balanced-out-of-scope', inScopeAccuracy: 0.95, outOfScopeRecall: 0.9 },
      settings: { ...DEFAULT_INTENT_SETTINGS },
      timing: { embeddingMilliseconds: 0, trainingMilliseconds: 21_000, textsEmbedded: 0, classifyMillisecondsPerMessage: 0.21 },
      confusions: [{ gold: 'card_arrival', predicted: 'card_delivery_estimate', count: 7 }],
    };
    const text = renderIntentReport(report);
    expect(text).toContain('| inScopeAccuracy (threshold applied) | 95.0% | 94.3% |');
    expect(text).toContain('| oosRecall | 90.0% | 71.0% |');
    expect(text).toContain('threshold 0.420 (balanced-out-of-scope)');
    expect(text).toContain('training 21.0 s, classification 0.210 ms per message');
    expect(text).toContain('card_arrival → card_delivery_estimate (7)');
  });
});
