#!/usr/bin/env bash
# The evaluation gate CI runs (npm run eval:gate): a deterministic subset of two real datasets and
# all of the bundled sample's questions, each ingested into its own index under $KEFU_DATA_DIR/eval/,
# checked against eval/thresholds.json.
# Exits non-zero when any metric falls below its threshold. Needs ../shared/eval-data (or EVAL_DATA).
set -euo pipefail
cd "$(dirname "$0")/.."

EVAL_DATA="${EVAL_DATA:-../shared/eval-data}"
if [ ! -d "$EVAL_DATA/northwind" ] || [ ! -d "$EVAL_DATA/cmrc2018" ]; then
  echo "eval gate: $EVAL_DATA/{northwind,cmrc2018} not found; set EVAL_DATA to the evaluation data folder" >&2
  exit 1
fi

status=0
run() {
  echo "== kefu eval $*" >&2
  if ! node bin/kefu.js eval --eval-data "$EVAL_DATA" --check "$@"; then status=1; fi
}

# English PDFs with page-level gold, answerable and unanswerable questions.
run --dataset northwind --limit 60
# Chinese paragraphs (the first 150 and their questions, to keep ingestion short): keyword search carries this one.
run --dataset cmrc2018 --corpus-limit 150 --limit 200
# The bundled sample knowledge base (data/sample, English and Chinese, FAQ sheets): all 61 questions.
run --dataset eval/datasets/sample

if [ "$status" -ne 0 ]; then echo "eval gate: FAILED (see the metrics above)" >&2; fi
exit "$status"
