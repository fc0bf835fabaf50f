"""Runners: execute pipelines and report progress and results."""

from pipelines.runner.context import ExecutionContext, current_execution
from pipelines.runner.local import LocalRunner
from pipelines.runner.progress import ConsoleProgress, RunListener
from pipelines.runner.results import CACHED, COMPLETE, FAILED, SKIPPED, NodeResult, RunResult

__all__ = [
    "CACHED",
    "COMPLETE",
    "FAILED",
    "SKIPPED",
    "ConsoleProgress",
    "ExecutionContext",
    "LocalRunner",
    "NodeResult",
    "RunListener",
    "RunResult",
    "current_execution",
]
