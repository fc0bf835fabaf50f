"""`starling run --watch`: two spans written while it runs are each picked up by one run, and
SIGTERM stops it cleanly. The source component uses the real ExampleGen driver."""

import signal
import subprocess
import sys
import threading
import time

from pipelines.metadata import MetadataStore, sqlite_config

PIPELINE = '''
import shutil
from pathlib import Path
from components.example_gen.driver import input_facts
from components.example_gen.spans import select_files
from pipelines import Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples

@component(driver=input_facts)
def day_files(examples: Output[Examples], input_base: Parameter[str],
              pattern: Parameter[str] = "day-{SPAN}/*.csv", span: Parameter[int | None] = None,
              span_range: Parameter[list | None] = None):
    selection = select_files(input_base, pattern, span, span_range)
    for path in selection.files:
        shutil.copy(path, examples.path(Path(path).name))
    examples.span = selection.span

pipeline = Pipeline("watched", "ROOT", [day_files(input_base="DATA")])
'''


class _Lines:
    """Collects a child's output lines on a thread; waits for one matching a text."""

    def __init__(self, stream):
        self.lines = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text, after=0, timeout_s=60):
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for index, line in enumerate(self.lines[after:], start=after):
                    if text in line:
                        return index
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no line with {text!r} in:\n" + "\n".join(self.lines)
                self._changed.wait(remaining)


def _write_day(tmp_path, span):
    day = tmp_path / "data" / f"day-{span}"
    day.mkdir(parents=True)
    (day / "part.csv").write_text(f"span\n{span}\n")


def test_watch_runs_once_per_new_span_and_stops_on_sigterm(tmp_path):
    _write_day(tmp_path, 1)
    root = tmp_path / "root"
    (tmp_path / "pipeline.py").write_text(PIPELINE.replace("ROOT", str(root))
                                          .replace("DATA", str(tmp_path / "data")))
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.main", "run", "pipeline.py", "--watch",
         "--interval", "0.2"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        output = _Lines(child.stdout)
        first = output.wait_for("day_files: span 1 found: running")
        ran = output.wait_for("Run watched-", after=first)
        quiet = output.wait_for("no new data", after=ran)
        _write_day(tmp_path, 2)
        second = output.wait_for("day_files: span 2 arrived: running", after=quiet)
        ran = output.wait_for("Run watched-", after=second)
        quiet = output.wait_for("no new data", after=ran)
        _write_day(tmp_path, 3)
        third = output.wait_for("day_files: span 3 arrived: running", after=quiet)
        output.wait_for("no new data", after=output.wait_for("Run watched-", after=third))
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 0
        output.wait_for("watch stopped")
    finally:
        child.kill()

    store = MetadataStore(sqlite_config(str(root / "metadata.sqlite")))
    assert [run.properties["status"] for run in store.list_runs("watched")] == ["COMPLETE"] * 3
    spans = [a.span for a in store.query_artifacts("type = 'Examples'", newest_first=False)]
    assert spans == [1, 2, 3]
    assert sum("running" in line for line in output.lines) == 3
