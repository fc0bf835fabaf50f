"""The CLI's side of pipeline files: `--param NAME=VALUE` parsing (loading lives in the DSL)."""

from __future__ import annotations

import json
from typing import Any

from pipelines.dsl.loading import factory_parameters, load_pipeline
from pipelines.errors import PipelineFileError

__all__ = ["factory_parameters", "load_pipeline", "parse_params"]


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """Parses `k=v` strings; values are JSON when they parse as JSON (numbers, true, lists), else text.

    Raises:
        PipelineFileError: an item has no '='.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise PipelineFileError(f"--param {pair!r}: expected NAME=VALUE")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text
    return params
