#!/usr/bin/env bash
# Installs, once, what `make flink-up` runs: a standalone Flink (PyPI's apache-flink and
# apache-flink-libraries wheels, in a venv of their own since apache-flink pins an old Beam) and
# the Beam Flink job server (from Maven Central through mvn). Nothing is downloaded at run time.
set -euo pipefail
source "$(dirname "$0")/env.sh"
STAMP="$FLINK_STATE/.installed-flink-$FLINK_VERSION-beam-$BEAM_JOB_SERVER_VERSION"
[ -f "$STAMP" ] && exit 0
mkdir -p "$FLINK_STATE"

install_flink() {
  local uv="$REPO_ROOT/.venv/bin/uv"
  local python
  python="$(command -v python3.11 || command -v python3)"
  rm -rf "$FLINK_VENV"
  if [ -x "$uv" ]; then
    "$uv" venv --quiet "$FLINK_VENV" --python "$python"
    # --no-deps: only the cluster's scripts and jars are used, not PyFlink's Python API.
    "$uv" pip install --quiet --python "$FLINK_VENV/bin/python" --no-deps \
      "apache-flink==$FLINK_VERSION" "apache-flink-libraries==$FLINK_VERSION"
  else
    "$python" -m venv "$FLINK_VENV"
    "$FLINK_VENV/bin/pip" install --quiet --no-deps \
      "apache-flink==$FLINK_VERSION" "apache-flink-libraries==$FLINK_VERSION"
  fi
  test -x "$FLINK_HOME/bin/jobmanager.sh"
}

install_job_server() {
  command -v mvn >/dev/null || { echo "flink-up: mvn (Maven) is needed to fetch the Beam job server" >&2; exit 1; }
  command -v java >/dev/null || { echo "flink-up: java (17) is needed to run Flink" >&2; exit 1; }
  rm -rf "$JOB_SERVER_DIR"
  mkdir -p "$JOB_SERVER_DIR"
  mvn --batch-mode --quiet -f "$REPO_ROOT/scripts/flink/job-server-pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$JOB_SERVER_DIR/lib" >"$JOB_SERVER_DIR/mvn.log" 2>&1 \
    || { tail -20 "$JOB_SERVER_DIR/mvn.log" >&2; exit 1; }
  # A launcher jar whose manifest points at lib/: usable as --flink_job_server_jar.
  "$FLINK_VENV/bin/python" "$REPO_ROOT/scripts/flink/launcher_manifest.py" "$JOB_SERVER_DIR/lib" \
    > "$JOB_SERVER_DIR/MANIFEST.MF"
  (cd "$JOB_SERVER_DIR" && jar cfm "$JOB_SERVER_JAR" MANIFEST.MF)
}

echo "flink-up: installing Flink $FLINK_VERSION and the Beam job server under $FLINK_STATE (once)"
install_flink
install_job_server
touch "$STAMP"
