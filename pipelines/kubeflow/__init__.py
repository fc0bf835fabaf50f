"""Kubeflow Pipelines v2: compile a Starling pipeline to KFP IR YAML and run its steps."""

from pipelines.kubeflow.compiler import compile_pipeline

__all__ = ["compile_pipeline"]
