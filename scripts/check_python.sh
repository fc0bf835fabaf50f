#!/usr/bin/env bash
# Stops the install with a clear message unless the given interpreter is CPython 3.11.
set -euo pipefail
python_bin="${1:-}"
if [ -z "$python_bin" ] || ! command -v "$python_bin" >/dev/null 2>&1; then
  echo "Starling needs Python 3.11, and no python3.11 (or python3) was found on PATH." >&2
  echo "Install Python 3.11, or run: make install PYTHON311=/path/to/python3.11" >&2
  exit 1
fi
version=$("$python_bin" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$version" != "3.11" ]; then
  echo "Starling needs Python 3.11, but $python_bin is Python $version." >&2
  echo "The pinned TensorFlow/TFX libraries support 3.11 only; run: make install PYTHON311=/path/to/python3.11" >&2
  exit 1
fi
