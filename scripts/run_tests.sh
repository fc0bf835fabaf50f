#!/usr/bin/env bash
# `make test`: lint, then the fast tests, then the end-to-end tests (tests marked e2e).
# pytest exits 5 when a selection holds no test; that is not a failure of the suite.
set -uo pipefail
cd "$(dirname "$0")/.."
export TF_USE_LEGACY_KERAS=1 TF_CPP_MIN_LOG_LEVEL=2 PYTHONDONTWRITEBYTECODE=1
.venv/bin/ruff check . || exit 1
run_pytest() {
  .venv/bin/python -m pytest tests "$@"
  local status=$?
  [ "$status" -eq 5 ] && return 0
  return "$status"
}
run_pytest -m "not e2e" -q --durations=10 || exit 1
run_pytest -m e2e -q --durations=10 || exit 1
