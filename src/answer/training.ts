/**
 * Training and honest evaluation of the calibrated models (answerability, FAQ gate) from labeled rows.
 * Every dataset weighs the same, so a set of 4,000 questions does not drown one of 60; each dataset is
 * also held out in turn (leave-one-dataset-out), which is the figure that says how the model does on a
 * knowledge base nobody tuned for. Thresholds are chosen on the training rows only.
 *
 * @example
 *   const { model, report } = trainAnswerability({ rows, maxFalseRefusal: 0.03 });
 */
import { ANSWERABILITY_FEATURES, type AnswerabilityModel } from './answerability.ts';
import { FAQ_FEATURES, keyTermsAgree, type FaqGateModel } from './faq-gate.ts';
import { fitLogistic, predictLogistic, type LogisticModel, type TrainingRow } from './logistic.ts';

export interface LabeledRow {
  dataset: string;
  /** Answerability: 1 = the documents answer it. FAQ gate: 1 = the closest FAQ entry is right. */
  label: 0 | 1;
  features: Readonly<Record<string, number>>;
  /** A sub-group reported separately (e.g. 'off-topic', 'hard-negative'). */
  group?: string;
}

export interface HeldOutFigures {
  dataset: string;
  rows: number;
  /** Answerability: negatives refused; FAQ gate: precision of verbatim answers. */
  [metric: string]: number | string;
}

/** One held-out line for people: "northwind: rows 322, threshold 0.524, falseRefusal 0.051, …". */
export function describeHeldOut(entry: HeldOutFigures): string {
  const figures = Object.entries(entry).filter(([key]) => key !== 'dataset').map(([key, value]) => `${key} ${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(3) : value}`);
  return `${entry.dataset}: ${figures.join(', ')}`;
}

function weightedRows(rows: readonly LabeledRow[], names: readonly string[]): TrainingRow[] {
  const perDataset = new Map<string, number>();
  for (const row of rows) perDataset.set(row.dataset, (perDataset.get(row.dataset) ?? 0) + 1);
  const datasets = perDataset.size || 1;
  return rows.map((row) => ({
    x: names.map((name) => row.features[name] ?? 0),
    y: row.label,
    weight: rows.length / datasets / (perDataset.get(row.dataset) ?? 1),
  }));
}

/**
 * The held-out partitions: each dataset in turn, or — with a single dataset (an owner's own set) — two
 * folds of alternate rows, so the figures printed are still on rows the model did not see.
 */
function heldOutFolds(rows: readonly LabeledRow[]): Array<{ name: string; training: LabeledRow[]; test: LabeledRow[] }> {
  const datasets = [...new Set(rows.map((row) => row.dataset))].sort();
  if (datasets.length >= 2) {
    return datasets.map((dataset) => ({ name: dataset, training: rows.filter((row) => row.dataset !== dataset), test: rows.filter((row) => row.dataset === dataset) }));
  }
  return [0, 1].map((fold) => ({
    name: `${datasets[0] ?? 'rows'} (fold ${fold + 1} of 2)`,
    training: rows.filter((_, index) => index % 2 !== fold),
    test: rows.filter((_, index) => index % 2 === fold),
  }));
}

function probabilities(model: LogisticModel, rows: readonly LabeledRow[]): number[] {
  return rows.map((row) => predictLogistic(model, row.features));
}

/** Mean over datasets of a per-dataset rate. */
function perDatasetMean(rows: readonly LabeledRow[], value: (subset: LabeledRow[]) => number | undefined): number {
  const byDataset = new Map<string, LabeledRow[]>();
  for (const row of rows) byDataset.set(row.dataset, [...(byDataset.get(row.dataset) ?? []), row]);
  const values = [...byDataset.values()].flatMap((subset) => {
    const result = value(subset);
    return result === undefined ? [] : [result];
  });
  return values.length > 0 ? values.reduce((sum, item) => sum + item, 0) / values.length : 0;
}

