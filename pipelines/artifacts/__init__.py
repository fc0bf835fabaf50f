"""Artifact types: typed records stored in ML Metadata, named as TFX names them."""

from pipelines.artifacts.base import Artifact, artifact_class
from pipelines.artifacts.properties import (
    ArtifactProperty,
    FloatProperty,
    IntProperty,
    StringListProperty,
    StringProperty,
)
from pipelines.artifacts.standard import (
    STANDARD_TYPES,
    ExampleAnomalies,
    Examples,
    ExampleStatistics,
    HyperParameters,
    InferenceResult,
    Model,
    ModelBlessing,
    ModelEvaluation,
    ModelRun,
    PushedModel,
    Schema,
    SpannedArtifact,
    TransformCache,
    TransformGraph,
    TunerResults,
)

__all__ = [
    "STANDARD_TYPES",
    "Artifact",
    "ArtifactProperty",
    "ExampleAnomalies",
    "ExampleStatistics",
    "Examples",
    "FloatProperty",
    "HyperParameters",
    "InferenceResult",
    "IntProperty",
    "Model",
    "ModelBlessing",
    "ModelEvaluation",
    "ModelRun",
    "PushedModel",
    "Schema",
    "SpannedArtifact",
    "StringListProperty",
    "StringProperty",
    "TransformCache",
    "TransformGraph",
    "TunerResults",
    "artifact_class",
]
