#!/usr/bin/env bash
# The evaluation gate CI runs (npm run eval:gate): the seeded TEST halves of the public datasets (never
# tuned on; see eval/README.md), each with off-topic questions from the other datasets, each ingested
# into its own index under $KEFU_DATA_DIR/eval/ (reused by later runs), checked against
# eval/thresholds.json. Exits non-zero when any metric falls outside its threshold or any question fails.
# Needs ../shared/eval-data (or EVAL_DATA). Prints the run time of each dataset and the load average.
# EVAL_REPORTS=<dir> keeps each run's JSON/Markdown/HTML reports there (for CI artifacts, or to set thresholds).
set -euo pipefail
cd "$(dirname "$0")/.."

EVAL_DATA="${EVAL_DATA:-../shared/eval-data}"
for needed in northwind cmrc2018 stackfaq lcqmc clinc150; do
  if [ ! -d "$EVAL_DATA/$needed" ]; then
    echo "eval gate: $EVAL_DATA/$needed not found; set EVAL_DATA to the evaluation data folder" >&2
    exit 1
  fi
done

status=0
started=$SECONDS
reports=(--no-write-reports)
run() {
  echo "== kefu eval --split test $*" >&2
  local begun=$SECONDS
  if [ -n "${EVAL_REPORTS:-}" ]; then reports=(--reports "$EVAL_REPORTS"); fi
  if ! node bin/kefu.js eval --eval-data "$EVAL_DATA" --split test --check "${reports[@]}" "$@"; then status=1; fi
  echo "   ($((SECONDS - begun)) s; load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
}

# English PDFs with page-level gold, answerable and unanswerable questions: the whole test half.
run --dataset northwind --off-topic 200
# Chinese paragraphs (the first 150 and their questions, to keep ingestion short): keyword search carries this one.
run --dataset cmrc2018 --corpus-limit 150 --off-topic 100
# The bundled sample knowledge base (data/sample, English and Chinese, FAQ sheets, follow-ups): the whole test half.
run --dataset eval/datasets/sample --off-topic 100
# An English FAQ bank (125 threads, all indexed): a seeded 300 of the test half's paraphrases.
run --dataset stackfaq --limit 300 --off-topic 100
# A Chinese FAQ bank of every test.txt question (~12,000 entries, all indexed): 300 seeded pairs, hard negatives included.
run --dataset lcqmc --limit 300 --off-topic 100 --configs keyword,hybrid-adaptive

echo "eval gate: $((SECONDS - started)) s in all" >&2
if [ "$status" -ne 0 ]; then echo "eval gate: FAILED (see the metrics above)" >&2; fi
exit "$status"
