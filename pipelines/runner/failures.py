"""One-line descriptions of a node's failure, pointing at the user's own code."""

from __future__ import annotations

import os
import sysconfig
import traceback
from types import TracebackType

from pipelines.errors import StarlingError

_MAX_MESSAGE = 500


_STARLING_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _framework_directories() -> tuple[str, ...]:
    """Starling's packages (the standard components included) and the installed libraries."""
    paths = sysconfig.get_paths()
    found = {*(os.path.join(_STARLING_DIR, package) for package in ("pipelines", "components")),
             paths["stdlib"], paths["platstdlib"], paths["purelib"], paths["platlib"]}
    return tuple(os.path.join(os.path.abspath(directory), "") for directory in found)


def user_frame(trace: TracebackType | None) -> str | None:
    """`file:line` of the deepest traceback frame in the user's code (not Starling, not a library)."""
    framework = _framework_directories()
    location = None
    for frame in traceback.extract_tb(trace):
        path = os.path.abspath(frame.filename)
        if path.startswith(framework) or frame.filename.startswith("<"):
            continue
        shown = os.path.relpath(path) if path.startswith(os.path.join(os.getcwd(), "")) else path
        location = f"{shown}:{frame.lineno}"
    return location


def describe_error(error: BaseException) -> str:
    """The one-line form of a node's error: `Type: first line of message (at file:line)`.

    The location is the deepest frame of the user's own code (a run_fn, a preprocessing_fn, a
    component defined in the pipeline file), when there is one.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    message = (lines[0] if lines else "")[:_MAX_MESSAGE]
    if len(lines) > 1:
        message += " ..."
    if isinstance(error, StarlingError):  # Starling's own errors already say what and where
        return message
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    location = user_frame(error.__traceback__)
    return f"{text} (at {location})" if location else text
