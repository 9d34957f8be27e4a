/**
 * Knowledge-gap and KPI-report figures (issue 13):
 *
 * 1. Grouping quality at the default thresholds and a sweep, on seeded dev/test halves: English by sentence vectors on
 *    banking77 (utterances of one intent should share a group: pairwise precision, recall, F1, F0.5), Chinese by words
 *    and character pairs on LCQMC pairs (label 1 = same question: the same of "similarity ≥ threshold"). The threshold
 *    with the best dev F0.5 (precision first: two different questions merged into one FAQ entry is worse than one
 *    question shown as two groups) is reported with its test figures next to the default's.
 * 2. Scale: 100,000 logged questions (banking77 and LCQMC wordings drawn with repeats, as customers repeat themselves;
 *    all refused, the worst case) in real SQLite records, listed as gaps by the real gap service with the bundled
 *    model: the first listing (embeds every distinct English wording once) and a second one (vectors cached in the
 *    records), with the service's own split (read, vectors, grouping); then the KPI report over the same records.
 *    Targets: grouping <= 10 s, report <= 2 s.
 *
 * Prints figures and the load average; asserts nothing. Reads ../shared/eval-data (read-only).
 * Run: npm run bench:gaps [-- --questions 100000 --skip-quality]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { loadConfig } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { createGapService, createKnowledgeFiles, DEFAULT_GROUPING, groupQuestions, lexicalFeatures, lexicalSimilarity, quantise, type GroupItem } from '../src/gaps/index.ts';
import { openSqliteRecords } from '../src/records/index.ts';
import { seededRandom as random } from '../eval/splits.ts';
import { createOwnerReports } from '../cli/owner-console.ts';

const root = path.resolve(import.meta.dirname, '..');
const data = path.resolve(root, '..', 'shared', 'eval-data');
const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const QUESTIONS = Number(argument('--questions') ?? 100_000);
const SKIP_QUALITY = process.argv.includes('--skip-quality');
const SEED = 13;
const QUESTIONS_PER_CONVERSATION = 4;

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;


function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = random(seed);
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(next() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

interface Scores {
  precision: number;
  recall: number;
  f1: number;
  /** F0.5: precision weighs twice as much as recall. */
  f05: number;
}

function scores(truePositive: number, predicted: number, actual: number): Scores {
  const precision = predicted > 0 ? truePositive / predicted : 0;
  const recall = actual > 0 ? truePositive / actual : 0;
  const fBeta = (beta: number) => (precision + recall > 0 ? ((1 + beta * beta) * precision * recall) / (beta * beta * precision + recall) : 0);
  return { precision, recall, f1: fBeta(1), f05: fBeta(0.5) };
}

const format = (value: Scores) => `P ${value.precision.toFixed(3)}  R ${value.recall.toFixed(3)}  F1 ${value.f1.toFixed(3)}  F0.5 ${value.f05.toFixed(3)}`;
const pairs = (count: number) => (count * (count - 1)) / 2;

/** Pairwise precision/recall of groups against labels: a pair is predicted together when it shares a group. */
function pairwise(groups: string[][], labelOf: Map<string, string>): Scores {
  let predicted = 0;
  let truePositive = 0;
  for (const group of groups) {
    predicted += pairs(group.length);
    const byLabel = new Map<string, number>();
    for (const key of group) byLabel.set(labelOf.get(key) ?? '', (byLabel.get(labelOf.get(key) ?? '') ?? 0) + 1);
    for (const count of byLabel.values()) truePositive += pairs(count);
  }
  const totals = new Map<string, number>();
  for (const label of labelOf.values()) totals.set(label, (totals.get(label) ?? 0) + 1);
  const actual = [...totals.values()].reduce((sum, count) => sum + pairs(count), 0);
  return scores(truePositive, predicted, actual);
}

async function readCsv(file: string): Promise<string[][]> {
  return parseCsv(await readFile(file, 'utf8'), { relax_column_count: true }) as string[][];
}

async function readLcqmc(file: string): Promise<Array<{ a: string; b: string; same: boolean }>> {
  const lines = (await readFile(file, 'utf8')).split('\n').slice(1);
  return lines.flatMap((line) => {
    const [a, b, label] = line.split('\t');
    return a && b && (label?.trim() === '1' || label?.trim() === '0') ? [{ a: a.trim(), b: b.trim(), same: label.trim() === '1' }] : [];
  });
}

