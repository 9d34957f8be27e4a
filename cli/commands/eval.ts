/**
 * `kefu eval`: answer-quality benchmarks (retrieval ablation, answers, refusals, latency) on a labeled
 * dataset, with console/JSON/Markdown/HTML reports, a threshold gate and run-to-run comparison.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import { KefuError } from '../../src/errors/index.ts';
import { asRunReport, compareReports, renderComparison } from '../../eval/compare.ts';
import { BUILT_IN_DATASETS, DEFAULT_SHARED_DATA_DIR } from '../../eval/datasets.ts';
import { checkThresholds, readThresholds, renderGate, THRESHOLDS_FILE } from '../../eval/gate.ts';
import { headingMatcher } from '../../eval/headings.ts';
import { isIntentDataset } from '../../eval/intents.ts';
import { renderConsoleTable, renderRunErrors } from '../../eval/report-text.ts';
import { DEFAULT_CONFIGURATIONS, runEvaluation } from '../../eval/runner.ts';
import { selectQuestions } from '../../eval/selection.ts';
import { DEFAULT_SEED, SPLITS, type EvalSplit } from '../../eval/splits.ts';
import type { EvalTarget } from '../../eval/types.ts';
import { trainOwnModels } from '../../eval/train-own.ts';
import { REPORTS_DIR, writeReports } from '../../eval/write-reports.ts';

interface EvalOptions {
  dataset?: string;
  limit?: number;
  corpusLimit?: number;
  split: EvalSplit;
  seed: number;
  offTopic?: number;
  token?: string;
  concurrency: number;
  json?: boolean;
  check?: boolean;
  thresholds: string;
  compare?: string[];
  url?: string;
  configs?: string[];
  evalData: string;
  reports: string;
  writeReports: boolean;
  all?: boolean;
  trainAnswerability?: string;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return parsed;
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number (0 or more)');
  return parsed;
}

function configurationList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const known = DEFAULT_CONFIGURATIONS.map((configuration) => configuration.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown configuration ${unknown.join(', ')}; choose from ${known.join(', ')}`);
  return names;
}

async function compareFiles(files: string[], json: boolean | undefined): Promise<void> {
  if (files.length !== 2) throw new InvalidArgumentError('--compare needs two files: <old.json> <new.json>');
  const [before, after] = await Promise.all(files.map(async (file) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new KefuError('INGEST_NOT_FOUND', { detail: file, cause: error });
    }
    try {
      return asRunReport(JSON.parse(text), file);
    } catch (error) {
      if (error instanceof KefuError) throw error;
      throw new KefuError('DATASET_INVALID', { detail: `${file} is not valid JSON`, cause: error });
    }
  }));
  if (!before || !after) return;
  const comparison = compareReports(before, after);
  console.log(json ? JSON.stringify(comparison, null, 2) : renderComparison(comparison));
}

async function evaluate(options: EvalOptions): Promise<void> {
  if (!options.dataset) throw new InvalidArgumentError(`--dataset is required (${BUILT_IN_DATASETS.join(', ')} or a path)`);
  const config = loadConfig();
  if (isIntentDataset(options.dataset)) {
    // Intent datasets score the intent classifier (eval/intents.ts), not retrieval and answers.
    const { runIntentEvalCommand } = await import('../../eval/intents-command.ts');
    await runIntentEvalCommand({ config, dataset: options.dataset, sharedDataDir: options.evalData, json: options.json ?? false, reportsDir: options.reports, writeReports: options.writeReports, seed: options.seed });
    return;
  }
  const log = (message: string) => console.error(message);
  const runStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  const evalDir = path.join(config.dataDir, 'eval');
  const token = options.token ?? config.server.evalToken;
  if (options.url && !token) {
    throw new KefuError('EVAL_SERVER', { detail: `${options.url}/api/eval/ask needs a token`, hint: 'Set KEFU_EVAL_TOKEN (the value the server was started with) or pass --token.' });
  }
  const selected = await selectQuestions({
    dataset: options.dataset,
    evalDir,
    sharedDataDir: options.evalData,
    split: options.split,
    seed: options.seed,
    ...(options.corpusLimit === undefined ? {} : { corpusLimit: options.corpusLimit }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.offTopic ? { offTopic: options.offTopic } : {}),
  });
  const { dataset, catalog, counts } = selected;
  const issues = [...selected.issues];
  const subset = counts.limitUnit
    ? ` (seeded sample of ${options.limit} of ${counts.limitOf} ${counts.limitUnit})`
    : options.limit && counts.sampled < counts.half ? ` (seeded subset of ${counts.half})` : '';
  log(`${dataset.name}: split ${selected.split} (seed ${selected.seed}): ${counts.sampled} question(s)${subset}${counts.offTopic ? ` + ${counts.offTopic} off-topic` : ''}, corpus ${catalog.documents.length} file(s) in ${dataset.corpusDir}`);
  for (const issue of [...dataset.issues, ...selected.issues].slice(0, 10)) {
    log(`  dataset issue: ${issue.file ?? ''}${issue.line === undefined ? '' : `:${issue.line}`} ${issue.questionId ?? ''} ${issue.message}`.replace(/\s+/g, ' '));
  }

  // Loaded here, not at the top: the model and index libraries are heavy and --compare needs neither.
  const { createRemoteTarget, prepareLocalTarget } = await import('../../eval/targets.ts');
  let target: EvalTarget;
  let close = async () => {};
  const ingestStarted = performance.now();
  if (options.url) {
    target = createRemoteTarget({ url: options.url, token });
  } else {
    const bar = new cliProgress.SingleBar({ format: 'ingest    [{bar}] {value}/{total} files | {chunks} chunks | {file}', stream: process.stderr, hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 10_000 }, cliProgress.Presets.shades_classic);
    let started = false;
    const local = await prepareLocalTarget({
      config,
      dataset,
      onSync: (event) => {
        if (event.type === 'scanned') {
          bar.start(event.filesTotal, 0, { chunks: 0, file: '' });
          started = true;
        } else if (event.type === 'file-start') bar.update(event.filesDone, { file: event.path });
        else if (event.type === 'chunks') bar.update(event.filesDone, { chunks: event.chunksDone, file: event.path });
        else if (event.type === 'file') bar.update(event.filesDone, { file: event.path });
      },
    });
    if (started) bar.stop();
    log(`index: ${local.sync.indexed.length} file(s) indexed, ${local.sync.skipped.length} unchanged, ${local.sync.failed.length} failed (${(local.sync.milliseconds / 1000).toFixed(1)} s)`);
    issues.push(...local.issues);
    target = local.target;
    close = local.close;
  }
  const ingestMs = performance.now() - ingestStarted;

  const configurations = options.configs
    ? DEFAULT_CONFIGURATIONS.filter((configuration) => options.configs?.includes(configuration.name))
    : DEFAULT_CONFIGURATIONS;
  const bar = new cliProgress.SingleBar({ format: 'questions [{bar}] {value}/{total} | {configuration} | eta {eta_formatted}', stream: process.stderr, hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000 }, cliProgress.Presets.shades_classic);
  let report;
  let started = false;
  try {
    report = await runEvaluation({
      dataset,
      target,
      configurations,
      issues,
      split: selected.split,
      seed: selected.seed,
      ingestMs,
      headings: headingMatcher(catalog.furniture),
      concurrency: options.concurrency,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      onProgress: (progress) => {
        if (!started) {
          bar.start(progress.total, 0, { configuration: progress.configuration });
          started = true;
        }
        bar.update(progress.done, { configuration: progress.configuration });
      },
    });
  } finally {
    if (started) bar.stop();
    await close();
  }

  if (options.writeReports) {
    const files = await writeReports({ report, directory: options.reports });
    log(`reports: ${files.html}\n         ${files.markdown}\n         ${files.json}`);
  }
  if (options.json) console.log(JSON.stringify(report, null, 1));
  else console.log(renderConsoleTable(report, { all: options.all ?? false }));
  const cpu = process.cpuUsage(cpuStarted);
  log(`run time: ${((performance.now() - runStarted) / 1000).toFixed(1)} s (index ${(ingestMs / 1000).toFixed(1)} s, questions ${(report.durationMs / 1000).toFixed(1)} s; CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`);

  const errors = renderRunErrors(report);
  if (errors) {
    console.error(errors);
    process.exitCode = 1;
  }
  if (options.trainAnswerability) {
    const text = await trainOwnModels({ report, file: options.trainAnswerability });
    if (options.json) console.error(text);
    else console.log(text);
  }
  if (options.check) {
    const gate = checkThresholds(report, await readThresholds(options.thresholds));
    const text = renderGate(report, gate);
    if (options.json) console.error(text);
    else console.log(text);
    if (gate.failures.length > 0) process.exitCode = 1;
  }
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('measure answer quality on a labeled dataset: retrieval ablation (keyword, vector, hybrid variants), answers, refusals, latency')
    .addOption(new Option('-d, --dataset <name|path>', `${BUILT_IN_DATASETS.join(', ')} (read from --eval-data), or a dataset folder / .jsonl file (see eval/README.md); banking77 or clinc150 evaluate the intent classifier instead`))
    .addOption(new Option('--split <half>', 'which questions: the seeded dev half (tune on it), the test half (report it), or all').choices(SPLITS).default('all'))
    .option('-n, --limit <n>', 'score a deterministic subset of n questions (lcqmc: n pairs) of the chosen split (seeded sample)', positiveInteger)
    .option('--corpus-limit <n>', 'cmrc2018 only: index just the first n paragraphs and ask only their questions (quick gates)', positiveInteger)
    .option('--seed <n>', 'seed of the dev/test split and of the --limit sample', wholeNumber, DEFAULT_SEED)
    .option('--off-topic <n>', 'add n questions from other public datasets (half English, half Chinese; the split\'s own pool), expected to be refused', wholeNumber)
    .option('--json', 'print the full per-question results as JSON (what --compare reads) instead of the table')
    .option('--check', 'exit with status 1 when a metric is below its threshold (eval/thresholds.json)')
    .option('--thresholds <file>', 'thresholds file for --check', THRESHOLDS_FILE)
    .option('--compare <files...>', 'compare two JSON reports: --compare <old.json> <new.json> (lists what improved and regressed)')
    .option('--url <url>', 'evaluate a running kefu server (POST <url>/api/eval/ask) instead of a local index')
    .option('--token <token>', 'bearer token of the server\'s evaluation route (default: KEFU_EVAL_TOKEN; prefer the variable, as other users of the machine can see command lines)')
    .option('--concurrency <n>', 'questions in flight at once', positiveInteger, 1)
    .option('--configs <names>', `comma-separated subset of configurations (${DEFAULT_CONFIGURATIONS.map((configuration) => configuration.name).join(', ')})`, configurationList)
    .option('--eval-data <dir>', 'folder holding the built-in datasets', DEFAULT_SHARED_DATA_DIR)
    .option('--reports <dir>', 'where the JSON, Markdown and HTML reports are written', REPORTS_DIR)
    .option('--no-write-reports', 'do not write report files')
    .option('--all', 'show every metric in the console table')
    .option('--train-answerability <file>', 'retrain the answerability model (and the FAQ gate, given enough FAQ matches) on this dataset\'s questions and write it to <file> for KEFU_ANSWERABILITY_MODEL (needs answerable and unanswerable questions; add --off-topic)')
    .addHelpText('after', `
Configurations (one run, side by side): keyword, vector, hybrid-rrf and hybrid-weighted run retrieval only;
hybrid-adaptive (the default pipeline) also composes answers and is scored on answers and refusals.
The corpus is ingested with the normal pipeline into <data dir>/eval/<dataset>/index (reused by later runs).
Questions are split into seeded dev/test halves by group (eval/README.md): tune on dev, report test.
A run exits with status 1 when any question failed (an HTTP error of --url, an error of the answer service).

Examples:
  npx kefu eval --dataset northwind
  npx kefu eval --dataset northwind --split dev --off-topic 200      # tune here
  npx kefu eval --dataset northwind --split test --off-topic 200     # report this
  npx kefu eval --dataset lcqmc --split dev --limit 2000             # 2000 pairs, the whole dev FAQ bank
  npx kefu eval --dataset cmrc2018 --limit 200 --check
  npx kefu eval --dataset stackfaq --configs keyword,hybrid-adaptive
  npx kefu eval --dataset ./my-eval --json > new.json
  KEFU_EVAL_TOKEN=secret npx kefu eval --dataset northwind --url http://localhost:3000
  npx kefu eval --compare eval/reports/northwind-old.json eval/reports/northwind-latest.json`)
    .action(async (options: EvalOptions) => {
      if (options.compare) return compareFiles(options.compare, options.json);
      return evaluate(options);
    });
}
