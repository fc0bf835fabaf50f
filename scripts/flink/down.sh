#!/usr/bin/env bash
# `make flink-down`: stops what `make flink-up` started, by the pid files in .flink/run/ only.
set -uo pipefail
source "$(dirname "$0")/env.sh"

stop_pid_file() {  # pid file: TERM, wait up to 15 s, then KILL; removes the file
  local file=$1 pid
  [ -f "$file" ] || return 0
  while read -r pid; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done < "$file"
  rm -f "$file"
}

stop_worker_pool() {  # the pool's SDK workers are its children: stop them with it
  local file="$FLINK_PID_DIR/worker-pool.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  pkill -TERM -P "$pid" 2>/dev/null || true
  stop_pid_file "$file"
}

stop_worker_pool
stop_pid_file "$FLINK_PID_DIR/job-server.pid"
# Flink's own daemon scripts write <user>-taskexecutor.pid / -standalonesession.pid here.
for file in "$FLINK_PID_DIR"/*-taskexecutor.pid "$FLINK_PID_DIR"/*-standalonesession.pid; do
  [ -e "$file" ] && stop_pid_file "$file"
done
echo "flink-down: stopped the local Flink cluster, job server and worker pool"
