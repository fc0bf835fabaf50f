#!/usr/bin/env bash
# The TFX 1.16 peer for benchmarks/taxi_peer.py: its own venv, benchmarks/.peer/tfx-venv (gitignored).
#
# TFX 1.16 declares Python < 3.11, so it is installed as `make install` installs it into .venv:
# with --no-deps (requirements-tfx.txt). The libraries it drives come from requirements.lock
# (used as constraints), so both sides of the benchmark run the same TensorFlow, TFDV, TFT, TFMA,
# tfx-bsl, Beam and MLMD. The list below is what TFX's LocalDagRunner and the taxi template
# import, found by running the template; Starling itself is not installed here. Byte code is
# compiled at install, as `make install` does for .venv, so neither side pays for it in a run.
#
#   bash benchmarks/peer_tfx.sh          # about a minute with a warm uv cache
set -euo pipefail
cd "$(dirname "$0")/.."
UV=.venv/bin/uv
PEER=benchmarks/.peer/tfx-venv
PYTHON311=${PYTHON311:-$(.venv/bin/python -c 'import sys; print(sys._base_executable)')}

test -x "$UV" || { echo "no $UV: run make install first" >&2; exit 1; }
test -x "$PEER/bin/python" || "$UV" venv --quiet --python "$PYTHON311" "$PEER"
"$UV" pip install --quiet --compile-bytecode --python "$PEER/bin/python" -c requirements.lock \
    tensorflow tf-keras tensorflow-data-validation tensorflow-transform tensorflow-model-analysis \
    tfx-bsl tensorflow-metadata ml-metadata "apache-beam[gcp]" tensorflow-serving-api \
    absl-py attrs click jinja2 keras-tuner kubernetes packaging pyyaml
"$UV" pip install --quiet --compile-bytecode --python "$PEER/bin/python" --no-deps -r requirements-tfx.txt
"$PEER/bin/python" -c 'import tfx, tensorflow as tf; print("TFX", tfx.__version__, "TensorFlow", tf.__version__)'
