import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerRequest, AnswerResult, RetrievedPassage } from '../src/answer/types.ts';
import { compareReports, renderComparison } from './compare.ts';
import { checkThresholds, renderGate } from './gate.ts';
import { escapeHtml, renderHtml } from './report-html.ts';
import { renderConsoleTable, renderMarkdown } from './report-text.ts';
import { DEFAULT_CONFIGURATIONS, runEvaluation } from './runner.ts';
import type { EvalTarget, LoadedDataset, RunReport } from './types.ts';
import { writeReports } from './write-reports.ts';

const run = promisify(execFile);

function passage(docPath: string, page: number | undefined, text: string): RetrievedPassage {
  return { chunkId: `${docPath}-${page ?? 0}`, docPath, title: docPath, ...(page === undefined ? {} : { page }), headingPath: '', kind: 'passage', text, score: 0.5 };
}

/**
 * A scripted target standing in for the answer service: `ranking` says which passages each
 * configuration returns, so the expected figures are known in advance.
 */
function scriptedTarget(script: Record<string, (request: AnswerRequest) => RetrievedPassage[]>, outcomes: Record<string, AnswerResult['outcome']>): EvalTarget {
  return {
    description: 'scripted',
    async ask(request) {
      const retrieved = (script[request.question] ?? (() => []))(request);
      const outcome = request.retrieveOnly ? 'answered' : (outcomes[request.question] ?? 'answered');
      const answer = outcome === 'refused' ? 'Sorry, I could not find that.' : (retrieved[0]?.text ?? '');
      return {
        answer,
        citations: outcome === 'answered' && retrieved[0] ? [{ n: 1, chunkId: retrieved[0].chunkId, docPath: retrieved[0].docPath, title: '', ...(retrieved[0].page === undefined ? {} : { page: retrieved[0].page }), headingPath: '', quote: '' }] : [],
        outcome,
        confidence: outcome === 'refused' ? 0.1 : 0.8,
        query: request.question,
        conversationId: 'c',
        language: 'en',
        retrieved,
        suggestions: [],
        timings: { retrievalMs: 10, compositionMs: 5, totalMs: 15 },
      };
    },
  };
}

const dataset: LoadedDataset = {
  name: 'tiny',
  corpusDir: '/nowhere',
  issues: [{ kind: 'parse', file: 'questions.jsonl', line: 3, message: 'not valid JSON' }],
  questions: [
    { id: 'q1', question: 'refund window?', gold: [{ document: 'refunds.pdf', page: 2 }], references: ['Refunds are paid within 30 days.'], keyPhrases: ['30 days'], expected: 'answer' },
    { id: 'q2', question: 'shipping cost?', gold: [{ document: 'shipping.pdf', page: 5 }], references: ['Shipping is free.'], keyPhrases: [], expected: 'answer' },
    { id: 'q3', question: 'ceo salary?', gold: [], references: [], keyPhrases: [], expected: 'refuse' },
  ],
};

const goodScript = {
  'refund window?': (request: AnswerRequest) => request.retrievalMode === 'keyword'
    ? [passage('shipping.pdf', 5, 'Shipping is free.'), passage('refunds.pdf', 2, 'Refunds are paid within 30 days <script>alert(1)</script>.')]
    : [passage('refunds.pdf', 2, 'Refunds are paid within 30 days <script>alert(1)</script>.')],
  'shipping cost?': () => [passage('shipping.pdf', 4, 'Shipping is free.'), passage('refunds.pdf', 2, 'Refunds.')],
  'ceo salary?': () => [passage('refunds.pdf', 2, 'Refunds.')],
};

let before: RunReport;
let after: RunReport;
let temp: string;

