"""One-line descriptions of a node's failure, pointing at the user's own code."""

from __future__ import annotations

import os
import traceback
from types import TracebackType

from pipelines.dsl.locations import is_project_file
from pipelines.errors import StarlingError

_MAX_MESSAGE = 500



def user_frame(trace: TracebackType | None) -> str | None:
    """`file:line` of the deepest traceback frame in the user's code (not Starling, not a library)."""
    location = None
    for frame in traceback.extract_tb(trace):
        path = os.path.abspath(frame.filename)
        if frame.filename.startswith("<") or not is_project_file(path):
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
