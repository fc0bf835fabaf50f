#!/usr/bin/env bash
# `make demo`: the ctr template end to end on the embedded default (SQLite MLMD, local files,
# Beam DirectRunner), four days of continuous training with the same command each day (no span
# given: the ExampleGen's driver sees the new day):
#   day 1  the first model is trained and pushed (serving: v1);
#   day 2  warm-started from day 1, judged against it, blessed on a measured gain and pushed (v2);
#   day 3  concept drift: traffic moves to web and clicks respond differently; ExampleValidator
#          reports the drift, and the retrained model recovers and is pushed (v3);
#   day 4  a deliberately broken model (--param break_model=true) is stopped by the gate.
# The gates are the template's own; none is loosened for any day. A rerun of day 4 is all CACHED.
set -euo pipefail
cd "$(dirname "$0")/.."
starling=.venv/bin/starling
root=runs/ctr
data=runs/ctr-data
serving=runs/serving
rows=${DEMO_ROWS:-20000}

drift_day=3
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$(date +%s)

run() {  # run [--param name=value ...]: the day's pipeline run, its console kept for the summary
  $starling run templates/ctr/pipeline.py --param root=$root --param data_root=$data \
    --param serving_base=$serving "$@"
}
day() {  # day N "what arrives" [--param ...]
  local span=$1 story=$2
  shift 2
  echo
  echo "== Day $span: $story ($rows rows in $data/day-$span)"
  .venv/bin/python templates/ctr/data_generator.py --out "$data" --first-day "$span" --days 1 \
    --rows "$rows" --drift-day $drift_day >/dev/null
  run "$@" | tee "$logs/day-$span.log"
}
day_summary() {  # one line: the data check, the warm start, the measured change, the verdict and the push
  local log=$logs/day-$1.log
  local drift warm change outcome
  drift=$(grep -o "[0-9]* data anomalies: [^(]*" "$log" | head -n 1 |
    sed 's/High Linfty distance between current and previous: /drift in /; s/ *$//' || true)
  warm=$(grep -o "warm start: [0-9]*/[0-9]* layers" "$log" | head -n 1 || true)
  change=$(grep "✓ Evaluator .*BLESSED" "$log" | grep -oE "auc [0-9.]+( vs baseline [0-9.]+ \(Δ [^)]*\))?" |
    head -n 1 || true)
  outcome=$(grep "^Outcome:" "$log" | sed -E 's/^Outcome: //; s/^(candidate NOT BLESSED \([^;]*);.*\); (nothing pushed.*)$/\1; ...); \2/')
  echo "  Day $1: ${drift:+$drift; }${warm:-trained from scratch}; ${change:+$change; }$outcome"
}

day 1 "the first day arrives"
day 2 "a second day arrives: warm-started from day 1, judged against the model serving"
day 3 "concept drift: traffic moves to web and clicks respond differently"
day 4 "a deliberately broken model (labels inverted)" --param break_model=true
echo
echo "== Nothing new: day 4's command again (every node CACHED, no TensorFlow imported)"
run --param break_model=true | grep -E "^(Run|Outcome)"

echo
echo "== Sliced evaluation of the latest model"
$starling show eval --root $root | head -n 12
echo
echo "== What was pushed (each push: PUSHED with its serving version, or NOT PUSHED and why)"
$starling artifacts --root $root --type PushedModel
echo
echo "== Runs (rejected: the day's candidate was NOT BLESSED and nothing was pushed)"
$starling runs --root $root --limit 3
echo
echo "== Where the newest pushed model came from"
$starling lineage PushedModel --root $root | head -n 12
echo
echo "Pipeline root:      $root   (metadata: $root/metadata.sqlite)"
echo "Serving directory:  $serving/ctr/<version>   -> serve with: $starling serve --model-base-path $serving"
echo "Reports:"
for kind in stats anomalies eval; do
  echo "  $kind: $($starling show $kind --root $root --html)"
done
echo "Rerun either day to see every node CACHED in seconds, without TensorFlow being imported."
echo
echo "Browse runs, graphs, reports, lineage and the days compared in the web UI:"
echo "  $starling ui --root $root     (then open http://127.0.0.1:8080/)"
echo
echo "== What happened each day ($(( $(date +%s) - started )) s in all)"
for span in 1 2 3 4; do
  day_summary $span
done
