"""Run listeners: how a run reports progress (silent by default, a live console view in the CLI)."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from pipelines.caching import FIRST_RUN
from pipelines.runner.outcomes import HALTED_PREFIX, run_verdict
from pipelines.runner.results import CACHED, COMPLETE, FAILED, SKIPPED, STATUS_COUNTS, NodeResult, RunResult

_MARKS = {COMPLETE: "✓", CACHED: "=", FAILED: "✗", SKIPPED: "-"}
_REFUSED_MARKS = {"NOT BLESSED": "✗", "NOT PUSHED": "-"}  # completed, but the model goes no further
PROGRESS_LOGGER = "starling.progress"  # a running component's progress lines (e.g. Tuner trials)


class _ProgressLines(logging.Handler):
    """Shows INFO records of the progress logger as indented console lines."""

    def __init__(self, show: Callable[[str], None]):
        super().__init__(logging.INFO)
        self.show = show

    def emit(self, record: logging.LogRecord) -> None:
        self.show(f"  ▶ {record.getMessage()}")


class RunListener:
    """Receives run events; subclass and override what you need. The default ignores them."""

    def run_started(self, pipeline_name: str, run_id: str, node_count: int, metadata: str) -> None:
        """A run began."""

    def node_started(self, node_id: str, component: str) -> None:
        """A node began (cache lookup included)."""

    def node_finished(self, result: NodeResult) -> None:
        """A node ended with a status."""

    def run_finished(self, result: RunResult) -> None:
        """The run ended."""

    def notice(self, text: str) -> None:
        """A one-line notice before or during a run (waiting for another run, recovery)."""


class ConsoleProgress(RunListener):
    """Prints one line per finished node, and notes nodes that run for a while.

    A node still running after `announce_after_s` gets a "running" line, then one every
    `heartbeat_s`. Example output::

        [1/3] = example_gen              CACHED        0.01s
          ▶ trainer running (3s)
        [2/3] ✓ trainer                  COMPLETE     12.31s
    """

    def __init__(self, stream: TextIO | None = None, heartbeat_s: float = 15.0,
                 announce_after_s: float = 3.0):
        self.stream = stream or sys.stdout
        self.heartbeat_s = heartbeat_s
        self.announce_after_s = announce_after_s
        self._running: dict[str, float] = {}
        self._last_note: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._total = 0
        self._done = 0
        self._progress_lines = _ProgressLines(self._print)

    def _print(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)

    def run_started(self, pipeline_name: str, run_id: str, node_count: int,  # noqa: D102
                    metadata: str) -> None:
        with self._lock:  # one listener may watch several runs (`starling run --watch`)
            self._total, self._done = node_count, 0
            self._running.clear()
            self._last_note.clear()
        self._print(f"Running pipeline '{pipeline_name}' ({node_count} nodes), run {run_id}")
        progress = logging.getLogger(PROGRESS_LOGGER)
        progress.setLevel(logging.INFO)
        progress.addHandler(self._progress_lines)
        self._stop.clear()
        self._ticker = threading.Thread(target=self._heartbeat, daemon=True)
        self._ticker.start()

    def node_started(self, node_id: str, component: str) -> None:  # noqa: D102
        with self._lock:
            self._running[node_id] = time.time()

    def node_finished(self, result: NodeResult) -> None:  # noqa: D102
        with self._lock:
            self._running.pop(result.node_id, None)
            self._done += 1
            done = self._done
        line = (f"[{done:>{len(str(self._total))}}/{self._total}] {node_mark(result)} "
                f"{result.node_id:<28} {result.shown_status:<11} {result.duration_s:8.2f}s")
        note = node_note(result)
        if note:
            line += f"  {note.splitlines()[0][:160]}"
        self._print(line)

    def notice(self, text: str) -> None:  # noqa: D102
        self._print(text)

    def run_finished(self, result: RunResult) -> None:  # noqa: D102
        self._stop.set()
        logging.getLogger(PROGRESS_LOGGER).removeHandler(self._progress_lines)
        counts = ", ".join(f"{count} {name}" for name, count in status_counts(result).items() if count)
        self._print(f"Run {result.run_id}: {result.shown_status} in {result.duration_s:.2f}s ({counts})")
        verdict = run_verdict(outcome for _, outcome in result.outcomes())
        if verdict:
            self._print(f"Outcome: {verdict}")

    def _heartbeat(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                running = dict(self._running)
            now = time.time()
            for node_id, since in running.items():
                last = self._last_note.get(node_id)
                due = (now - since >= self.announce_after_s) if last is None else (
                    now - last >= self.heartbeat_s)
                if due:
                    self._last_note[node_id] = now
                    self._print(f"  ▶ {node_id} running ({now - since:.0f}s)")


def node_mark(result: NodeResult) -> str:
    """✓ ran, = cached, ✗ failed, halted or NOT BLESSED, - skipped or NOT PUSHED."""
    outcome = result.outcome
    if outcome is not None and not outcome.ok:
        return _REFUSED_MARKS.get(outcome.label, "✗")
    return _MARKS.get(result.status, "?")


def node_note(result: NodeResult) -> str:
    """What follows the status: the error, the halt's reason, or the outcome's detail."""
    if result.error:
        text = result.error_text
        return text[len(HALTED_PREFIX):] if result.halted else text
    outcome = result.outcome
    shown = "" if outcome is None else outcome.describe() if result.status == CACHED else outcome.detail
    shown = "; ".join(part for part in (shown, output_notes(result)) if part)
    why = run_reason(result)
    return f"{shown} ({why})" if shown and why else shown or (f"({why})" if why else "")


def output_notes(result: NodeResult) -> str:
    """What a node's outputs ask to be said on its line (e.g. a warm start), by the component that made them.

    An output's `note` property is shown on the line of its producing component (`noted_by`), not
    on the lines of resolvers that hand the same artifact on.
    """
    return "; ".join(str(artifact.properties["note"]) for artifact in result.outputs.values()
                     if artifact is not None and artifact.properties.get("note")
                     and artifact.properties.get("noted_by") == result.component)


def run_reason(result: NodeResult) -> str:
    """Why a node ran rather than being reused, when an earlier execution existed ("" otherwise)."""
    if result.status == CACHED or result.reason in ("", FIRST_RUN):
        return ""
    return result.reason


def status_counts(result: RunResult) -> dict[str, int]:
    """Nodes by status, halted ones apart from failed ones: {"complete": 3, "halted": 1, ...}."""
    summary = result.summary()
    counts = {status.lower(): summary[status.lower()] for status in STATUS_COUNTS}
    counts["failed"] -= summary["halted"]
    counts["halted"] = summary["halted"]
    return counts
