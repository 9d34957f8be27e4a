import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePagedPdf } from '../test/support/pdf.ts';
import { checkGold, readCatalog } from './catalog.ts';
import { loadDataset, parseJsonlQuestions, sampleQuestions } from './datasets.ts';

let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-eval-'));
});
afterEach(async () => {
  await rm(temp, { recursive: true, force: true });
});

async function writePdf(file: string, pages: string[]): Promise<void> {
  await writeFile(file, await makePagedPdf(pages));
}

describe('kefu JSONL dataset format', () => {
  it('reports a broken line and a line without a question by line number, and keeps the rest', () => {
    const text = [
      '{"id": "q1", "question": "How long is the refund window?", "gold": [{"document": "refunds.md"}], "reference": "30 days", "keyPhrases": ["30 days"]}',
      '{"question": "broken" ',
      '{"id": "q3", "reference": "no question here"}',
      '{"id": "q4", "question": "Can I speak to a person?", "expected": "handoff", "history": [{"role": "user", "text": "hi"}]}',
    ].join('\n');
    const { questions, issues } = parseJsonlQuestions(text, 'qa.jsonl');
    expect(questions.map((question) => question.id)).toEqual(['q1', 'q4']);
    expect(questions[0]?.gold).toEqual([{ document: 'refunds.md' }]);
    expect(questions[1]?.expected).toBe('handoff');
    expect(questions[1]?.history).toEqual([{ role: 'user', text: 'hi' }]);
    expect(issues).toEqual([
      { kind: 'parse', file: 'qa.jsonl', line: 2, message: 'not valid JSON' },
      { kind: 'parse', file: 'qa.jsonl', line: 3, message: 'no "question"' },
    ]);
  });

  it('reads a question\'s split group from its "group" field', () => {
    const { questions } = parseJsonlQuestions('{"id": "a", "question": "q?", "group": "returns"}\n{"id": "b", "question": "r?", "group": "  "}');
    expect(questions.map((question) => question.group)).toEqual(['returns', undefined]);
  });

  it('rejects an unknown dataset name with DATASET_UNKNOWN', async () => {
    await expect(loadDataset({ dataset: 'northwnd', evalDir: temp })).rejects.toMatchObject({ code: 'DATASET_UNKNOWN' });
  });

  it('rejects a file that is not a dataset with DATASET_INVALID', async () => {
    await writeFile(path.join(temp, 'notes.txt'), 'hello');
    await expect(loadDataset({ dataset: path.join(temp, 'notes.txt'), evalDir: temp })).rejects.toMatchObject({ code: 'DATASET_INVALID' });
  });

  it('reads the corpus folder named by dataset.json, relative to the dataset folder', async () => {
    const documents = path.join(temp, 'knowledge', 'policies');
    await mkdir(path.join(documents, 'en'), { recursive: true });
    await writeFile(path.join(documents, 'en', 'returns.md'), '# Returns\n\nYou have 30 days.\n');
    const folder = path.join(temp, 'eval', 'datasets', 'mine');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'questions.jsonl'), `${JSON.stringify({ id: 'window', question: 'how long to return?', gold: [{ document: 'en/returns.md' }] })}\n`);
    await writeFile(path.join(folder, 'dataset.json'), JSON.stringify({ corpus: '../../../knowledge/policies' }));

    const dataset = await loadDataset({ dataset: folder, evalDir: temp });
    expect(dataset.name).toBe('mine');
    expect(dataset.corpusDir).toBe(documents);
    expect(checkGold(dataset.questions, await readCatalog(dataset.corpusDir)).issues).toEqual([]);

    await writeFile(path.join(folder, 'dataset.json'), JSON.stringify({ corpus: '../nowhere' }));
    await expect(loadDataset({ dataset: folder, evalDir: temp }))
      .rejects.toMatchObject({ code: 'DATASET_INVALID', message: expect.stringContaining('dataset.json') });
    await writeFile(path.join(folder, 'dataset.json'), JSON.stringify({ corpus: 42 }));
    await expect(loadDataset({ dataset: folder, evalDir: temp })).rejects.toMatchObject({ code: 'DATASET_INVALID' });
  });

  it('samples the same subset every time', () => {
    const items = [...Array(100).keys()];
    const first = sampleQuestions(items, 10);
    expect(first).toHaveLength(10);
    expect(sampleQuestions(items, 10)).toEqual(first);
    expect(first).toEqual([...first].sort((left, right) => left - right));
    expect(sampleQuestions(items, 10, 7)).not.toEqual(first);
  });
});

