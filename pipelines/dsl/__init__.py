"""The pipeline DSL: typed components, nodes, channels and pipelines."""

from pipelines.dsl.annotations import Input, Output, Parameter, UserModule
from pipelines.dsl.component import Component, Driver, component
from pipelines.dsl.loading import load_pipeline
from pipelines.dsl.node import Channel, Node
from pipelines.dsl.pipeline import Pipeline

__all__ = [
    "Channel",
    "Component",
    "Driver",
    "Input",
    "Node",
    "Output",
    "Parameter",
    "Pipeline",
    "UserModule",
    "component",
    "load_pipeline",
]
