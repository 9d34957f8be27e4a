/**
 * `kefu eval --train-answerability <file>`: retrains the answerability model (and, when the dataset has
 * enough FAQ matches to judge, the FAQ gate) on the owner's own labeled dataset, from the evidence the
 * run just recorded, and writes model files that KEFU_ANSWERABILITY_MODEL / KEFU_FAQ_GATE_MODEL point at.
 * With one dataset the held-out figures are two folds of its questions; more questions, and unanswerable
 * ones in the customers' own words (plus `--off-topic`), make a better model.
 *
 * @example
 *   const text = await trainOwnModels({ report, file: 'my-answerability.json' });
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rowsFromReport, type EvalReportLike } from '../src/answer/training-rows.ts';
import { describeHeldOut, trainAnswerability, trainFaqGate, type HeldOutFigures } from '../src/answer/training.ts';
import { KefuError } from '../src/errors/index.ts';

/** Fewer labeled rows of either kind than this and a fitted threshold says nothing. */
export const MIN_ROWS_PER_LABEL = 10;

function figuresLine(entry: HeldOutFigures): string {
  return `  ${describeHeldOut(entry)}`;
}

/** Trains and writes the models; returns what to print. Throws a clear error when the dataset is too small. */
export async function trainOwnModels(options: { report: EvalReportLike; file: string; maxFalseRefusal?: number; precision?: number }): Promise<string> {
  const rows = rowsFromReport(options.report);
  const positives = rows.answerability.filter((row) => row.label === 1).length;
  const negatives = rows.answerability.length - positives;
  if (positives < MIN_ROWS_PER_LABEL || negatives < MIN_ROWS_PER_LABEL) {
    throw new KefuError('DATASET_INVALID', {
      detail: `--train-answerability needs at least ${MIN_ROWS_PER_LABEL} answerable and ${MIN_ROWS_PER_LABEL} unanswerable questions with evidence; this run has ${positives} and ${negatives}`,
      hint: 'Add questions the documents do not answer ("expected": "refuse") in your customers\' words, and/or --off-topic 100; keep the hybrid-adaptive configuration in --configs.',
    });
  }
  const lines: string[] = [];
  const answerability = trainAnswerability({ rows: rows.answerability, maxFalseRefusal: options.maxFalseRefusal ?? 0.03 });
  await writeFile(options.file, `${JSON.stringify(answerability.model, null, 1)}\n`);
  lines.push(`answerability model (${positives} answerable, ${negatives} unanswerable questions; refuses below ${answerability.model.threshold.toFixed(3)}), held out:`);
  lines.push(...answerability.heldOut.map(figuresLine));
  lines.push(`wrote ${options.file}: set KEFU_ANSWERABILITY_MODEL=${path.resolve(options.file)}`);
  const right = rows.faq.filter((row) => row.label === 1).length;
  if (right >= MIN_ROWS_PER_LABEL && rows.faq.length - right >= MIN_ROWS_PER_LABEL) {
    const faqFile = options.file.replace(/(\.json)?$/i, '.faq-gate.json');
    const gate = trainFaqGate({ rows: rows.faq, precision: options.precision ?? 0.97 });
    await writeFile(faqFile, `${JSON.stringify(gate.model, null, 1)}\n`);
    lines.push(`FAQ gate (${rows.faq.length} judged FAQ matches; verbatim at ${gate.model.verbatimAt.toFixed(3)}), held out:`);
    lines.push(...gate.heldOut.map(figuresLine));
    lines.push(`wrote ${faqFile}: set KEFU_FAQ_GATE_MODEL=${path.resolve(faqFile)}`);
  } else {
    lines.push(`FAQ gate kept (only ${right} right and ${rows.faq.length - right} wrong closest-FAQ matches to learn from; ${MIN_ROWS_PER_LABEL} of each needed).`);
  }
  return lines.join('\n');
}