const config = loadConfig({ env: { KEFU_LOG_LEVEL: 'warn' }, dotenvDir: null, cwd: root });
const embedder = await createEmbedder({ config, logger: { warn: (message) => console.error(message) } });
console.log(`kefu gap bench: ${QUESTIONS.toLocaleString('en')} questions; load average ${load()}\n`);

const banking = [...(await readCsv(path.join(data, 'banking77', 'train.csv'))).slice(1), ...(await readCsv(path.join(data, 'banking77', 'test.csv'))).slice(1)].filter((row) => row[0] && row[1]);
const lcqmcDev = await readLcqmc(path.join(data, 'lcqmc', 'dev.txt'));
const lcqmcTest = await readLcqmc(path.join(data, 'lcqmc', 'test.txt'));

// --- 1. quality ---------------------------------------------------------------------------------------------------

if (!SKIP_QUALITY) {
  // banking77 test utterances (3,080), seeded halves.
  const test = (await readCsv(path.join(data, 'banking77', 'test.csv'))).slice(1).filter((row) => row[0] && row[1]);
  const mixed = shuffled(test, SEED);
  const halves = { dev: mixed.slice(0, Math.floor(mixed.length / 2)), test: mixed.slice(Math.floor(mixed.length / 2)) };
  const started = Date.now();
  const vectors = await embedder.embedDocuments(test.map((row) => row[0] as string));
  console.log(`embedded ${test.length} banking77 utterances in ${seconds(Date.now() - started)}`);
  const vectorOf = new Map(test.map((row, index) => [row[0] as string, quantise(vectors[index] ?? [])]));
  const thresholds = [0.55, 0.6, 0.65, 0.7, 0.72, 0.75, 0.8, 0.85];
  const vectorResults: Record<'dev' | 'test', Map<number, Scores>> = { dev: new Map(), test: new Map() };
  for (const half of ['dev', 'test'] as const) {
    const rows = halves[half];
    const labelOf = new Map(rows.map((row, index) => [`${index}`, row[1] as string]));
    const items: GroupItem[] = rows.map((row, index) => ({ key: `${index}`, text: row[0] as string, firstSeen: new Date(1_700_000_000_000 + index * 1000).toISOString(), vector: vectorOf.get(row[0] as string) as Int8Array }));
    for (const vector of thresholds) vectorResults[half].set(vector, pairwise(groupQuestions({ items, thresholds: { ...DEFAULT_GROUPING, vector } }), labelOf));
  }
  console.log('\nEnglish, by vectors: banking77 test utterances, seeded halves (pairs of one intent should share a group)');
  for (const vector of thresholds) console.log(`  vector ${vector.toFixed(2)}${vector === DEFAULT_GROUPING.vector ? ' (default)' : '          '}  dev ${format(vectorResults.dev.get(vector) as Scores)}   test ${format(vectorResults.test.get(vector) as Scores)}`);
  const bestVector = thresholds.reduce((best, value) => ((vectorResults.dev.get(value)?.f05 ?? 0) > (vectorResults.dev.get(best)?.f05 ?? 0) ? value : best));
  console.log(`  best dev F0.5 at ${bestVector}: test ${format(vectorResults.test.get(bestVector) as Scores)}; default ${DEFAULT_GROUPING.vector}: test ${format(vectorResults.test.get(DEFAULT_GROUPING.vector) as Scores)}`);

  console.log('\nChinese, by words and character pairs: LCQMC pairs (label 1 = same question), dev and test');
  const lexicalThresholds = [0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];
  const lexicalResults: Record<'dev' | 'test', Map<number, Scores>> = { dev: new Map(), test: new Map() };
  for (const [half, rows] of [['dev', lcqmcDev], ['test', lcqmcTest]] as const) {
    const similarities = rows.map((row) => ({ same: row.same, similarity: lexicalSimilarity(lexicalFeatures(row.a), lexicalFeatures(row.b)) }));
    const actual = similarities.filter((row) => row.same).length;
    for (const threshold of lexicalThresholds) {
      const predicted = similarities.filter((row) => row.similarity >= threshold);
      lexicalResults[half].set(threshold, scores(predicted.filter((row) => row.same).length, predicted.length, actual));
    }
  }
  for (const threshold of lexicalThresholds) console.log(`  lexical ${threshold.toFixed(2)}${threshold === DEFAULT_GROUPING.lexical ? ' (default)' : '          '}  dev ${format(lexicalResults.dev.get(threshold) as Scores)}   test ${format(lexicalResults.test.get(threshold) as Scores)}`);
  const bestLexical = lexicalThresholds.reduce((best, value) => ((lexicalResults.dev.get(value)?.f05 ?? 0) > (lexicalResults.dev.get(best)?.f05 ?? 0) ? value : best));
  console.log(`  best dev F0.5 at ${bestLexical}: test ${format(lexicalResults.test.get(bestLexical) as Scores)}; default ${DEFAULT_GROUPING.lexical}: test ${format(lexicalResults.test.get(DEFAULT_GROUPING.lexical) as Scores)}`);
  console.log(`  (LCQMC's label-0 pairs are hard negatives chosen for shared words; ${lcqmcDev.filter((row) => row.same).length} of ${lcqmcDev.length} dev pairs are label 1)\n`);
}

