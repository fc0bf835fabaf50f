"""Signature annotations that declare a component's ports: Input[T], Output[T], Parameter[T].

They are `typing.Annotated` aliases, so a type checker sees `examples: Input[Examples]` as an
`Examples` and the runtime reads the marker to learn the port's role.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pipelines.artifacts import Artifact
from pipelines.errors import PipelineDefinitionError

T = TypeVar("T")


class _PortMarker:
    def __init__(self, role: str):
        self.role = role

    def __repr__(self) -> str:
        return f"<{self.role}>"


INPUT = _PortMarker("input")
OUTPUT = _PortMarker("output")
PARAMETER = _PortMarker("parameter")

Input = Annotated[T, INPUT]
"""An input artifact: `examples: Input[Examples]`; optional when defaulted to None."""

Output = Annotated[T, OUTPUT]
"""An output artifact the component writes under `artifact.uri`: `model: Output[Model]`."""

Parameter = Annotated[T, PARAMETER]
"""A plain value fixed when the pipeline is built: `steps: Parameter[int] = 10`."""


class UserModule(str):
    """A parameter type for user code: a `.py` file path or an importable `module:function`.

    Its source file is part of the node's cache key, so editing it reruns the node.
    """


@dataclasses.dataclass(frozen=True)
class ArtifactPort:
    """An input or output port: its name, artifact type and whether it may be absent."""

    name: str
    artifact_type: type[Artifact]
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class ParameterPort:
    """A parameter: its name, Python type and default (inspect.Parameter.empty if required)."""

    name: str
    value_type: Any
    default: Any = inspect.Parameter.empty

    @property
    def required(self) -> bool:
        """True when the parameter has no default."""
        return self.default is inspect.Parameter.empty


@dataclasses.dataclass(frozen=True)
class Signature:
    """The ports a component function declares."""

    inputs: dict[str, ArtifactPort]
    outputs: dict[str, ArtifactPort]
    parameters: dict[str, ParameterPort]


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """Returns (inner annotation, True) for `X | None`, else (annotation, False)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1 and len(typing.get_args(annotation)) == 2:
            return members[0], True
    return annotation, False


def _role_of(annotation: Any) -> tuple[_PortMarker | None, Any]:
    """Returns the port marker and the inner type of an Annotated annotation."""
    if typing.get_origin(annotation) is Annotated:
        inner, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, _PortMarker):
                return extra, inner
    return None, annotation


def read_signature(function: Callable[..., Any]) -> Signature:
    """Reads Input/Output/Parameter ports from a function's annotations.

    Raises:
        PipelineDefinitionError: an argument has no port annotation, or an artifact port's type is not an
            Artifact subclass.
    """
    hints = typing.get_type_hints(function, include_extras=True)
    inputs: dict[str, ArtifactPort] = {}
    outputs: dict[str, ArtifactPort] = {}
    parameters: dict[str, ParameterPort] = {}
    where = f"component '{function.__name__}'"
    for name, argument in inspect.signature(function).parameters.items():
        if name not in hints:
            raise PipelineDefinitionError(f"{where}: argument '{name}' needs an Input[...], Output[...] or "
                            "Parameter[...] annotation")
        annotation, optional = _strip_optional(hints[name])
        marker, inner = _role_of(annotation)
        if marker is None:
            marker, inner = PARAMETER, hints[name]
        if marker is PARAMETER:
            parameters[name] = ParameterPort(name, hints[name] if optional else inner,
                                             argument.default)
            continue
        if not (isinstance(inner, type) and issubclass(inner, Artifact)):
            raise PipelineDefinitionError(
                f"{where}: {marker.role} '{name}' must be an Artifact type, got {inner!r}")
        port = ArtifactPort(name, inner, optional or argument.default is None)
        (inputs if marker is INPUT else outputs)[name] = port
    return Signature(inputs, outputs, parameters)
