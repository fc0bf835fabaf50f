"""Compiles a pipeline file into Kubeflow Pipelines v2 IR YAML with the kfp SDK."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import os
import sys
import tempfile
from types import ModuleType
from typing import Any

from pipelines.dsl.loading import factory_parameters, load_pipeline
from pipelines.errors import PipelineFileError
from pipelines.kubeflow.codegen import (
    CompileSettings,
    PipelineParameter,
    generate_module,
    kfp_parameter_type,
)

DEFAULT_IMAGE = "starling:latest"


@dataclasses.dataclass
class CompiledPipeline:
    """What was compiled: where the YAML went, its nodes and runtime parameters."""

    output_path: str
    pipeline_name: str
    node_ids: list[str]
    parameters: list[PipelineParameter]
    source: str


def compile_pipeline(pipeline_file: str, output_path: str, *, image: str = DEFAULT_IMAGE,
                     metadata_url: str = "", params: dict[str, Any] | None = None,
                     pipeline_path_in_image: str | None = None,
                     beam_args: list[str] | None = None) -> CompiledPipeline:
    """Writes the KFP v2 YAML of the pipeline a file defines.

    Args:
        pipeline_file: The pipeline file (`pipeline` or `create_pipeline(**params)`).
        output_path: Where to write the YAML.
        image: The container image every step runs in (built from the repo's Dockerfile).
        metadata_url: Optional MLMD store the steps record into and resolvers read
            (`grpc://metadata-grpc-service.kubeflow:8080`, `mysql://...`, `sqlite:PATH`).
        params: Values for `create_pipeline`'s arguments; they become the KFP parameters'
            defaults. Parameters may change values, not the pipeline's shape.
        pipeline_path_in_image: Where the steps find the pipeline file (default: as given).
        beam_args: Beam arguments every step uses instead of the pipeline's own `beam_args`.

    Example:
        >>> compile_pipeline("templates/quickstart/pipeline.py", "quickstart.yaml")  # doctest: +SKIP
    """
    from kfp import compiler

    params = dict(params or {})
    parameters = runtime_parameters(pipeline_file, params)
    pipeline = load_pipeline(pipeline_file, params)
    settings = CompileSettings(pipeline_path_in_image or pipeline_file, image, metadata_url,
                               None if beam_args is None else tuple(beam_args))
    source = generate_module(pipeline, parameters, settings)
    with tempfile.TemporaryDirectory(prefix="starling-kfp-") as directory:
        module = _import_generated(source, directory)
        compiler.Compiler().compile(module.starling_pipeline, output_path)
    return CompiledPipeline(output_path, pipeline.name, pipeline.node_ids, parameters, source)


def runtime_parameters(pipeline_file: str, params: dict[str, Any]) -> list[PipelineParameter]:
    """KFP pipeline parameters from `create_pipeline`'s arguments, defaulting to `params` values.

    Raises:
        PipelineFileError: an argument has neither a default nor a value in `params`.
    """
    parameters = []
    for argument in factory_parameters(pipeline_file):
        if argument.name in params:
            default = params[argument.name]
        elif argument.default is not inspect.Parameter.empty:
            default = argument.default
        else:
            raise PipelineFileError(
                f"{pipeline_file}: create_pipeline argument '{argument.name}' has no default; "
                f"pass --param {argument.name}=VALUE")
        kfp_type = kfp_parameter_type(argument.annotation)
        if kfp_type == "str" and not isinstance(default, str):
            default = json.dumps(default)
        parameters.append(PipelineParameter(argument.name, kfp_type, default))
    return parameters


def _import_generated(source: str, directory: str) -> ModuleType:
    """Imports generated source from a real file (kfp reads each component's source code)."""
    path = os.path.join(directory, "starling_kfp_pipeline.py")
    with open(path, "w") as target:
        target.write(source)
    spec = importlib.util.spec_from_file_location("starling_kfp_pipeline", path)
    if spec is None or spec.loader is None:
        raise PipelineFileError(f"{path}: generated pipeline module cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules["starling_kfp_pipeline"] = module
    spec.loader.exec_module(module)
    return module