// --- 2. scale -------------------------------------------------------------------------------------------------------

const directory = await mkdtemp(path.join(tmpdir(), 'kefu-bench-gaps-'));
try {
  const records = openSqliteRecords({ path: path.join(directory, 'kefu.db') });
  const english = [...new Set(banking.map((row) => row[0] as string))];
  const chinese = [...new Set(lcqmcDev.flatMap((row) => [row.a, row.b]))].slice(0, 8000);
  const next = random(SEED);
  // Customers repeat themselves: wordings are drawn with a skew (a few very often, most rarely), 70 % English.
  const draw = (pool: string[]) => pool[Math.floor(pool.length * next() ** 2)] as string;
  let started = Date.now();
  for (let asked = 0; asked < QUESTIONS; asked += QUESTIONS_PER_CONVERSATION) {
    const conversation = await records.createConversation({ channel: next() < 0.8 ? 'web' : 'api' });
    const messages = [];
    for (let turn = 0; turn < Math.min(QUESTIONS_PER_CONVERSATION, QUESTIONS - asked); turn += 1) {
      const zh = next() < 0.3;
      messages.push({ conversationId: conversation.id, role: 'user' as const, text: zh ? draw(chinese) : draw(english) });
      messages.push({ conversationId: conversation.id, role: 'assistant' as const, text: 'I could not find this in our documents.', outcome: 'refused', confidence: 0.1, language: zh ? 'zh' : 'en', responseMs: 50 + Math.floor(next() * 400) });
    }
    await records.appendMessages(messages);
  }
  console.log(`wrote ${QUESTIONS.toLocaleString('en')} questions in ${Math.ceil(QUESTIONS / QUESTIONS_PER_CONVERSATION).toLocaleString('en')} conversations in ${seconds(Date.now() - started)} (setup, not a target)`);

  const gaps = createGapService({ records, files: createKnowledgeFiles({ inboxDir: path.join(directory, 'inbox'), records }), embedder, settings: { lowConfidence: config.owner.gapsLowConfidence, windowDays: 90 } });
  for (const run of ['first listing (embeds each distinct English wording once)', 'second listing (vectors cached in the records)']) {
    started = Date.now();
    const list = await gaps.list({ fresh: true });
    const total = Date.now() - started;
    console.log(`${run}: ${seconds(total)} total — read ${seconds(list.timings.readMs)}, vectors ${seconds(list.timings.vectorsMs)} (${list.timings.embedded} embedded), grouping ${seconds(list.timings.groupMs)}; ${list.questions.toLocaleString('en')} questions → ${list.groups.length.toLocaleString('en')} groups (largest ${list.groups[0]?.count ?? 0}); load ${load()}`);
  }

  const reports = createOwnerReports({ config: loadConfig({ env: { KEFU_DATA_DIR: directory, KEFU_LOG_LEVEL: 'warn' }, dotenvDir: null, cwd: directory }), records });
  for (const run of ['report', 'report again']) {
    started = Date.now();
    const report = await reports.report({ since: '30d' });
    console.log(`${run} (30 days, ${report.totals.conversations.toLocaleString('en')} conversations, ${report.byDay.length} days): ${seconds(Date.now() - started)}; load ${load()}`);
  }
  await records.close();
} finally {
  await rm(directory, { recursive: true, force: true });
}
console.log(`\ntargets: grouping <= 10 s, report <= 2 s (not asserted); load average at the end ${load()}`);
