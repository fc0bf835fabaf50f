#!/usr/bin/env bash
# `make demo`: the ctr template end to end on the embedded default (SQLite MLMD, local files,
# Beam DirectRunner). Generates two days of ad click data, runs the pipeline for day 1 and day 2
# (day 2 warm-starts from day 1's model and is judged against it), then says where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2
starling=.venv/bin/starling
root=runs/ctr
data=runs/ctr-data
serving=runs/serving
rows=${DEMO_ROWS:-20000}

echo "== Generating two days of click data ($rows rows a day) in $data"
.venv/bin/python templates/ctr/data_generator.py --out "$data" --days 2 --rows "$rows" >/dev/null
for span in 1 2; do
  echo
  echo "== Day $span"
  $starling run templates/ctr/pipeline.py --param span=$span --param root=$root \
    --param data_root=$data --param serving_base=$serving
done

echo
echo "== Sliced evaluation of the latest model"
$starling show eval --root $root | head -n 12
echo
echo "== What was pushed"
$starling artifacts --root $root --type PushedModel
echo
echo "== Where it came from"
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
