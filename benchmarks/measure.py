"""Measuring a piece of work in a fresh process: wall time, peak RSS, and what it printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_PRELUDE = """
import json, os, resource, sys, time
sys.path.insert(0, {repo!r})
import pipelines  # Starling sets up tf_keras before the measured code imports TensorFlow
RESULT = {{}}
"""
_EPILOGUE = """
RESULT["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
RESULT["tensorflow_imported"] = "tensorflow" in sys.modules
print("BENCHMARK-RESULT " + json.dumps(RESULT))
"""


def run_measured(code: str, cwd: str | None = None) -> dict:
    """Runs `code` in a new interpreter; returns its RESULT dict plus wall_s and peak_rss_mb.

    The code fills the dict `RESULT` with whatever it measured.
    """
    script = _PRELUDE.format(repo=str(REPO)) + textwrap.dedent(code) + _EPILOGUE
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{completed.stderr[-3000:]}")
    line = next(text for text in completed.stdout.splitlines() if text.startswith("BENCHMARK-RESULT "))
    result = json.loads(line[len("BENCHMARK-RESULT "):])
    result["wall_s"] = wall
    return result


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def benchmark_main(doc: str, name: str, measure, options: dict[str, int]) -> None:
    """The command line every benchmark shares: `--<option> N ... [--update-readme]`.

    `measure(**options)` returns the Markdown table, printed and, with --update-readme, written
    into README.md between the `bench:<name>` markers.
    """
    import argparse

    from benchmarks.readme_tables import update_readme

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for option, default in options.items():
        parser.add_argument(f"--{option}", type=int, default=default)
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args()
    table = measure(**{option: getattr(args, option) for option in options})
    print(table)
    if args.update_readme:
        update_readme(name, table)
