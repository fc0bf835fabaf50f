"""The execution context a running component can read: pipeline, run, node and Beam arguments."""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from pipelines.errors import StarlingError


@dataclasses.dataclass(frozen=True)
class ExecutionContext:
    """What a component may need beyond its inputs and parameters.

    Attributes:
        pipeline_name: The running pipeline.
        pipeline_root: Its root directory.
        run_id: The current run.
        node_id: The running node.
        execution_id: The MLMD execution id of this run of the node.
        beam_args: Pipeline-wide Beam pipeline arguments.
        temp_dir: A scratch directory removed after the node finishes.
    """

    pipeline_name: str
    pipeline_root: str
    run_id: str
    node_id: str
    execution_id: int
    beam_args: tuple[str, ...]
    temp_dir: str


_CURRENT: contextvars.ContextVar[ExecutionContext] = contextvars.ContextVar("starling_execution")


def current_execution() -> ExecutionContext:
    """The context of the component running in this thread.

    Raises:
        StarlingError: called outside a running component.

    Example:
        >>> from pipelines.runner import current_execution
        >>> def body():  # inside a component
        ...     return current_execution().beam_args
    """
    try:
        return _CURRENT.get()
    except LookupError:
        raise StarlingError("current_execution() is only available while a component runs") from None


@contextmanager
def executing(context: ExecutionContext) -> Iterator[ExecutionContext]:
    """Makes `context` the current execution for the duration of the block."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
