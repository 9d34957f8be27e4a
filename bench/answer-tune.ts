/**
 * `node bench/answer-tune.ts`: the composer's constants tried on the dev halves, whole answer path included.
 * Opens each dataset's evaluation index once (as `kefu eval` builds it), then, for every override in
 * `BENCH_GRID` (a JSON list of partial `SCORING` objects; `[{}]` = the defaults), answers every dev question and
 * prints the figures the constants are fitted on: Northwind token F1, heading share and refusals, the sample's
 * token F1, CMRC 2018's reference span in the answer, and hit@1. Tune on dev only (eval/README.md).
 *
 *   BENCH_SETS=northwind,sample,cmrc BENCH_GRID='[{"targetWords":60},{"targetWords":80}]' node bench/answer-tune.ts
 */
import path from 'node:path';
import { SCORING, type Scoring } from '../src/answer/select.ts';
import { loadConfig } from '../src/config/index.ts';
import { headingMatcher } from '../eval/headings.ts';
import { DEFAULT_CONFIGURATIONS, runEvaluation } from '../eval/runner.ts';
import { selectQuestions } from '../eval/selection.ts';
import { prepareLocalTarget } from '../eval/targets.ts';

interface SetSpec {
  dataset: string;
  corpusLimit?: number;
  limit?: number;
  figures: string[];
}

const SETS: Record<string, SetSpec> = {
  northwind: { dataset: 'northwind', figures: ['tokenF1', 'headingShare', 'refusalRecall', 'falseRefusalRate', 'answerChars', 'hit@1'] },
  sample: { dataset: 'eval/datasets/sample', figures: ['tokenF1', 'refusalRecall', 'falseRefusalRate', 'hit@1'] },
  cmrc: { dataset: 'cmrc2018', corpusLimit: 150, figures: ['referenceContained', 'falseRefusalRate', 'hit@1'] },
  stackfaq: { dataset: 'stackfaq', limit: 300, figures: ['hit@1', 'faqPrecision'] },
};

const names = (process.env.BENCH_SETS ?? 'northwind,sample,cmrc').split(',').map((name) => name.trim()).filter(Boolean);
const grid = JSON.parse(process.env.BENCH_GRID ?? '[{}]') as Array<Partial<Scoring>>;
const evalData = process.env.EVAL_DATA ?? path.join(import.meta.dirname, '..', '..', 'shared', 'eval-data');
const config = loadConfig();
const evalDir = path.join(config.dataDir, 'eval');
const main = DEFAULT_CONFIGURATIONS.filter((configuration) => configuration.name === 'hybrid-adaptive');

const prepared = [];
for (const name of names) {
  const spec = SETS[name];
  if (!spec) throw new Error(`unknown set ${name}: one of ${Object.keys(SETS).join(', ')}`);
  const selected = await selectQuestions({
    dataset: spec.dataset, evalDir, sharedDataDir: evalData, split: 'dev',
    ...(spec.corpusLimit ? { corpusLimit: spec.corpusLimit } : {}), ...(spec.limit ? { limit: spec.limit } : {}),
  });
  const local = await prepareLocalTarget({ config, dataset: selected.dataset, onSync: () => {} });
  prepared.push({ name, spec, selected, local });
}

const defaults = { ...SCORING };
try {
  for (const override of grid) {
    Object.assign(SCORING, defaults, override);
    const line = [JSON.stringify(override)];
    for (const { name, spec, selected, local } of prepared) {
      const report = await runEvaluation({ dataset: selected.dataset, target: local.target, configurations: main, headings: headingMatcher(selected.catalog.furniture) });
      const summary = report.summary['hybrid-adaptive'] ?? {};
      line.push(`${name} ${spec.figures.map((figure) => `${figure}=${(summary[figure] ?? Number.NaN).toFixed(3)}`).join(' ')}`);
    }
    console.log(line.join(' | '));
  }
} finally {
  Object.assign(SCORING, defaults);
  for (const { local } of prepared) await local.close();
}
