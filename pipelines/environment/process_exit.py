"""Ending a `starling` process without tearing down the libraries it imported.

A process that imported TensorFlow, Beam and TFMA spends about 1.5 s after its last line in the
interpreter's own teardown: freeing every module's objects and running TensorFlow's C++
destructors, none of which leaves anything behind. `exit_now` does what an ending program owes
its user (joins its threads, runs `atexit` handlers, which close log files and remove temporary
directories, and flushes its output) and then leaves with `os._exit`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def finish_like_an_interpreter(code: int) -> int:
    """What Python does when a program ends, up to its teardown: threads, `atexit`, flushing."""
    getattr(threading, "_shutdown")()  # noqa: B009 - private, as the interpreter calls it
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    return code


def exit_now(code: int) -> NoReturn:
    """Ends the process with `code` once `finish_like_an_interpreter` has run."""
    os._exit(finish_like_an_interpreter(code))


def exit_code(exit_: SystemExit) -> int:
    """The status a `SystemExit` ends the interpreter with (None: 0; a message: 1)."""
    if isinstance(exit_.code, int):
        return exit_.code
    if exit_.code is not None:
        print(exit_.code, file=sys.stderr)
        return 1
    return 0
