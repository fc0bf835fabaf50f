"""A node's own lines of its run's log, picked by time.

The run log (`starling run` sends library output there, see `pipelines.runner.run_log`) has no
node markers, but most library lines carry a timestamp (TensorFlow's C++ log, absl, Python
logging). A line belongs to the node that was running when it was written; a line without a
timestamp goes with the timestamped line before it.
"""

from __future__ import annotations

import datetime
import os
import re

MAX_LINES = 500
MAX_BYTES = 8 * 1024 * 1024  # read at most the last 8 MiB of a log
_STAMPS = (
    (re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})[.,]?(\d{0,6})"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"^[IWEF](\d{4} \d{2}:\d{2}:\d{2})\.?(\d{0,6})"), "%m%d %H:%M:%S"),
)
SLACK_MS = 1000  # timestamps have whole seconds in some formats


def line_time_ms(line: str, year: int) -> int | None:
    """The epoch ms a log line's leading timestamp names (local time), or None."""
    for pattern, layout in _STAMPS:
        found = pattern.match(line)
        if found:
            text = found.group(1).replace("T", " ")
            if "%Y" not in layout:
                text, layout = f"{year}{text}", f"%Y{layout}"
            try:
                moment = datetime.datetime.strptime(text, layout)
            except ValueError:
                return None
            fraction = found.group(2)
            return int(moment.timestamp() * 1000) + (int(fraction.ljust(6, "0")[:3]) if fraction else 0)
    return None


def node_lines(log_path: str, started_ms: int, finished_ms: int) -> list[str]:
    """The log's lines written while the node ran (at most the last 500 of them).

    Raises:
        FileNotFoundError: the log is gone.
    """
    text = _tail_text(log_path)
    year = datetime.datetime.fromtimestamp(started_ms / 1000).year
    picked, inside = [], False
    for line in text.splitlines():
        moment = line_time_ms(line, year)
        if moment is not None:
            inside = started_ms - SLACK_MS <= moment <= finished_ms + SLACK_MS
        if inside:
            picked.append(line)
    return picked[-MAX_LINES:]


def own_lines(log_path: str) -> list[str]:
    """The last 500 lines of a log file that is the node's own (a Kubeflow step's, say).

    Raises:
        FileNotFoundError: the log is gone.
    """
    return _tail_text(log_path).splitlines()[-MAX_LINES:]


def _tail_text(log_path: str) -> str:
    size = os.path.getsize(log_path)
    with open(log_path, "rb") as source:
        source.seek(max(size - MAX_BYTES, 0))
        return source.read().decode("utf-8", errors="replace")