beforeAll(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kefu-eval-report-'));
  before = await runEvaluation({ dataset, target: scriptedTarget(goodScript, { 'ceo salary?': 'refused', 'shipping cost?': 'answered' }) });
  after = await runEvaluation({
    dataset,
    target: scriptedTarget({ ...goodScript, 'shipping cost?': () => [passage('shipping.pdf', 5, 'Shipping is free.')] }, { 'ceo salary?': 'answered', 'shipping cost?': 'answered' }),
  });
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('runner figures', () => {
  it('scores each configuration side by side, with page ±1 and refusal metrics', () => {
    expect(before.configurations.map((configuration) => configuration.name)).toEqual(DEFAULT_CONFIGURATIONS.map((configuration) => configuration.name));
    // keyword: q1 gold at rank 2, q2 page 4 (gold 5) → strict miss, tolerant hit at 1
    expect(before.summary.keyword).toMatchObject({ scored: 2, 'hit@1': 0, 'hit@3': 0.5, 'mrr@10': 0.25, 'tol.hit@1': 0.5, 'doc.hit@1': 0.5 });
    const main = before.summary['hybrid-adaptive'] ?? {};
    expect(main).toMatchObject({ 'hit@1': 0.5, refusalRecall: 1, falseRefusalRate: 0, 'latency.total.p50': 15 });
    expect(main.keyPhraseCoverage).toBe(1);
    expect(main.citationPrecision).toBe(1); // q1 cites page 2 (gold); q2 cites page 4, within ±1 of 5
    expect(after.summary['hybrid-adaptive']?.refusalRecall).toBe(0);
    // retrieval-only configurations are not asked unanswerable questions
    expect(before.questions.find((record) => record.id === 'q3')?.results.keyword).toBeUndefined();
    expect(before.issues).toHaveLength(1);
  });

  it('prints a table of configurations × metrics', () => {
    const table = renderConsoleTable(before);
    expect(table).toContain('hybrid-adaptive (full)');
    expect(table).toMatch(/hit@1\s+0\.000\s+0\.500/);
    expect(renderMarkdown(before)).toContain('| refusalRecall |');
  });
});

describe('off-topic questions, hard negatives and the FAQ fast path', () => {
  const faqPassage = (faqId: string, text: string): RetrievedPassage => ({ ...passage('faq.json', undefined, text), chunkId: `faq-${faqId}`, kind: 'faq', faqId });
  const mixed: LoadedDataset = {
    name: 'mixed',
    corpusDir: '/nowhere',
    issues: [],
    questions: [
      { id: 'a1', question: 'how do i repay', language: 'zh', gold: [{ faq: '1' }], references: [], keyPhrases: [], expected: 'answer' },
      { id: 'a2', question: 'how do i open it', language: 'zh', gold: [{ faq: '2' }], references: [], keyPhrases: [], expected: 'answer' },
      { id: 'n1', question: 'how do i repay early', language: 'zh', gold: [], references: [], keyPhrases: [], expected: 'refuse', hardNegativeOf: '1' },
      { id: 'n2', question: 'how do i close it', language: 'zh', gold: [], references: [], keyPhrases: [], expected: 'refuse', hardNegativeOf: '2' },
      { id: 'o1', question: 'lifespan of a border collie', language: 'en', gold: [], references: [], keyPhrases: [], expected: 'refuse', offTopic: true, source: 'clinc150' },
      { id: 'o2', question: '豚鹿的性格特点', language: 'zh', gold: [], references: [], keyPhrases: [], expected: 'refuse', offTopic: true, source: 'lcqmc' },
    ],
  };
  const script = {
    'how do i repay': () => [faqPassage('1', 'repay'), faqPassage('2', 'open')],
    'how do i open it': () => [faqPassage('1', 'repay'), faqPassage('2', 'open')],
    'how do i repay early': () => [faqPassage('1', 'repay')],
    'how do i close it': () => [faqPassage('3', 'close')],
    'lifespan of a border collie': () => [faqPassage('1', 'repay')],
    '豚鹿的性格特点': () => [faqPassage('2', 'open')],
  };
  let report: RunReport;
  beforeAll(async () => {
    report = await runEvaluation({
      dataset: mixed,
      target: scriptedTarget(script, { 'how do i repay': 'faq', 'how do i open it': 'faq', 'how do i repay early': 'faq', 'how do i close it': 'clarify', 'lifespan of a border collie': 'refused', '豚鹿的性格特点': 'faq' }),
      split: 'test',
      seed: 42,
    });
  });

  it('scores off-topic questions apart from the dataset\'s own refusals, per language too', () => {
    const main = report.summary['hybrid-adaptive'] ?? {};
    expect(main).toMatchObject({ offTopicQuestions: 2, offTopicRefusal: 0.5, 'offTopicRefusal.en': 1, 'offTopicRefusal.zh': 0, offTopicFaqAnswers: 1 });
    // the dataset's own unanswerable questions (the hard negatives): one answered verbatim, one "did you mean…?"
    expect(main.refusalRecall).toBe(0.5);
    expect(report).toMatchObject({ split: 'test', seed: 42, offTopic: 2 });
  });

  it('measures the fast path on answerable questions, on the whole run, and on hard negatives', () => {
    const main = report.summary['hybrid-adaptive'] ?? {};
    // a1 answered with its gold entry 1; a2 with entry 1 instead of 2
    expect(main).toMatchObject({ faqAnswers: 2, faqPrecision: 0.5, hardNegatives: 2, hardNegativeVerbatim: 0.5 });
    // four verbatim answers in all, one of them right
    expect(main.faqPrecisionAll).toBeCloseTo(0.25, 6);
    expect(report.questions.find((record) => record.id === 'n1')?.results['hybrid-adaptive']?.faqId).toBe('1');
  });

  it('flags each kind of problem in the HTML report, with a filter', () => {
    const html = renderHtml(report);
    expect(html).toContain('data-flags="not-refused hard-negative"');
    expect(html).toContain('hard negative answered verbatim (1)');
    expect(html).toContain('off-topic · clinc150');
    expect(html).toContain('<select id="flag">');
    expect(renderConsoleTable(report)).toContain('split test (seed 42), 4 questions (+2 off-topic)');
  });
});

describe('answered-but-wrong and answer shape', () => {
  it('flags an answer without the key phrase or reference, apart from retrieval misses', async () => {
    const shaped: LoadedDataset = {
      name: 'shaped',
      corpusDir: '/nowhere',
      issues: [],
      questions: [
        { id: 'right', question: 'refund window?', gold: [{ document: 'refunds.pdf', page: 2 }], references: ['30 days'], keyPhrases: ['30 days'], expected: 'answer' },
        { id: 'wrong', question: 'restocking fee?', gold: [{ document: 'refunds.pdf', page: 2 }], references: ['no fee'], keyPhrases: ['no fee'], expected: 'answer' },
        // a sentence-long reference written in other words is not expected verbatim: not flagged
        { id: 'worded', question: 'how are refunds paid?', gold: [{ document: 'refunds.pdf', page: 2 }], references: ['Once your return has been received and inspected, the refund is sent back to the original method of payment within a month, as the policy explains in detail.'], keyPhrases: [], expected: 'answer' },
      ],
    };
    const text = 'Refunds are paid within **30 days** [1]. Refunds are paid within 30 days [1].';
    const report = await runEvaluation({ dataset: shaped, target: scriptedTarget({ 'refund window?': () => [passage('refunds.pdf', 2, text)], 'restocking fee?': () => [passage('refunds.pdf', 2, text)], 'how are refunds paid?': () => [passage('refunds.pdf', 2, text)] }, {}) });
    const main = report.summary['hybrid-adaptive'] ?? {};
    expect(main).toMatchObject({ referenceContained: 1 / 3, keyPhraseCoverage: 0.5, repeatedSentenceShare: 1, usedRightPassage: 1 });
    expect(main.answerChars).toBe('Refunds are paid within 30 days. Refunds are paid within 30 days.'.length);
    const html = renderHtml(report);
    expect(html.match(/data-flags="[^"]*answered-wrong/g)).toHaveLength(1);
    expect(html).toContain('answered, wrong (1)');
  });
});

