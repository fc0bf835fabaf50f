"""The pipeline DSL: typed components, nodes, channels and pipelines."""

from pipelines.dsl.annotations import Input, Output, Parameter, UserModule
from pipelines.dsl.component import Component, component
from pipelines.dsl.node import Channel, Node
from pipelines.dsl.pipeline import Pipeline

__all__ = [
    "Channel",
    "Component",
    "Input",
    "Node",
    "Output",
    "Parameter",
    "Pipeline",
    "UserModule",
    "component",
]
