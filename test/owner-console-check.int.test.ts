/**
 * The check before publishing through HTTP: with KEFU_EVAL_DATASET set (the repository's sample dataset over the
 * bundled sample knowledge base), an owner's proposed FAQ answer is evaluated against the dataset without and with it.
 * An answer to a question the dataset says kefu must decline shows up as a regression; without a dataset the route
 * says how to set one.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts } from '../src/accounts/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import type { RecordsStore } from '../src/records/types.ts';
import { buildApp, type KefuApp } from '../src/server/app.ts';
import { createOwnerConsole } from '../cli/owner-console.ts';
import { createChatFixture, type ChatFixture } from './support/chat-fixture.ts';

const dataset = path.resolve(import.meta.dirname, '..', 'eval', 'datasets', 'sample');

let fixture: ChatFixture;
let records: RecordsStore;
let app: KefuApp;
let owner: string;

beforeAll(async () => {
  fixture = await createChatFixture({ KEFU_EVAL_DATASET: dataset });
  records = openSqliteRecords({ path: path.join(fixture.dataDir, 'kefu.db') });
  const console = createOwnerConsole({ config: fixture.config, records, store: fixture.store, embedder: fixture.embedder, answerService: fixture.answerService });
  app = await buildApp({ config: fixture.config, answerService: fixture.answerService, records, logger: false, owner: console });
  owner = (await createAccounts({ records, settings: fixture.config.accounts }).addUser({ name: 'olivia', role: 'owner' })).token;
});

afterAll(async () => {
  await app?.close();
  await records?.close();
  await fixture?.close();
});

describe('check before publishing', () => {
  it('evaluates the dataset without and with the proposed answer and lists what regressed', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/admin/checks',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      payload: { question: 'Do you sell gaming laptops?', answer: 'Yes: gaming laptops from $999.', wordings: ['do you sell gaming laptops?'] },
    });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json() as { dataset: string; questions: number; metrics: Array<{ metric: string }>; regressed: Array<{ id: string }>; improved: Array<{ id: string }> };
    expect(result.dataset).toBe('sample');
    expect(result.questions).toBeGreaterThan(50);
    expect(result.metrics.length).toBeGreaterThan(0);
    // The dataset says kefu must decline this one (the shop sells no laptops): answering it is a regression.
    expect(result.regressed.map((item) => item.id)).toContain('near-laptops-en');
    expect(result.improved.map((item) => item.id)).not.toContain('near-laptops-en');
  });
});
