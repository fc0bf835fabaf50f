"""Quiet runs: library output (TF's C++ log, absl, Beam, warnings) goes to a log file per run.

Starling's own progress lines go to the console stream the block yields; everything written to
file descriptors 1 and 2 while it is open (C++ libraries included) and every Python warning or
log record lands in the log file instead.

Example:
    >>> with library_output_to("runs/demo/logs/run.log") as console:    # doctest: +SKIP
    ...     LocalRunner(listener=ConsoleProgress(console)).run(pipeline)
"""

from __future__ import annotations

import datetime
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LOG_DIR = "logs"


def new_log_path(root: str) -> str:
    """`<root>/logs/run-<YYYYmmdd-HHMMSS>-<pid>.log` for a run starting now."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join(os.path.abspath(root), LOG_DIR, f"run-{stamp}-{os.getpid()}.log")


def _fd_backed(stream: TextIO, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):  # e.g. a test's capture object
        return False


@contextmanager
def library_output_to(log_path: str) -> Iterator[TextIO]:
    """Sends fds 1 and 2, `sys.stdout`/`sys.stderr`, warnings and logging to `log_path`.

    Yields the console: what stdout was before the block (line-buffered). Everything is
    restored when the block ends, also on errors and interrupts.
    """
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_streams = sys.stdout, sys.stderr
    saved_out, saved_err = os.dup(1), os.dup(2)
    own_console = _fd_backed(sys.stdout, 1)
    console = (os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8") if own_console
               else sys.stdout)
    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (closed below)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    logging.captureWarnings(True)
    try:
        yield console
    finally:
        logging.captureWarnings(False)
        sys.stdout, sys.stderr = saved_streams
        log.close()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        os.close(saved_out)
        os.close(saved_err)
        if own_console:
            console.close()