describe('built-in adapters on tiny fixtures', () => {
  it('reads Northwind: page gold from [file.pdf#page=N], unanswerable questions, a broken line', async () => {
    const source = path.join(temp, 'shared', 'northwind');
    await mkdir(path.join(source, 'pdfs'), { recursive: true });
    await writePdf(path.join(source, 'pdfs', 'Plan.pdf'), ['Page one about deductibles.', 'Page two about copays.']);
    await writeFile(path.join(source, 'qa.jsonl'), [
      JSON.stringify({ question: 'What is the copay?', truth: 'The copay is $20.[Plan.pdf#page=2]' }),
      '{not json',
      JSON.stringify({ question: 'What is on page nine?', truth: 'Nothing.[Plan.pdf#page=9][Gone.pdf#page=1]' }),
    ].join('\n'));
    await writeFile(path.join(source, 'qa_dontknows.jsonl'), `${JSON.stringify({ question: 'What is the CEO\'s salary?', truth: 'Generated from this prompt: ...' })}\n`);

    const dataset = await loadDataset({ dataset: 'northwind', evalDir: path.join(temp, 'eval'), sharedDataDir: path.join(temp, 'shared') });
    expect(dataset.corpusDir).toBe(path.join(temp, 'eval', 'northwind', 'corpus'));
    expect(dataset.questions.map((question) => [question.id, question.expected])).toEqual([['qa-1', 'answer'], ['qa-3', 'answer'], ['dontknow-1', 'refuse']]);
    expect(dataset.questions[0]?.gold).toEqual([{ document: 'Plan.pdf', page: 2 }]);
    // split groups: answerable questions by their first gold page, unanswerable ones alone
    expect(dataset.questions.map((question) => question.group)).toEqual(['Plan.pdf#page=2', 'Plan.pdf#page=9', undefined]);
    expect(dataset.questions[0]?.references).toEqual(['The copay is $20.']);
    expect(dataset.issues).toEqual([{ kind: 'parse', file: 'qa.jsonl', line: 2, message: 'not valid JSON' }]);

    // gold that does not exist in the corpus is a dataset error, not a miss
    const checked = checkGold(dataset.questions, await readCatalog(dataset.corpusDir));
    expect(checked.questions.map((question) => question.id)).toEqual(['qa-1', 'dontknow-1']);
    expect(checked.issues.map((issue) => issue.message)).toEqual([
      'gold page 9 of Plan.pdf does not exist (it has 2 pages)',
      'gold document Gone.pdf is not in the corpus',
    ]);
  });

  it('reads StackFAQ: one FAQ entry per thread without the paraphrases, one question per paraphrase', async () => {
    const source = path.join(temp, 'shared', 'stackfaq');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'stackExchange-FAQ.json'), JSON.stringify({ root: { qapair: [
      { question: 'Strikethrough in Markdown', answer: ['Use ~~tildes~~.', 'Or <del>.'], rephr: ['How to cross out text?', '*', null, ''] },
      { question: 'Undo a commit', answer: 'git reset HEAD~1', rephr: ['How do I revert my last commit?'] },
    ] } }));
    const dataset = await loadDataset({ dataset: 'stackfaq', evalDir: path.join(temp, 'eval'), sharedDataDir: path.join(temp, 'shared') });
    const faq = JSON.parse(await readFile(path.join(dataset.corpusDir, 'stackfaq.json'), 'utf8')) as unknown[];
    expect(faq).toEqual([
      { id: '0', question: 'Strikethrough in Markdown', answer: 'Use ~~tildes~~.\n\nOr <del>.' },
      { id: '1', question: 'Undo a commit', answer: 'git reset HEAD~1' },
    ]);
    expect(dataset.questions.map((question) => [question.question, question.gold, question.group])).toEqual([
      ['How to cross out text?', [{ faq: '0' }], 'thread-0'],
      ['How do I revert my last commit?', [{ faq: '1' }], 'thread-1'],
    ]);
    const catalog = await readCatalog(dataset.corpusDir);
    const unknownFaq = dataset.questions.slice(0, 1).map((question) => ({ ...question, gold: [{ faq: '7' }] }));
    expect(checkGold(unknownFaq, catalog).issues[0]?.message).toBe('gold FAQ id 7 is not in the corpus');
  });

  it('reads CMRC 2018 (SQuAD layout): one text file per paragraph, gold = own paragraph', async () => {
    const source = path.join(temp, 'shared', 'cmrc2018');
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'cmrc2018_dev.json'), JSON.stringify({ version: 'v1', data: [{ paragraphs: [{
      id: 'DEV_0',
      context: '《战国无双3》是由光荣和ω-force开发的。',
      qas: [{ question: '《战国无双3》是由哪两个公司合作开发的？', id: 'DEV_0_QUERY_0', answers: [{ text: '光荣和ω-force', answer_start: 9 }, { text: '光荣和ω-force', answer_start: 9 }] }],
    }, {
      id: 'DEV_1',
      context: '村雨城模式是任天堂游戏改编的。',
      qas: [{ question: '村雨城模式是谁改编的？', id: 'DEV_1_QUERY_0', answers: [{ text: '任天堂', answer_start: 6 }] }],
    }] }] }));
    const limited = await loadDataset({ dataset: 'cmrc2018', evalDir: path.join(temp, 'eval'), sharedDataDir: path.join(temp, 'shared'), corpusLimit: 1 });
    expect(limited.corpusDir).toBe(path.join(temp, 'eval', 'cmrc2018-first1', 'corpus'));
    expect(limited.questions.map((question) => question.id)).toEqual(['DEV_0_QUERY_0']);
    const dataset = await loadDataset({ dataset: 'cmrc2018', evalDir: path.join(temp, 'eval'), sharedDataDir: path.join(temp, 'shared') });
    expect(await readFile(path.join(dataset.corpusDir, 'DEV_0.txt'), 'utf8')).toContain('光荣和ω-force');
    expect(dataset.questions).toHaveLength(2);
    expect(dataset.questions[0]).toMatchObject({ id: 'DEV_0_QUERY_0', language: 'zh', gold: [{ document: 'DEV_0.txt' }], references: ['光荣和ω-force'], group: 'DEV_0' });
  });

  it('says which file is missing when the shared data is not there', async () => {
    await expect(loadDataset({ dataset: 'cmrc2018', evalDir: temp, sharedDataDir: path.join(temp, 'nowhere') }))
      .rejects.toMatchObject({ code: 'DATASET_INVALID', message: expect.stringContaining('cmrc2018_dev.json') });
  });
});
