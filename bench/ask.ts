/**
 * `npm run bench:ask`: how fast `kefu ask` answers on the bundled sample knowledge base.
 * Start-up (model + index + sync) is timed once; then 100 questions (English and Chinese, FAQ
 * matches, policy answers, refusals, follow-ups) are answered in-process and the median reported.
 * Target: median < 100 ms after start-up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { openKnowledgeBase } from '../cli/knowledge-base.ts';

const questions = [
  'How long do I have to return an item?',
  'When will I get my refund?',
  'Do you ship to Hong Kong?',
  'How long is the warranty on a kettle?',
  'Can I pay with PayPal?',
  'How do I get an invoice for my order?',
  'What personal data do you collect?',
  'Is return shipping free?',
  'What happens if my parcel arrives damaged?',
  'Can I change my delivery address after ordering?',
  '退款多久到账？',
  '可以退货吗？',
  '保修期多长？',
  '怎么开发票？',
  '运费是多少？',
  '你们收集哪些个人信息？',
  'Who won the FIFA World Cup in 2018?',
  '火星上有几颗卫星？',
  'I want to talk to a human',
  'and for refurbished items?',
];

const dataDir = await mkdtemp(path.join(tmpdir(), 'kefu-bench-ask-'));
try {
  const config = loadConfig({ env: { KEFU_DATA_DIR: dataDir }, dotenvDir: null, cwd: dataDir });
  let started = performance.now();
  const knowledgeBase = await openKnowledgeBase({ config, sync: true, onSynced: (summary) => console.log(`first start: indexed ${summary.indexed.length} sample files`) });
  const firstStartMs = performance.now() - started;
  await knowledgeBase.close();

  started = performance.now();
  const warm = await openKnowledgeBase({ config, sync: true });
  await warm.answerService.prepare();
  const startUpMs = performance.now() - started;

  const times: number[] = [];
  const outcomes = new Map<string, number>();
  for (let index = 0; index < 100; index++) {
    const question = questions[index % questions.length] ?? '';
    const history = question.startsWith('and for') ? [{ role: 'user' as const, text: 'How long do I have to return an item?' }] : [];
    const askStarted = performance.now();
    const result = await warm.answerService.answer({ question, history });
    times.push(performance.now() - askStarted);
    outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
  }
  await warm.close();
  times.sort((a, b) => a - b);
  const at = (fraction: number) => (times[Math.min(times.length - 1, Math.floor(times.length * fraction))] ?? 0).toFixed(1);
  console.log('\nkefu ask on the sample knowledge base');
  console.log(`  first start (convert model if needed, index the sample): ${(firstStartMs / 1000).toFixed(1)} s`);
  console.log(`  later start-up (model, index, unchanged sync, prepare):   ${startUpMs.toFixed(0)} ms`);
  console.log(`  100 answers: median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms   (target: median < 100 ms)`);
  console.log(`  outcomes: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
