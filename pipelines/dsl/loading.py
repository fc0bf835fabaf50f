"""Loads a pipeline file: it defines `pipeline` or `create_pipeline(**params)`.

While the file loads (and `create_pipeline` runs), its directory is importable and modules of the
same names loaded earlier from other projects are hidden; afterwards `sys.path` and `sys.modules`
are as they were, so two projects loaded in one process never share a module.

Example:
    >>> from pipelines.dsl.loading import load_pipeline
    >>> pipeline = load_pipeline("templates/ctr/pipeline.py", {"span": 2})   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import os
import sys
import traceback
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pipelines.dsl.module_reference import project_imports
from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import PipelineDefinitionError, PipelineFileError

_PIPELINE_MODULE_PREFIX = "starling_pipeline_"

def load_pipeline(path: str, params: dict[str, Any] | None = None) -> Pipeline:
    """Imports a pipeline file with its directory importable, and returns its Pipeline.

    Raises:
        PipelineFileError: the file is missing, has a syntax error, raises while loading,
            defines no pipeline, or the params do not fit `create_pipeline`.
    """
    params = params or {}
    with isolated_imports(_directory_of(path)):
        module = load_pipeline_module(path)
        factory = getattr(module, "create_pipeline", None)
        if callable(factory):
            pipeline = _call_factory(path, factory, params)
        elif isinstance(getattr(module, "pipeline", None), Pipeline):
            if params:
                raise PipelineFileError(
                    f"{path}: --param given but the file defines a fixed `pipeline`; define "
                    "create_pipeline(**params) to accept parameters")
            pipeline = module.pipeline
        else:
            raise PipelineFileError(f"{path}: defines neither `pipeline = Pipeline(...)` nor "
                                    "`create_pipeline(**params)`")
    if not isinstance(pipeline, Pipeline):
        raise PipelineFileError(
            f"{path}: create_pipeline returned {type(pipeline).__name__}, expected a Pipeline")
    pipeline.project_dir = _directory_of(path)
    return pipeline


def factory_parameters(path: str) -> list[inspect.Parameter]:
    """The parameters of the file's `create_pipeline` (annotations resolved); [] for a fixed pipeline."""
    with isolated_imports(_directory_of(path)):
        factory = getattr(load_pipeline_module(path), "create_pipeline", None)
    if not callable(factory):
        return []
    hints = typing.get_type_hints(factory)
    return [parameter.replace(annotation=hints.get(name, parameter.annotation))
            for name, parameter in inspect.signature(factory).parameters.items()
            if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)]


def load_pipeline_module(path: str) -> ModuleType:
    """Imports a pipeline file as a module (call it inside `isolated_imports` of its directory).

    Raises:
        PipelineFileError: the file is missing, has a syntax error or raises while loading.
    """
    if not os.path.isfile(path):
        raise PipelineFileError(f"pipeline file not found: {path}")
    digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:8]
    stem = os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    name = f"{_PIPELINE_MODULE_PREFIX}{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PipelineFileError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # while it runs (dataclasses, pickling look it up); dropped after
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise PipelineFileError(
            f"{error.filename or path}:{error.lineno}: syntax error: {error.msg}") from None
    except SystemExit as exit_call:  # not a success: no pipeline was defined
        raise PipelineFileError(_describe_exit(path, exit_call)) from None
    except Exception as error:
        raise PipelineFileError(_describe_load_error(path, error)) from None
    return module


def _directory_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


@contextmanager
def isolated_imports(directory: str) -> Iterator[None]:
    """Within the block, `directory` serves its own top-level modules (see `project_imports`).

    Modules of the same top-level names imported earlier from elsewhere (another project's
    `helpers`) are hidden during the block; modules loaded from `directory` and the pipeline
    module itself leave `sys.modules` at its end, the hidden ones come back, and `sys.path` is
    never changed.
    """
    before = set(sys.modules)
    try:
        with project_imports(directory):
            yield
    finally:
        for name in set(sys.modules) - before:
            if name.startswith(_PIPELINE_MODULE_PREFIX):
                del sys.modules[name]


def _call_factory(path: str, factory: Callable[..., object], params: dict[str, Any]) -> object:
    signature = inspect.signature(factory)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    unknown = [name for name in params if name not in signature.parameters]
    if unknown and not accepts_any:
        accepted = ", ".join(signature.parameters) or "none"
        raise PipelineFileError(
            f"{path}: create_pipeline has no parameter '{unknown[0]}' (parameters: {accepted})")
    hints = typing.get_type_hints(factory)
    coerced = {name: _coerce(path, name, value, hints.get(name)) for name, value in params.items()}
    try:
        return factory(**coerced)
    except TypeError as error:
        raise PipelineFileError(f"{path}: create_pipeline: {error}") from None
    except SystemExit as exit_call:
        raise PipelineFileError(_describe_exit(path, exit_call)) from None
    except Exception as error:
        raise PipelineFileError(_describe_load_error(path, error)) from None


def _coerce(path: str, name: str, value: Any, annotation: Any) -> Any:
    if isinstance(value, str) and annotation not in (str, None, Any) and value[:1] in "[{":
        try:
            return json.loads(value)  # structured values travel as JSON text (e.g. from Kubeflow)
        except json.JSONDecodeError:
            pass
    if annotation in (str,) and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, list | dict) else str(value)
    if annotation in (int, float) and isinstance(value, str):
        try:
            return annotation(value)
        except ValueError:
            raise PipelineFileError(
                f"{path}: parameter '{name}' expects {annotation.__name__}, got {value!r}") from None
    if annotation is float and isinstance(value, int):
        return float(value)
    return value


def _describe_exit(path: str, exit_call: SystemExit) -> str:
    """'file:line: called sys.exit(0) while loading', at the deepest frame in the file's directory."""
    return (f"{_location(path, exit_call)}: called sys.exit({exit_call.code!r}) while loading; "
            "a pipeline file defines `pipeline` or `create_pipeline`, it does not exit")


def _describe_load_error(path: str, error: Exception) -> str:
    """'file:line: ErrorType: message', pointing at the deepest frame in the pipeline's directory."""
    prefix = "invalid pipeline" if isinstance(error, PipelineDefinitionError) else type(error).__name__
    return f"{_location(path, error)}: {prefix}: {error}"


def _location(path: str, error: BaseException) -> str:
    """'file:line' of the deepest frame in the pipeline's directory (else the file itself)."""
    directory = os.path.dirname(os.path.abspath(path))
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if os.path.abspath(frame.filename).startswith(directory)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else path
