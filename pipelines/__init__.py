"""Starling: declarative ML pipelines of typed components, with MLMD lineage and caching.

Example:
    >>> from pipelines import Pipeline, component, Input, Output, Parameter, LocalRunner
    >>> from pipelines.artifacts import Examples, Model
"""

from pipelines.dsl import (
    Channel,
    Component,
    Input,
    Node,
    Output,
    Parameter,
    Pipeline,
    UserModule,
    component,
)
from pipelines.environment import prepare_runtime
from pipelines.errors import (
    ComponentFailure,
    HaltPipeline,
    MetadataError,
    PipelineDefinitionError,
    PipelineFileError,
    StarlingError,
)
from pipelines.resolvers import latest_artifact, latest_blessed_model, latest_model, previous_span
from pipelines.runner import ConsoleProgress, LocalRunner, RunResult, current_execution

prepare_runtime()  # tf_keras, KerasTuner, quiet TensorFlow: before anything imports TensorFlow

__version__ = "0.1.0"

__all__ = [
    "Channel",
    "Component",
    "ComponentFailure",
    "ConsoleProgress",
    "HaltPipeline",
    "Input",
    "LocalRunner",
    "MetadataError",
    "Node",
    "Output",
    "Parameter",
    "Pipeline",
    "PipelineDefinitionError",
    "PipelineFileError",
    "RunResult",
    "StarlingError",
    "UserModule",
    "component",
    "current_execution",
    "latest_artifact",
    "latest_blessed_model",
    "latest_model",
    "previous_span",
]
