/**
 * What `kefu eval --dataset banking77|clinc150` runs: loads the model, trains and scores the intent
 * classifier (eval/intents.ts) with progress on stderr, prints the summary (or the JSON report with
 * `--json`) and writes `<reports>/<dataset>-<timestamp>.json` plus `<dataset>-latest.json`.
 *
 * Vectors are cached in `<data dir>/eval/intents/<dataset>-vectors.bin`, so only the first run embeds.
 *
 * @example
 *   await runIntentEvalCommand({ config, dataset: 'clinc150', sharedDataDir, json: false, reportsDir, writeReports: true });
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../src/config/index.ts';
import { createEmbedder } from '../src/embeddings/index.ts';
import { openVectorCacheFile } from '../src/intents/vector-cache.ts';
import { loadIntentDataset, renderIntentReport, runIntentEvaluation, type IntentDatasetName, type IntentEvalReport } from './intents.ts';

export interface IntentEvalCommandOptions {
  config: Config;
  dataset: IntentDatasetName;
  sharedDataDir: string;
  json: boolean;
  reportsDir: string;
  writeReports: boolean;
  seed?: number;
  log?: (message: string) => void;
}

export async function runIntentEvalCommand(options: IntentEvalCommandOptions): Promise<IntentEvalReport> {
  const log = options.log ?? ((message: string) => console.error(message));
  const dataset = await loadIntentDataset({ name: options.dataset, sharedDataDir: options.sharedDataDir });
  log(`${dataset.name}: ${dataset.train.length} training, ${dataset.validation ? `${dataset.validation.length} validation` : 'validation held out of training'}, ${dataset.test.length} test examples`);
  const embedder = await createEmbedder({ config: options.config, logger: { warn: log, info: log } });
  let report: IntentEvalReport;
  try {
    const cache = await openVectorCacheFile({ path: path.join(options.config.dataDir, 'eval', 'intents', `${dataset.name}-vectors.bin`), modelId: embedder.modelId, dimension: embedder.dimension });
    let lastLine = '';
    const say = (line: string) => {
      if (line !== lastLine) log(line);
      lastLine = line;
    };
    report = await runIntentEvaluation({
      dataset,
      embedder,
      vectorCache: cache,
      ...(options.seed === undefined ? {} : { settings: { seed: options.seed } }),
      onProgress: (progress) => {
        if (progress.stage === 'training') say(`training (${progress.pass}): epoch ${progress.epoch}/${progress.epochs}`);
        else if (progress.total > 0 && (progress.done === progress.total || progress.done % 2048 === 0)) say(`${progress.stage === 'embedding' ? 'embedding training texts' : 'embedding test texts'}: ${progress.done}/${progress.total}`);
      },
    });
    await cache.save();
  } finally {
    await embedder.dispose();
  }
  if (options.writeReports) {
    await mkdir(options.reportsDir, { recursive: true });
    const stamp = report.createdAt.replace(/[:.]/g, '-');
    const content = `${JSON.stringify(report, null, 1)}\n`;
    const file = path.join(options.reportsDir, `${report.dataset}-${stamp}.json`);
    await writeFile(file, content);
    await writeFile(path.join(options.reportsDir, `${report.dataset}-latest.json`), content);
    log(`report: ${file}`);
  }
  console.log(options.json ? JSON.stringify(report, null, 1) : renderIntentReport(report));
  return report;
}
