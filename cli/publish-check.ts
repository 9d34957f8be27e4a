/**
 * "Check before publishing": when the knowledge base has its own evaluation dataset (KEFU_EVAL_DATASET), a proposed
 * FAQ answer is evaluated before it goes live. The dataset's questions are asked of the knowledge base as it is
 * ("before") and of a copy of its corpus with the answer added to kefu-answers.csv ("after"), each through the normal
 * ingest pipeline into its own index under <data dir>/eval (incremental: only the changed FAQ file is re-embedded
 * after the first check), with the full answer path only; `kefu eval --compare` (eval/compare.ts) says what improved
 * and what regressed. The "before" run is written as the dataset's latest report: the KPI report's answer accuracy.
 *
 * @example
 *   const check = createPublishCheck({ config });
 *   const result = await check?.check({ question: 'Do you ship to Iceland?', answer: 'Yes.', wordings: [] });
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../src/config/index.ts';
import { KEFU_FAQ_FILE, STAGING_DIR, parseFaqTable, serializeFaqTable, upsertRows } from '../src/gaps/index.ts';
import type { EvalAccuracy } from '../src/reports/index.ts';
import type { CheckResult, PublishCheck } from '../src/server/owner-console.ts';
import { asRunReport, compareReports } from '../eval/compare.ts';
import { DEFAULT_SHARED_DATA_DIR, loadDataset } from '../eval/datasets.ts';
import { DEFAULT_CONFIGURATIONS, runEvaluation } from '../eval/runner.ts';
import { prepareLocalTarget } from '../eval/targets.ts';
import type { LoadedDataset, RunReport } from '../eval/types.ts';
import { REPORTS_DIR, writeReports } from '../eval/write-reports.ts';

const MAIN = DEFAULT_CONFIGURATIONS.filter((configuration) => configuration.main);

/** The name kefu eval gives a dataset folder or .jsonl file (its reports are `<name>-latest.json`). */
export function datasetName(dataset: string): string {
  return path.basename(dataset.endsWith('.jsonl') ? path.dirname(dataset) : dataset);
}

/** Where the owner console's evaluation runs write their reports. */
export function checkReportsDir(config: Config): string {
  return path.join(config.dataDir, 'eval', 'reports');
}

/**
 * Share of a run's questions handled right by the full answer path: answerable ones answered with a gold document
 * among the first three sources (any document when no gold is given), unanswerable ones declined.
 */
export function accuracyOf(report: RunReport): EvalAccuracy | null {
  const main = report.configurations.find((configuration) => configuration.main)?.name ?? 'hybrid-adaptive';
  let scored = 0;
  let correct = 0;
  for (const question of report.questions) {
    const result = question.results[main];
    if (!result || result.error || result.outcome === undefined) continue;
    scored += 1;
    const declined = result.outcome === 'refused' || result.outcome === 'handoff';
    if (question.expected !== 'answer') correct += declined ? 1 : 0;
    else if (!declined) {
      const rank = result.levels.document?.firstRank;
      correct += question.gold.length === 0 || (rank !== null && rank !== undefined && rank <= 3) ? 1 : 0;
    }
  }
  return scored > 0 ? { dataset: report.dataset, at: report.createdAt, accuracy: correct / scored, questions: scored } : null;
}

/** The latest run of the knowledge base's dataset (by `kefu eval` or by a check), as answer accuracy. */
export async function latestAccuracy(config: Config): Promise<EvalAccuracy | null> {
  if (!config.owner.evalDataset) return null;
  const name = datasetName(config.owner.evalDataset).replace(/[^\w.-]/g, '_');
  const runs: RunReport[] = [];
  for (const directory of [checkReportsDir(config), REPORTS_DIR]) {
    const file = path.join(directory, `${name}-latest.json`);
    try {
      runs.push(asRunReport(JSON.parse(await readFile(file, 'utf8')), file));
    } catch {
      // No run there yet, or not a report: the other folder may have one.
    }
  }
  runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  return runs[0] ? accuracyOf(runs[0]) : null;
}

/** Copies a folder's files (not dot files, not a release's staging folder) into another, skipping unchanged ones. */
async function mirror(source: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  const wanted = new Set<string>();
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === STAGING_DIR) continue;
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    wanted.add(entry.name);
    if (entry.isDirectory()) await mirror(from, to);
    else if (entry.isFile()) {
      const [a, b] = await Promise.all([stat(from), stat(to).catch(() => undefined)]);
      if (!b || a.size !== b.size || Math.abs(a.mtimeMs - b.mtimeMs) > 1) {
        await copyFile(from, to);
        await utimes(to, a.atime, a.mtime);
      }
    }
  }
  for (const entry of await readdir(target, { withFileTypes: true })) {
    if (!wanted.has(entry.name)) await rm(path.join(target, entry.name), { recursive: true, force: true });
  }
}

export function createPublishCheck(options: { config: Config }): PublishCheck | undefined {
  const { config } = options;
  const datasetPath = config.owner.evalDataset;
  if (!datasetPath) return undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const evalDir = path.join(config.dataDir, 'eval');

  async function run(dataset: LoadedDataset): Promise<RunReport> {
    const local = await prepareLocalTarget({ config, dataset, evalDir });
    try {
      return await runEvaluation({ dataset, target: local.target, configurations: MAIN, issues: local.issues });
    } finally {
      await local.close();
    }
  }

  async function check(input: { question: string; answer: string; wordings: string[] }): Promise<CheckResult> {
    const started = Date.now();
    const dataset = await loadDataset({ dataset: datasetPath, evalDir, sharedDataDir: DEFAULT_SHARED_DATA_DIR });
    const before = await run(dataset);
    await writeReports({ report: before, directory: checkReportsDir(config) });
    // The same corpus with the proposed entry in kefu's FAQ file.
    const candidateDir = path.join(evalDir, `${datasetName(datasetPath)}-candidate`, 'corpus');
    await mirror(dataset.corpusDir, candidateDir);
    const faqPath = path.join(candidateDir, KEFU_FAQ_FILE);
    const table = parseFaqTable(await readFile(faqPath).catch(() => Buffer.alloc(0)), KEFU_FAQ_FILE);
    upsertRows(table, [{ id: 'kefu-check', question: input.question, answer: input.answer, alternates: input.wordings, category: '' }]);
    await writeFile(faqPath, serializeFaqTable(table));
    const after = await run({ ...dataset, name: dataset.name, cacheKey: `${datasetName(datasetPath)}-candidate`, corpusDir: candidateDir });
    const comparison = compareReports(before, after);
    const mainName = MAIN[0]?.name ?? 'hybrid-adaptive';
    return {
      dataset: dataset.name,
      questions: before.questionCount,
      before: before.summary[mainName] ?? {},
      after: after.summary[mainName] ?? {},
      metrics: comparison.metrics.map(({ metric, before: old, after: current, delta, improved }) => ({ metric, ...(old === undefined ? {} : { before: old }), ...(current === undefined ? {} : { after: current }), delta, ...(improved === undefined ? {} : { improved }) })),
      improved: comparison.improved.map(({ id, question, change }) => ({ id, question, change })),
      regressed: comparison.regressed.map(({ id, question, change }) => ({ id, question, change })),
      milliseconds: Date.now() - started,
    };
  }

  return {
    dataset: datasetName(datasetPath),
    // One check at a time: they share the evaluation indexes.
    check(input) {
      const next = queue.then(() => check(input));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