/** The highest refusal threshold whose mean per-dataset false-refusal rate stays within the budget. */
function chooseRefusalThreshold(model: LogisticModel, rows: readonly LabeledRow[], maxFalseRefusal: number): number {
  const scored = rows.map((row) => ({ row, probability: predictLogistic(model, row.features) }));
  const candidates = [...new Set(scored.map((entry) => Math.round(entry.probability * 1000) / 1000))].sort((a, b) => b - a);
  for (const threshold of candidates) {
    const falseRefusal = perDatasetMean(rows, (subset) => {
      const positives = subset.filter((row) => row.label === 1);
      if (positives.length === 0) return undefined;
      return positives.filter((row) => predictLogistic(model, row.features) < threshold).length / positives.length;
    });
    if (falseRefusal <= maxFalseRefusal) return threshold;
  }
  return 0;
}

function refusalFigures(model: LogisticModel, threshold: number, rows: readonly LabeledRow[]): Record<string, number> {
  const probs = probabilities(model, rows);
  const positives = rows.flatMap((row, index) => (row.label === 1 ? [probs[index] ?? 0] : []));
  const negatives = rows.flatMap((row, index) => (row.label === 0 ? [probs[index] ?? 0] : []));
  const figures: Record<string, number> = {};
  if (positives.length > 0) figures.falseRefusal = positives.filter((p) => p < threshold).length / positives.length;
  if (negatives.length > 0) figures.refusalRecall = negatives.filter((p) => p < threshold).length / negatives.length;
  const groups = new Set(rows.flatMap((row) => (row.group ? [row.group] : [])));
  for (const group of groups) {
    const inGroup = rows.flatMap((row, index) => (row.group === group ? [{ row, p: probs[index] ?? 0 }] : []));
    figures[`${group}.refused`] = inGroup.filter((entry) => entry.p < threshold).length / inGroup.length;
  }
  return figures;
}

/**
 * Fits the answerability model on every dataset, chooses the refusal threshold for a false-refusal budget,
 * and reports each dataset held out (trained on the others, thresholded on the others).
 */
export function trainAnswerability(options: { rows: readonly LabeledRow[]; maxFalseRefusal?: number; l2?: number }): { model: AnswerabilityModel; heldOut: HeldOutFigures[] } {
  const names = [...ANSWERABILITY_FEATURES];
  const budget = options.maxFalseRefusal ?? 0.03;
  const fit = (rows: readonly LabeledRow[]) => fitLogistic({ names, rows: weightedRows(rows, names), l2: options.l2 ?? 0.01 });
  const datasets = [...new Set(options.rows.map((row) => row.dataset))].sort();
  const heldOut: HeldOutFigures[] = heldOutFolds(options.rows).map(({ name, training, test }) => {
    const model = fit(training);
    const threshold = chooseRefusalThreshold(model, training, budget);
    return { dataset: name, rows: test.length, threshold, ...refusalFigures(model, threshold, test) };
  });
  const model = fit(options.rows);
  const threshold = chooseRefusalThreshold(model, options.rows, budget);
  return {
    model: { ...model, threshold, trainedOn: datasets, metrics: { maxFalseRefusal: budget, heldOut, trainedAt: new Date().toISOString() } },
    heldOut,
  };
}

const MIN_JUDGED = 10;

/**
 * The lowest probability at which verbatim answers reach the precision target on *every* dataset (the
 * worst one, not the mean: a wrong verbatim answer on one kind of FAQ bank is not paid for by another's).
 * A dataset with fewer than MIN_JUDGED verbatim answers at a threshold is not judged there (a handful
 * of answers says little either way).
 */
function chooseVerbatimThreshold(model: LogisticModel, rows: readonly LabeledRow[], precision: number): number {
  return lowestThreshold({ model, rows: rows.filter(eligibleForVerbatim), target: precision, below: Number.POSITIVE_INFINITY }) ?? 1;
}

