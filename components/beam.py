"""Beam pipelines for components, configured by the pipeline's `beam_args`.

Every Beam-using component builds its pipeline with `new_pipeline()`, so one place decides the
runner (DirectRunner unless `beam_args` say otherwise), names the job after the node (on Flink,
`/jobs/overview` then shows which component ran which job) and bounds how long a job on a
remote runner may take: a job still running after `STARLING_BEAM_TIMEOUT_S` seconds (default
3600) is cancelled and the component fails, instead of waiting forever.

User functions handed to Beam libraries (Transform's `preprocessing_fn`) are wrapped in
`ByValueFunction` so their code travels inside the job (tensorflow/tfx#4948).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pipelines.dsl.module_reference import _UNIQUE_PREFIX as USER_MODULE_PREFIX
from pipelines.errors import StarlingError
from pipelines.runner import current_execution

DEFAULT_BEAM_ARGS = ("--runner=DirectRunner",)
TIMEOUT_ENV = "STARLING_BEAM_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 3600.0
LOCAL_RUNNERS = ("directrunner", "direct", "interactiverunner", "")


class BeamJobTimeout(StarlingError):
    """A Beam job on a remote runner did not finish in time and was cancelled."""


def beam_args() -> list[str]:
    """The running pipeline's Beam arguments (DirectRunner when none are given)."""
    try:
        given = list(current_execution().beam_args)
    except StarlingError:  # outside a run, e.g. in a notebook
        given = []
    return given or list(DEFAULT_BEAM_ARGS)


def runner_name(args: Sequence[str]) -> str:
    """The `--runner` the arguments choose (the last one wins, as in Beam), or ''."""
    name = ""
    for index, arg in enumerate(args):
        if arg.startswith("--runner="):
            name = arg.split("=", 1)[1]
        elif arg == "--runner" and index + 1 < len(args):
            name = args[index + 1]
    return name


def is_remote(args: Sequence[str]) -> bool:
    """True when the arguments send jobs to a runner outside this process (Flink, Spark...)."""
    return runner_name(args).lower() not in LOCAL_RUNNERS


def _job_name_args(args: Sequence[str]) -> list[str]:
    """`--job_name=<pipeline>-<node>-<execution>` for remote runners that were given none."""
    if not is_remote(args) or any(arg.startswith("--job_name") for arg in args):
        return []
    try:
        context = current_execution()
    except StarlingError:
        return []
    return [f"--job_name={context.pipeline_name}-{context.node_id}-{context.execution_id}"]


def pipeline_options(extra: Sequence[str] = ()) -> Any:
    """Beam PipelineOptions from the pipeline's `beam_args` plus `extra`."""
    from apache_beam.options.pipeline_options import PipelineOptions

    args = [*beam_args(), *extra]
    return PipelineOptions([*args, *_job_name_args(args)])


def job_timeout_s() -> float:
    """Seconds a remote Beam job may run: `STARLING_BEAM_TIMEOUT_S`, default 3600."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise StarlingError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None


class _BoundedResult:
    """A PipelineResult whose wait_until_finish gives up, and cancels the job, after a deadline."""

    def __init__(self, result: Any, runner: str, timeout_s: float) -> None:
        self._result = result
        self._runner = runner
        self._timeout_s = timeout_s

    def wait_until_finish(self, duration: float | None = None) -> Any:
        from apache_beam.runners.runner import PipelineState

        state = self._result.wait_until_finish(duration or int(self._timeout_s * 1000))
        if duration is None and not PipelineState.is_terminal(state):
            try:
                self._result.cancel()
            finally:
                raise BeamJobTimeout(
                    f"the Beam job on {self._runner} did not finish within {self._timeout_s:.0f} s "
                    f"(state {state}) and was cancelled; raise {TIMEOUT_ENV} for larger data")
        return state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)


class ByValueFunction:
    """A user function that pickles with its code (cloudpickle), whatever module it came from.

    Beam pickles functions of importable modules by reference, and SDK workers cannot import a
    user module loaded by file (it lives here as `starling_user_module_<digest>`): that is the
    `ModuleNotFoundError` TFX users meet on Flink and Dataflow (tensorflow/tfx#4948). dill cannot
    pickle such a function by value on Python 3.11 either (it rebuilds it with empty globals), so
    the function travels as a cloudpickle payload of its code and the globals it uses; workers need
    Starling installed, not the user's files.

    Example:
        >>> shipped = ByValueFunction(preprocessing_fn)  # doctest: +SKIP
        >>> shipped(inputs)  # calls preprocessing_fn(inputs)  # doctest: +SKIP
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self._wrap(function)

    def _wrap(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.__name__ = getattr(function, "__name__", "user_function")
        self.__doc__ = function.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the wrapped function."""
        return self.function(*args, **kwargs)

    def __getstate__(self) -> dict[str, bytes]:
        import cloudpickle

        module = sys.modules.get(getattr(self.function, "__module__", "") or "")
        by_value = module is not None and module.__name__.startswith(USER_MODULE_PREFIX)
        if by_value:
            cloudpickle.register_pickle_by_value(module)
        try:
            return {"payload": cloudpickle.dumps(self.function)}
        finally:
            if by_value:
                cloudpickle.unregister_pickle_by_value(module)

    def __setstate__(self, state: dict[str, bytes]) -> None:
        import cloudpickle

        self._wrap(cloudpickle.loads(state["payload"]))


def new_pipeline(extra: Sequence[str] = ()) -> Any:
    """A Beam Pipeline (use as a context manager) with the pipeline's options.

    On a remote runner its `run()` result waits at most `job_timeout_s()`.

    Example:
        >>> with new_pipeline() as pipeline:  # doctest: +SKIP
        ...     _ = pipeline | beam.Create([1, 2, 3])
    """
    import apache_beam as beam

    options = pipeline_options(extra)
    args = [*beam_args(), *extra]
    if not is_remote(args):
        return beam.Pipeline(options=options)
    timeout_s = job_timeout_s()
    runner = runner_name(args)

    class BoundedPipeline(beam.Pipeline):
        def run(self, test_runner_api: Any = "AUTO") -> Any:
            return _BoundedResult(super().run(test_runner_api), runner, timeout_s)

    return BoundedPipeline(options=options)
