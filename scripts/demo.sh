#!/usr/bin/env bash
# `make demo`: runs the example pipeline cold and cached, then shows its runs and lineage.
set -euo pipefail
cd "$(dirname "$0")/.."
starling=.venv/bin/starling
root=runs/quickstart
echo "== First run (cold)"
$starling run templates/quickstart/pipeline.py --param root="$root"
echo
echo "== Second run (everything is cached)"
$starling run templates/quickstart/pipeline.py --param root="$root"
echo
echo "== Recent runs"
$starling runs --root "$root" --limit 5
echo
echo "== Where the latest model blessing came from"
$starling lineage ModelBlessing --root "$root"
echo
echo "Pipeline root: $root (artifacts), metadata: $root/metadata.sqlite"