describe('compare', () => {
  it('lists what improved and what regressed, question by question', () => {
    const comparison = compareReports(before, after);
    expect(comparison.improved).toContainEqual(expect.objectContaining({ id: 'q2', configuration: 'hybrid-adaptive', change: 'rank miss → 1' }));
    expect(comparison.regressed).toContainEqual(expect.objectContaining({ id: 'q3', change: 'outcome refused → answered (expected refuse)' }));
    const text = renderComparison(comparison);
    expect(text).toMatch(/▲ hybrid-adaptive\s+hit@1\s+0\.500 →\s+1\.000/);
    expect(text).toMatch(/▼ hybrid-adaptive\s+refusalRecall/);
    expect(text).toContain('Regressed (1):');
  });
});

describe('gate', () => {
  it('passes at or above the thresholds and lists each failing metric with value and threshold', () => {
    expect(checkThresholds(before, { tiny: { 'hybrid-adaptive': { 'hit@1': 0.5, falseRefusalRate: 0.1 } } }).failures).toEqual([]);
    const result = checkThresholds(after, { tiny: { 'hybrid-adaptive': { refusalRecall: 0.8, 'latency.total.p95': 10, 'made.up': { min: 0 } } } });
    expect(result.failures.map((failure) => [failure.metric, failure.value, failure.bound, failure.threshold])).toEqual([
      ['refusalRecall', 0, 'min', 0.8],
      ['latency.total.p95', 15, 'max', 10],
      ['made.up', undefined, 'min', 0],
    ]);
    expect(renderGate(after, result)).toContain('hybrid-adaptive refusalRecall = 0.000, needs >= 0.800');
    expect(() => checkThresholds(after, {})).toThrow(/no thresholds for dataset tiny/);
  });

  it('refuses to check a run of another half than the thresholds were set on', () => {
    const thresholds = { tiny: { _split: 'test', 'hybrid-adaptive': { 'hit@1': 0.5 } } };
    expect(() => checkThresholds(before, thresholds)).toThrow(/thresholds for tiny are for --split test, and this run asked --split all/);
    expect(checkThresholds({ ...before, split: 'test' }, thresholds).failures).toEqual([]);
  });

  it('makes `kefu eval --compare` and bad input exit as documented', async () => {
    const files = [path.join(temp, 'old.json'), path.join(temp, 'new.json')];
    await writeFile(files[0] ?? '', JSON.stringify(before));
    await writeFile(files[1] ?? '', JSON.stringify(after));
    const kefu = path.resolve('bin/kefu.js');
    const node = path.resolve('node_modules/.bin/node');
    const { stdout } = await run(node, [kefu, 'eval', '--compare', ...files]);
    expect(stdout).toContain('q3 [hybrid-adaptive] outcome refused → answered');
    await writeFile(path.join(temp, 'broken.json'), '{"not": "a report"}');
    await expect(run(node, [kefu, 'eval', '--compare', files[0] ?? '', path.join(temp, 'broken.json')])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('is not a report written by kefu eval --json') });
    await expect(run(node, [kefu, 'eval', '--dataset', 'nonesuch'], { env: { ...process.env, KEFU_DATA_DIR: temp } })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('Unknown dataset: nonesuch') });
  }, 90_000);
});

describe('HTML report', () => {
  it('escapes document text, so a passage with <script> cannot run', async () => {
    expect(escapeHtml('<script>"x" & \'y\'</script>')).toBe('&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
    const html = renderHtml(before);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // exactly one script element: the report's own filter
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('writes JSON, Markdown and HTML with latest copies', async () => {
    const files = await writeReports({ report: before, directory: temp });
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toMatchObject({ version: 1, dataset: 'tiny' });
    expect(await readFile(path.join(temp, 'tiny-latest.html'), 'utf8')).toContain('Evaluation: tiny');
    expect(await readFile(files.markdown, 'utf8')).toContain('# Evaluation: tiny');
  });
});
