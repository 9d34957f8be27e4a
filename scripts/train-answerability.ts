/**
 * Retrains the two calibrated models kefu ships — answerability (refuse or answer) and the FAQ gate
 * (verbatim, "did you mean", or neither) — from `kefu eval --json` runs, and writes them beside the code
 * (`src/answer/answerability-model.json`, `src/answer/faq-gate-model.json`) with their leave-one-dataset-out
 * figures. Run the evaluations on the **dev** halves (`--split dev`) with off-topic questions, then:
 *
 *   node scripts/train-answerability.ts eval/reports/northwind-dev.json eval/reports/sample-dev.json … [--out dir]
 *
 * Options: `--max-false-refusal 0.03` (answerability budget), `--precision 0.97` (FAQ verbatim target),
 * `--out <dir>` (default src/answer), `--rows <file.jsonl>` (also write the training rows, which
 * `kefu eval --train-answerability` adds an owner's own questions to).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rowsFromReport, type EvalReportLike } from '../src/answer/training-rows.ts';
import { describeHeldOut, trainAnswerability, trainFaqGate, type HeldOutFigures } from '../src/answer/training.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: path.join(import.meta.dirname, '..', 'src', 'answer') },
    'max-false-refusal': { type: 'string', default: '0.03' },
    precision: { type: 'string', default: '0.97' },
    rows: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || positionals.length === 0) {
  console.log('usage: node scripts/train-answerability.ts <eval report.json>... [--out dir] [--max-false-refusal 0.03] [--precision 0.97] [--rows rows.jsonl]');
  process.exit(positionals.length === 0 && !values.help ? 1 : 0);
}

const answerabilityRows = [];
const faqRows = [];
for (const file of positionals) {
  const report = JSON.parse(await readFile(file, 'utf8')) as EvalReportLike;
  const rows = rowsFromReport(report);
  answerabilityRows.push(...rows.answerability);
  faqRows.push(...rows.faq);
  console.log(`${path.basename(file)}: ${report.dataset} — ${rows.answerability.length} answerability rows, ${rows.faq.length} FAQ rows`);
}

function table(title: string, entries: HeldOutFigures[]): void {
  console.log(`\n${title} (each dataset held out: trained and thresholded on the others)`);
  for (const entry of entries) console.log(`  ${describeHeldOut(entry)}`);
}

const answerability = trainAnswerability({ rows: answerabilityRows, maxFalseRefusal: Number(values['max-false-refusal']) });
table('answerability', answerability.heldOut);
await writeFile(path.join(values.out, 'answerability-model.json'), `${JSON.stringify(answerability.model, null, 1)}\n`);

if (faqRows.length > 0) {
  const faqGate = trainFaqGate({ rows: faqRows, precision: Number(values.precision) });
  table('FAQ gate', faqGate.heldOut);
  await writeFile(path.join(values.out, 'faq-gate-model.json'), `${JSON.stringify(faqGate.model, null, 1)}\n`);
}
if (values.rows) {
  await writeFile(values.rows, [...answerabilityRows.map((row) => JSON.stringify({ model: 'answerability', ...row })), ...faqRows.map((row) => JSON.stringify({ model: 'faq', ...row }))].join('\n') + '\n');
}
console.log(`\nwrote the models to ${values.out}`);