/** Rows the key-term rule lets through to a verbatim answer (see keyTermsAgree). */
function eligibleForVerbatim(row: LabeledRow): boolean {
  return keyTermsAgree({ keyTermMismatch: row.features.keyTermMismatch ?? 0, numberMismatch: row.features.numberMismatch ?? 0 });
}

/**
 * The lowest probability from which, up to the verbatim threshold, the closest entry is right at least half
 * the time on every FAQ bank (banks with fewer than MIN_JUDGED matches in the band are not judged): "did you
 * mean" is worth asking where the first suggestion is more likely right than wrong; below it the question is
 * answered (or refused) through retrieval.
 */
function chooseClarifyThreshold(model: LogisticModel, rows: readonly LabeledRow[], verbatimAt: number): number {
  return lowestThreshold({ model, rows: rows.filter(eligibleForVerbatim), target: 0.5, below: verbatimAt }) ?? verbatimAt;
}

/** The lowest probability t at which rows scored in [t, below) are right at `target` or more on every dataset. */
function lowestThreshold(options: { model: LogisticModel; rows: readonly LabeledRow[]; target: number; below: number }): number | undefined {
  const scored = options.rows.map((row) => ({ row, probability: predictLogistic(options.model, row.features) }));
  const candidates = [...new Set(scored.map((entry) => Math.round(entry.probability * 1000) / 1000))].filter((value) => value < options.below).sort((a, b) => a - b);
  const datasets = [...new Set(options.rows.map((row) => row.dataset))];
  return candidates.find((threshold) => datasets.every((dataset) => {
    const band = scored.filter((entry) => entry.row.dataset === dataset && entry.probability >= threshold && entry.probability < options.below);
    return band.length < MIN_JUDGED || band.filter((entry) => entry.row.label === 1).length / band.length >= options.target;
  }));
}

function verbatimFigures(model: LogisticModel, threshold: number, rows: readonly LabeledRow[]): Record<string, number> {
  const answered = rows.filter((row) => eligibleForVerbatim(row) && predictLogistic(model, row.features) >= threshold);
  const figures: Record<string, number> = { verbatimShare: rows.length > 0 ? answered.length / rows.length : 0 };
  if (answered.length > 0) figures.precision = answered.filter((row) => row.label === 1).length / answered.length;
  const hardNegatives = rows.filter((row) => row.group === 'hard-negative');
  if (hardNegatives.length > 0) figures.hardNegativeVerbatim = hardNegatives.filter((row) => eligibleForVerbatim(row) && predictLogistic(model, row.features) >= threshold).length / hardNegatives.length;
  return figures;
}

/**
 * Fits the FAQ gate: verbatim at the lowest probability that keeps precision at the target (held out per
 * dataset), "did you mean" from the probability where the closest entry is right about half the time.
 */
export function trainFaqGate(options: { rows: readonly LabeledRow[]; precision?: number; l2?: number }): { model: FaqGateModel; heldOut: HeldOutFigures[] } {
  const names = [...FAQ_FEATURES];
  const target = options.precision ?? 0.97;
  const fit = (rows: readonly LabeledRow[]) => fitLogistic({ names, rows: weightedRows(rows, names), l2: options.l2 ?? 0.01 });
  const datasets = [...new Set(options.rows.map((row) => row.dataset))].sort();
  const heldOut: HeldOutFigures[] = heldOutFolds(options.rows).map(({ name, training, test }) => {
    const model = fit(training);
    const threshold = chooseVerbatimThreshold(model, training, target);
    return { dataset: name, rows: test.length, threshold, ...verbatimFigures(model, threshold, test) };
  });
  const model = fit(options.rows);
  const verbatimAt = chooseVerbatimThreshold(model, options.rows, target);
  const clarifyAt = chooseClarifyThreshold(model, options.rows, verbatimAt);
  return {
    model: { ...model, verbatimAt, clarifyAt, trainedOn: datasets, metrics: { precisionTarget: target, heldOut, trainedAt: new Date().toISOString() } },
    heldOut,
  };
}
