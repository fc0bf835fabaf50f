#!/usr/bin/env bash
# `make test`: lint, then the fast tests, then the end-to-end tests (tests marked e2e, on two
# pytest-xdist workers), then the tests on a local Flink cluster (marked flink), then the tests
# on a local S3-compatible store (marked objectstore), then one closing line with the totals.
# pytest exits 5 when a selection holds no test; that is no failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1  # nothing else: Starling sets up TensorFlow's environment itself
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1  # pipelines, components, serving ([mypy] in setup.cfg)
run_pytest() {
  local report=$1
  shift
  .venv/bin/python -m pytest tests --junitxml="$reports/$report.xml" "$@"
  local status=$?
  [ "$status" -eq 5 ] && return 0
  return "$status"
}
status=0
run_pytest fast -m "not e2e and not flink and not objectstore" -q --durations=10 || status=1
if [ "$status" -eq 0 ]; then
  # two workers, a test file each at a time: most e2e time is single-threaded Python in subprocesses
  run_pytest e2e -m "e2e and not flink and not objectstore" -q --durations=10 -n 2 --dist loadfile || status=1
fi
objectstore_build=""
if [ "$status" -eq 0 ]; then  # SeaweedFS's first build (minutes, once per machine) overlaps the Flink layer, niced
  nice -n 19 bash scripts/objectstore/install.sh > "$reports/objectstore-install.log" 2>&1 &
  objectstore_build=$!
fi
if [ "$status" -eq 0 ]; then  # the local Flink cluster: needs Java 17 and Maven (tests/flink/conftest.py)
  run_pytest flink -m flink -q --durations=10 || status=1
fi
if [ -n "$objectstore_build" ] && ! wait "$objectstore_build"; then
  cat "$reports/objectstore-install.log" >&2
  status=1
fi
if [ "$status" -eq 0 ]; then  # SeaweedFS on 127.0.0.1: built with Go once (tests/objectstore/conftest.py)
  run_pytest objectstore -m objectstore -q --durations=10 || status=1
fi
.venv/bin/python scripts/junit_summary.py "$reports"/*.xml || status=1
exit "$status"
