import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offTopicQuestions } from './off-topic.ts';

let shared: string;

/** Small copies of the five source datasets, in their published layouts. */
beforeAll(async () => {
  shared = await mkdtemp(path.join(os.tmpdir(), 'kefu-off-topic-'));
  const write = async (file: string, content: string) => {
    await mkdir(path.dirname(path.join(shared, file)), { recursive: true });
    await writeFile(path.join(shared, file), content);
  };
  const oos = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => [`${prefix} utterance ${index}`, 'oos']);
  await write('clinc150/data_full.json', JSON.stringify({ train: [['book a flight', 'book_flight']], oos_train: oos('train', 5), oos_val: oos('val', 5), oos_test: oos('test', 10) }));
  await write('northwind/qa.jsonl', Array.from({ length: 12 }, (_, index) => JSON.stringify({ question: `What does plan page ${index} cover?`, truth: `It covers it.[Plan.pdf#page=${index + 1}]` })).join('\n'));
  await write('northwind/qa_dontknows.jsonl', Array.from({ length: 4 }, (_, index) => JSON.stringify({ question: `Unknowable question ${index}?`, truth: 'none' })).join('\n'));
  await write('stackfaq/stackExchange-FAQ.json', JSON.stringify({ root: { qapair: Array.from({ length: 8 }, (_, index) => ({ question: `Thread ${index}`, answer: ['An answer.'], rephr: [`how do i do thing ${index}`, `thing ${index} how`] })) } }));
  await write('lcqmc/dev.txt', ['text_a\ttext_b\tlabel', ...Array.from({ length: 10 }, (_, index) => `开发问题${index}\t开发问法${index}\t1`)].join('\n'));
  await write('lcqmc/test.txt', ['text_a\ttext_b\tlabel', ...Array.from({ length: 10 }, (_, index) => `测试问题${index}\t测试问法${index}\t0`)].join('\n'));
  await write('cmrc2018/cmrc2018_dev.json', JSON.stringify({ data: [{ paragraphs: Array.from({ length: 10 }, (_, index) => ({ id: `P${index}`, context: '段落。', qas: [{ id: `P${index}_Q`, question: `第${index}段讲了什么？`, answers: [{ text: '段落' }] }] })) }] }));
});
afterAll(async () => {
  await rm(shared, { recursive: true, force: true });
});

describe('off-topic questions from other datasets', () => {
  it('takes half English, half Chinese, spread over the sources, marked off-topic and expected refused', async () => {
    const questions = await offTopicQuestions({ count: 13, split: 'test', seed: 42, sharedDataDir: shared });
    expect(questions).toHaveLength(13);
    expect(questions.filter((question) => question.language === 'en')).toHaveLength(7);
    expect(questions.filter((question) => question.language === 'zh')).toHaveLength(6);
    const bySource = (source: string) => questions.filter((question) => question.source === source).length;
    expect([bySource('clinc150'), bySource('northwind'), bySource('stackfaq')]).toEqual([3, 2, 2]);
    expect([bySource('lcqmc'), bySource('cmrc2018')]).toEqual([3, 3]);
    for (const question of questions) expect(question).toMatchObject({ expected: 'refuse', offTopic: true, gold: [] });
    expect(new Set(questions.map((question) => question.id)).size).toBe(13);
    // seeded: the same call gives the same questions
    expect((await offTopicQuestions({ count: 13, split: 'test', seed: 42, sharedDataDir: shared })).map((question) => question.question)).toEqual(questions.map((question) => question.question));
  });

  it('draws dev and test questions from disjoint pools', async () => {
    const dev = await offTopicQuestions({ count: 40, split: 'dev', seed: 42, sharedDataDir: shared });
    const test = await offTopicQuestions({ count: 40, split: 'test', seed: 42, sharedDataDir: shared });
    const devTexts = new Set(dev.map((question) => question.question));
    expect(test.filter((question) => devTexts.has(question.question))).toEqual([]);
    expect(dev.filter((question) => question.source === 'clinc150').every((question) => /^(train|val) /.test(question.question))).toBe(true);
    expect(test.filter((question) => question.source === 'clinc150').every((question) => question.question.startsWith('test '))).toBe(true);
    expect(dev.filter((question) => question.source === 'lcqmc').every((question) => question.question.startsWith('开发'))).toBe(true);
  });

  it('never asks a corpus its own dataset\'s questions, nor a question already in the run', async () => {
    const questions = await offTopicQuestions({ count: 30, split: 'all', seed: 1, sharedDataDir: shared, exclude: 'northwind', existing: ['TEST utterance 3'] });
    expect(questions.some((question) => question.source === 'northwind')).toBe(false);
    expect(questions.some((question) => question.question === 'test utterance 3')).toBe(false);
  });

  it('says which files it needs when a language has no source', async () => {
    await expect(offTopicQuestions({ count: 4, split: 'test', sharedDataDir: path.join(shared, 'nowhere') }))
      .rejects.toMatchObject({ code: 'DATASET_INVALID', message: expect.stringContaining('--off-topic needs English questions') });
  });
});
