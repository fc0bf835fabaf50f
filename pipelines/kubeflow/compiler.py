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
from pipelines.kubeflow.checks import (
    check_no_inline_secrets,
    check_persistent_paths,
    persistent_path_values,
)
from pipelines.kubeflow.codegen import (
    ClusterSettings,
    CompileSettings,
    PipelineParameter,
    generate_module,
    kfp_parameter_type,
)
from pipelines.kubeflow.project_bundle import build_bundle

DEFAULT_IMAGE = "starling:latest"


@dataclasses.dataclass
class CompiledPipeline:
    """What was compiled: where the YAML went, its nodes and runtime parameters."""

    output_path: str
    pipeline_name: str
    node_ids: list[str]
    parameters: list[PipelineParameter]
    source: str
    project_files: tuple[str, ...] = ()  # shipped in the package, relative to their common directory


def compile_pipeline(pipeline_file: str, output_path: str, *, image: str = DEFAULT_IMAGE,
                     metadata_url: str = "", params: dict[str, Any] | None = None,
                     pipeline_path_in_image: str | None = None,
                     beam_args: list[str] | None = None, cluster: ClusterSettings | None = None,
                     allow_local_paths: bool = False,
                     allow_inline_secrets: bool = False) -> CompiledPipeline:
    """Writes the KFP v2 YAML of the pipeline a file defines.

    Args:
        pipeline_file: The pipeline file (`pipeline` or `create_pipeline(**params)`).
        output_path: Where to write the YAML.
        image: The container image every step runs in (the generic Starling image is enough:
            the project's files travel inside the package, see `project_bundle`).
        metadata_url: Optional MLMD store the steps record into and resolvers read
            (`grpc://metadata-grpc-service.kubeflow:8080`, `mysql://USER@HOST/DB`, `sqlite:PATH`);
            with it, an exit handler records the run's final status.
        params: Values for `create_pipeline`'s arguments; they become the KFP parameters'
            defaults. Parameters may change values, not the pipeline's shape.
        pipeline_path_in_image: The pipeline file's path in the image: the project is baked
            into the image and no project files are shipped in the package.
        beam_args: Beam arguments every step uses instead of the pipeline's own `beam_args`.
        cluster: Kubernetes Secrets, volumes and the object-store endpoint of every step.
        allow_local_paths: Accept absolute local paths for `root`, `data_root`, `serving_base`
            (for `kfp-local` on this machine); relative paths are refused regardless.
        allow_inline_secrets: Accept a password in `metadata_url` or a secret in `beam_args`.

    Raises:
        StarlingError: a secret would be written into the package, or a storage path would
            vanish with the step's pod (see `checks`).

    Example:
        >>> compile_pipeline("templates/quickstart/pipeline.py", "quickstart.yaml",
        ...                  params={"root": "s3://bucket/quickstart"})  # doctest: +SKIP
    """
    from kfp import compiler

    cluster = cluster or ClusterSettings()
    check_no_inline_secrets(metadata_url, beam_args, allow_inline_secrets)
    params = dict(params or {})
    parameters = runtime_parameters(pipeline_file, params)
    pipeline = load_pipeline(pipeline_file, params)
    check_persistent_paths(
        persistent_path_values(pipeline.root, [(p.name, p.default) for p in parameters]),
        [mount for _, mount in cluster.volumes], allow_local_paths)
    bundle = None if pipeline_path_in_image else build_bundle(pipeline_file, pipeline)
    step_file = bundle.pipeline_path if bundle is not None else str(pipeline_path_in_image)
    settings = CompileSettings(step_file, image, metadata_url,
                               None if beam_args is None else tuple(beam_args), bundle, cluster)
    source = generate_module(pipeline, parameters, settings)
    with tempfile.TemporaryDirectory(prefix="starling-kfp-") as directory:
        module = _import_generated(source, directory)
        compiler.Compiler().compile(module.starling_pipeline, output_path)
    return CompiledPipeline(output_path, pipeline.name, pipeline.node_ids, parameters, source,
                            bundle.files if bundle else ())


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
