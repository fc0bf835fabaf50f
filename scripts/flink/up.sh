#!/usr/bin/env bash
# `make flink-up`: a local standalone Flink cluster for Beam (1 JobManager, 1 TaskManager with 2
# slots, REST on 127.0.0.1:8081), Beam's Flink job server and a Beam Python SDK worker pool, all
# on 127.0.0.1. Logs: .flink/log/. Pid files: .flink/run/ (what `make flink-down` stops).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$REPO_ROOT/scripts/flink/install.sh"
mkdir -p "$FLINK_CONF_DIR" "$FLINK_LOG_DIR" "$FLINK_PID_DIR" "$FLINK_STATE/artifacts"

alive() { [ -f "$FLINK_PID_DIR/$1.pid" ] && kill -0 "$(tail -n 1 "$FLINK_PID_DIR/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if alive job-server && alive worker-pool && port_open "$FLINK_REST_PORT"; then
  echo "flink-up: already running (REST http://127.0.0.1:$FLINK_REST_PORT)"
  exit 0
fi
for port in "$FLINK_REST_PORT" "$BEAM_JOB_PORT" "$BEAM_WORKER_POOL_PORT"; do
  if port_open "$port"; then
    echo "flink-up: port $port on 127.0.0.1 is taken by another program; stop it or set STARLING_*_PORT" >&2
    exit 1
  fi
done

write_flink_config() {
  cp "$FLINK_HOME"/conf/log4j*.properties "$FLINK_CONF_DIR/"
  local java_opts
  java_opts="$(sed -n 's/^ *all: //p' "$FLINK_HOME/conf/config.yaml" | head -1)"  # Java 17 opens
  cat > "$FLINK_CONF_DIR/config.yaml" <<YAML
env:
  java:
    opts:
      all: $java_opts
jobmanager:
  bind-host: 127.0.0.1
  rpc: {address: 127.0.0.1, port: 6123}
  memory: {process: {size: 1024m}}
  execution: {failover-strategy: region}
taskmanager:
  bind-host: 127.0.0.1
  host: 127.0.0.1
  numberOfTaskSlots: 2
  memory:  # Beam's batch jobs open many channels: a larger network pool than Flink's default
    process: {size: 4096m}
    task: {off-heap: {size: 768m}}  # the Fn API's gRPC buffers to the Python workers are direct memory
    framework: {off-heap: {size: 256m}}
    network: {min: 640m, max: 640m}
    managed: {fraction: 0.3}
  network:  # Flink's sort shuffle wants 512 buffers per partition; TFMA's jobs have many
    sort-shuffle: {min-buffers: 64}
parallelism: {default: 2}
rest: {address: 127.0.0.1, bind-address: 127.0.0.1, port: $FLINK_REST_PORT}
blob: {server: {port: "6124"}}
io: {tmp: {dirs: $FLINK_STATE/tmp}}
YAML
  echo 127.0.0.1:"$FLINK_REST_PORT" > "$FLINK_CONF_DIR/masters"
  echo 127.0.0.1 > "$FLINK_CONF_DIR/workers"
  mkdir -p "$FLINK_STATE/tmp"
}

start_background() {  # name, command...: runs it detached, output to the log dir, pid to the run dir
  local name=$1
  shift
  nohup "$@" >"$FLINK_LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! > "$FLINK_PID_DIR/$name.pid"
}

wait_for() {  # what, seconds, test command...
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq "$seconds"); do
    "$@" && return 0
    sleep 1
  done
  echo "flink-up: $what did not come up in ${seconds}s; see $FLINK_LOG_DIR" >&2
  bash "$REPO_ROOT/scripts/flink/down.sh" >/dev/null 2>&1 || true
  exit 1
}

slots_ready() {
  "$STARLING_PYTHON" - "$FLINK_REST_PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
overview = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/overview", timeout=2))
sys.exit(0 if overview.get("slots-total", 0) >= 2 else 1)
PY
}

write_flink_config
export FLINK_HOME
"$FLINK_HOME/bin/jobmanager.sh" start >/dev/null
"$FLINK_HOME/bin/taskmanager.sh" start >/dev/null
start_background job-server java -cp "$JOB_SERVER_DIR/lib/*" org.apache.beam.runners.flink.FlinkJobServerDriver \
  --flink-master="127.0.0.1:$FLINK_REST_PORT" --job-host=127.0.0.1 --job-port="$BEAM_JOB_PORT" \
  --artifact-port="$BEAM_ARTIFACT_PORT" --expansion-port="$BEAM_EXPANSION_PORT" \
  --artifacts-dir="$FLINK_STATE/artifacts"
(cd "$REPO_ROOT" && start_background worker-pool env PYTHONPATH="$REPO_ROOT" \
  "$STARLING_PYTHON" scripts/flink/worker_pool.py --port "$BEAM_WORKER_POOL_PORT")
wait_for "Flink's REST API with 2 task slots" 120 slots_ready
wait_for "the Beam job server" 60 port_open "$BEAM_JOB_PORT"
wait_for "the Beam SDK worker pool" 180 port_open "$BEAM_WORKER_POOL_PORT"
echo "flink-up: Flink $FLINK_VERSION at http://127.0.0.1:$FLINK_REST_PORT (2 slots), Beam job server" \
  "127.0.0.1:$BEAM_JOB_PORT, SDK worker pool 127.0.0.1:$BEAM_WORKER_POOL_PORT; logs in $FLINK_LOG_DIR"
