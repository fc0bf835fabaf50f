"""Beam pipelines for components, configured by the pipeline's `beam_args`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.errors import StarlingError
from pipelines.runner import current_execution

DEFAULT_BEAM_ARGS = ("--runner=DirectRunner",)


def beam_args() -> list[str]:
    """The running pipeline's Beam arguments (DirectRunner when none are given)."""
    try:
        given = list(current_execution().beam_args)
    except StarlingError:  # outside a run, e.g. in a notebook
        given = []
    return given or list(DEFAULT_BEAM_ARGS)


def pipeline_options(extra: Sequence[str] = ()) -> Any:
    """Beam PipelineOptions from the pipeline's `beam_args` plus `extra`."""
    from apache_beam.options.pipeline_options import PipelineOptions

    return PipelineOptions([*beam_args(), *extra])


def new_pipeline(extra: Sequence[str] = ()) -> Any:
    """A Beam Pipeline (use as a context manager) with the pipeline's options."""
    import apache_beam as beam

    return beam.Pipeline(options=pipeline_options(extra))
