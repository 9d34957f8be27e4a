import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReportLike } from '../src/answer/training-rows.ts';
import { loadAnswerabilityModel } from '../src/answer/answerability.ts';
import { trainOwnModels } from './train-own.ts';

let temp: string;
beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-train-own-'));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** An owner's dataset as `kefu eval` reports it: answerable questions with strong evidence, unanswerable ones weak. */
function report(answerable: number, unanswerable: number): EvalReportLike {
  const question = (index: number, expected: 'answer' | 'refuse') => {
    const noise = ((index * 37) % 13) / 100;
    const strong = expected === 'answer';
    return {
      id: `${expected}-${index}`,
      expected,
      gold: [],
      results: {
        'hybrid-adaptive': {
          evidence: {
            features: { vectorUsable: 1, topCosine: strong ? 0.7 - noise : 0.3 + noise, bestPassageCoverage: strong ? 0.8 - noise : 0.3 + noise, focusCoverage: strong ? 0.9 - noise : 0.2 + noise, unknownShare: strong ? 0 : 0.3 },
          },
        },
      },
    };
  };
  return {
    dataset: 'my-shop',
    questions: [
      ...Array.from({ length: answerable }, (_, index) => question(index, 'answer')),
      ...Array.from({ length: unanswerable }, (_, index) => question(index, 'refuse')),
    ],
  } as unknown as EvalReportLike;
}

describe('kefu eval --train-answerability', () => {
  it('writes a model kefu can load, with held-out figures and the variable to set', async () => {
    const file = path.join(temp, 'mine.json');
    const text = await trainOwnModels({ report: report(40, 20), file });
    expect(text).toContain('fold 1 of 2');
    expect(text).toContain(`KEFU_ANSWERABILITY_MODEL=${file}`);
    expect(text).toContain('FAQ gate kept');
    const model = loadAnswerabilityModel(file);
    expect(model.trainedOn).toEqual(['my-shop']);
    expect(JSON.parse(await readFile(file, 'utf8')).threshold).toBeGreaterThan(0);
  });

  it('refuses a dataset without enough unanswerable questions, saying what to add', async () => {
    const file = path.join(temp, 'too-small.json');
    await expect(trainOwnModels({ report: report(40, 3), file })).rejects.toMatchObject({ code: 'DATASET_INVALID', detail: expect.stringContaining('this run has 40 and 3') });
    await expect(readFile(file)).rejects.toThrow();
  });
});
