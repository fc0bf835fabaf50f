#!/usr/bin/env bash
# `make demo`: the ctr template end to end on the embedded default (SQLite MLMD, local files,
# Beam DirectRunner). Day 1 of ad click data arrives and the pipeline runs; day 2 arrives and the
# same command (no span given: the ExampleGen's driver sees the new day) trains on it, warm-started
# from day 1's model and judged against it; a third run with nothing new is entirely CACHED.
set -euo pipefail
cd "$(dirname "$0")/.."
starling=.venv/bin/starling
root=runs/ctr
data=runs/ctr-data
serving=runs/serving
rows=${DEMO_ROWS:-20000}

run() {
  $starling run templates/ctr/pipeline.py --param root=$root --param data_root=$data \
    --param serving_base=$serving
}
for span in 1 2; do
  echo
  echo "== Day $span arrives ($rows rows) in $data/day-$span"
  .venv/bin/python templates/ctr/data_generator.py --out "$data" --first-day $span --days 1 \
    --rows "$rows" >/dev/null
  run
done
echo
echo "== Nothing new: the same command again"
run

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
echo "Browse runs, graphs, reports, lineage and the two days compared in the web UI:"
echo "  $starling ui --root $root     (then open http://127.0.0.1:8080/)"
