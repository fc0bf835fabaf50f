#!/usr/bin/env bash
# `make objectstore-down`: stops what `make objectstore-up` started (by its pid file only) and
# removes its data, so each test session starts from empty buckets.
set -uo pipefail
source "$(dirname "$0")/env.sh"
if [ -f "$OBJECTSTORE_PID_FILE" ]; then
  pid="$(cat "$OBJECTSTORE_PID_FILE")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$OBJECTSTORE_PID_FILE"
fi
rm -rf "$OBJECTSTORE_DIR/data"
echo "objectstore-down: stopped"
