"""Quiet by default: a CLI run's console shows Starling's lines only; library output goes to the
run's log file (named at the end); --verbose shows everything. Real TensorFlow and Beam."""

import os
import re
import subprocess
import sys
from pathlib import Path

PIPELINE = '''
import logging, os, sys, warnings
from pathlib import Path
from components import CsvExampleGen
from pipelines import Input, Output, Pipeline, component
from pipelines.artifacts import Examples, Model
import helpers

@component
def noisy(examples: Input[Examples], model: Output[Model]):
    import tensorflow as tf
    print("a library print")
    os.write(2, b"E0000 a C++ log line on fd 2\\\\n")
    warnings.warn("a FutureWarning from a library", FutureWarning)
    logging.getLogger("absl").warning("an absl warning")
    Path(model.path("v.txt")).write_text(str(int(tf.constant(1))))

@component
def fails_in_helper(model: Input[Model], out: Output[Model]):
    os.write(2, b"W0000 another C++ log line\\n")
    helpers.check(0)

gen = CsvExampleGen(input_base="DATA", pattern="day-{SPAN}/*.csv")
loud = noisy(examples=gen.outputs["examples"])
pipeline = Pipeline("quiet", "ROOT", [gen, loud, fails_in_helper(model=loud.outputs["model"])])
'''

HELPERS = '''
def check(value):
    if value == 0:
        raise ValueError("value must not be 0")
'''

# Every line Starling itself prints for a run.
STARLING_LINE = re.compile(
    r"^(|Running pipeline .*|\[\d+/\d+\] .*|  ▶ .*|Run .*: .*|Library output: .*|"
    r"node '.*' failed: .*|Artifacts: .*|Metadata: .*|Inspect: .*)$")


def _project(tmp_path):
    (tmp_path / "data" / "day-1").mkdir(parents=True)
    (tmp_path / "data" / "day-1" / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "pipeline.py").write_text(PIPELINE.replace("ROOT", str(tmp_path / "root"))
                                          .replace("DATA", str(tmp_path / "data")))


def _starling_run(tmp_path, *flags):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # TF at its loudest
    env["PYTHONWARNINGS"] = "default"
    done = subprocess.run([sys.executable, "-m", "pipelines.cli.main", "run", "pipeline.py", *flags],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_console_shows_only_starling_lines_unless_verbose(tmp_path):
    _project(tmp_path)
    code, console = _starling_run(tmp_path)
    assert code == 1
    strangers = [line for line in console.splitlines() if not STARLING_LINE.match(line)]
    assert strangers == []
    # the failing node's one line points at the user's own helper
    assert "node 'fails_in_helper' failed: ValueError: value must not be 0 (at helpers.py:4)" in console
    [log_line] = [line for line in console.splitlines() if line.startswith("Library output: ")]
    log = Path(log_line.removeprefix("Library output: ")).read_text()
    assert log_line.startswith(f"Library output: {tmp_path / 'root' / 'logs'}")
    for noise in ("a library print", "E0000 a C++ log line", "a FutureWarning from a library",
                  "an absl warning"):
        assert noise in log and noise not in console

    code, console = _starling_run(tmp_path, "--verbose")  # the prefix is cached; the last node fails
    assert code == 1
    assert "W0000 another C++ log line" in console
    assert "Traceback (most recent call last)" in console and "Library output:" not in console
