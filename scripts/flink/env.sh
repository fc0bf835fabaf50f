# Shared settings of the local Flink cluster (sourced by install.sh, up.sh, down.sh).
# Everything lives under $FLINK_STATE (default .flink/ in the repository, git-ignored).
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FLINK_STATE="${STARLING_FLINK_DIR:-$REPO_ROOT/.flink}"
FLINK_VERSION=1.19.3
BEAM_JOB_SERVER_VERSION=2.70.0   # see job-server-pom.xml for why not 2.61.0
FLINK_VENV="$FLINK_STATE/venv"
FLINK_HOME="$FLINK_VENV/lib/python3.11/site-packages/pyflink"
JOB_SERVER_DIR="$FLINK_STATE/job-server"
JOB_SERVER_JAR="$JOB_SERVER_DIR/beam-flink-1.19-job-server.jar"
FLINK_CONF_DIR="$FLINK_STATE/conf"
FLINK_LOG_DIR="$FLINK_STATE/log"
FLINK_PID_DIR="$FLINK_STATE/run"
FLINK_REST_PORT="${STARLING_FLINK_REST_PORT:-8081}"
BEAM_JOB_PORT="${STARLING_BEAM_JOB_PORT:-8099}"
BEAM_ARTIFACT_PORT="${STARLING_BEAM_ARTIFACT_PORT:-8098}"
BEAM_EXPANSION_PORT="${STARLING_BEAM_EXPANSION_PORT:-8097}"
BEAM_WORKER_POOL_PORT="${STARLING_BEAM_WORKER_POOL_PORT:-50000}"
STARLING_PYTHON="$REPO_ROOT/.venv/bin/python"
export FLINK_CONF_DIR FLINK_LOG_DIR FLINK_PID_DIR
