/**
 * The quality gate: `eval/thresholds.json` holds, per dataset and configuration, the lowest (or,
 * for latencies and error rates, highest) acceptable value of each metric. `kefu eval --check`
 * exits non-zero when a run falls outside them.
 *
 * @example
 *   const result = checkThresholds(report, await readThresholds(THRESHOLDS_FILE));
 *   if (result.failures.length > 0) process.exitCode = 1;
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KefuError } from '../src/errors/index.ts';
import { lowerIsBetter } from './metrics.ts';
import { formatMetric } from './report-text.ts';
import type { RunReport } from './types.ts';

export const THRESHOLDS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'thresholds.json');

/** `{ min }` or `{ max }`; a bare number is a minimum (a maximum for latency and false-refusal metrics). */
export type Threshold = number | { min?: number; max?: number };
/** dataset → configuration → metric → threshold. Keys starting with "_" are comments. */
export type Thresholds = Record<string, Record<string, Record<string, Threshold> | string> | string>;

export interface GateFailure {
  configuration: string;
  metric: string;
  value: number | undefined;
  bound: 'min' | 'max';
  threshold: number;
}

export interface GateResult {
  checked: number;
  failures: GateFailure[];
}

export async function readThresholds(file = THRESHOLDS_FILE): Promise<Thresholds> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Thresholds;
  } catch (error) {
    throw new KefuError('DATASET_INVALID', { detail: `thresholds file ${file} could not be read as JSON`, cause: error });
  }
}

/**
 * Checks a run against the thresholds of its dataset. A metric the run did not measure fails. A
 * dataset entry may say which half its figures are for (`"_split": "test"`): a run of another half
 * is refused, since its figures are not comparable.
 */
export function checkThresholds(report: RunReport, thresholds: Thresholds): GateResult {
  const forDataset = thresholds[report.dataset];
  if (!forDataset || typeof forDataset === 'string') {
    throw new KefuError('DATASET_INVALID', { detail: `no thresholds for dataset ${report.dataset}`, hint: 'Add an entry for it to eval/thresholds.json (see eval/README.md).' });
  }
  const split = forDataset._split;
  if (typeof split === 'string' && split !== (report.split ?? 'all')) {
    throw new KefuError('DATASET_INVALID', {
      detail: `the thresholds for ${report.dataset} are for --split ${split}, and this run asked --split ${report.split ?? 'all'}`,
      hint: `Run with --split ${split} (as eval/ci-gate.sh does) to check it.`,
    });
  }
  const failures: GateFailure[] = [];
  let checked = 0;
  for (const [configuration, metrics] of Object.entries(forDataset)) {
    if (configuration.startsWith('_') || typeof metrics === 'string') continue;
    for (const [metric, threshold] of Object.entries(metrics)) {
      if (metric.startsWith('_')) continue;
      const value = report.summary[configuration]?.[metric];
      const bounds = typeof threshold === 'number'
        ? (lowerIsBetter(metric) ? { max: threshold } : { min: threshold })
        : threshold;
      if (bounds.min !== undefined) {
        checked++;
        if (value === undefined || value < bounds.min) failures.push({ configuration, metric, value, bound: 'min', threshold: bounds.min });
      }
      if (bounds.max !== undefined) {
        checked++;
        if (value === undefined || value > bounds.max) failures.push({ configuration, metric, value, bound: 'max', threshold: bounds.max });
      }
    }
  }
  return { checked, failures };
}

export function renderGate(report: RunReport, result: GateResult): string {
  if (result.failures.length === 0) return `Gate passed: ${result.checked} threshold(s) met for ${report.dataset}.`;
  return [
    `Gate FAILED for ${report.dataset}: ${result.failures.length} of ${result.checked} threshold(s) not met:`,
    ...result.failures.map((failure) => `  ${failure.configuration} ${failure.metric} = ${failure.value === undefined ? 'not measured' : formatMetric(failure.metric, failure.value)}, needs ${failure.bound === 'min' ? '>=' : '<='} ${formatMetric(failure.metric, failure.threshold)}`),
  ].join('\n');
}
