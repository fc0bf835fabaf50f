"""The @component decorator: a typed Python function becomes a reusable pipeline step."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, overload

from pipelines.dsl.annotations import Signature, read_signature
from pipelines.dsl.arguments import check_keywords, check_user_file, is_user_module_type
from pipelines.dsl.fingerprints import component_code
from pipelines.dsl.node import Channel, Driver, Node
from pipelines.dsl.parameters import type_label, value_matches
from pipelines.errors import PipelineDefinitionError

Preparation = Callable[[], AbstractContextManager[Any]]


class Component:
    """A pipeline step built from a typed function; calling it makes a Node.

    Attributes:
        name: The component name (default: the function name); the default node id.
        function: The wrapped function, called with input/output artifacts and parameters.
        signature: Its declared inputs, outputs and parameters.
        prepare: Starts slow set-up ahead of the component's turn, or None (see `component`).
    """

    is_resolver = False

    def __init__(self, function: Callable[..., Any], name: str | None = None,
                 driver: Driver | None = None, prepare: Preparation | None = None):
        self.function = function
        self.name = name or function.__name__
        self.driver = driver
        self.prepare = prepare
        self.signature: Signature = read_signature(function)
        self.__doc__ = function.__doc__
        functools.update_wrapper(self, function, updated=())

    @property
    def code_parts(self) -> dict[str, str]:
        """The code this component runs, as {relative file or function: content hash}.

        Part of every cache key (see `pipelines.dsl.fingerprints`): a standard component covers
        the Starling sources it imports; a project's component covers its own function and the
        project code it references. Recomputed on each call; file hashes are remembered by size
        and mtime, so that is cheap.
        """
        return component_code(self.function)

    def __call__(self, *args: Any, enable_cache: bool | None = None, **kwargs: Any) -> Node:
        """Binds inputs (channels) and parameters (values) by keyword, returning a Node.

        Raises:
            PipelineDefinitionError: a positional argument, an unknown name, a missing required
                input or parameter, a wrong artifact type or a wrong parameter type.
        """
        where = f"node '{self.name}'"
        check_keywords(self.name, args, kwargs, self._known_names())
        inputs = self._bind_inputs(kwargs, where)
        parameters = self._bind_parameters(kwargs, where)
        return Node(self, inputs, parameters, enable_cache=enable_cache)

    def _known_names(self) -> list[str]:
        sig = self.signature
        return [*sig.inputs, *sig.parameters, "enable_cache"]

    def _bind_inputs(self, kwargs: dict[str, Any], where: str) -> dict[str, Channel | None]:
        bound: dict[str, Channel | None] = {}
        for name, port in self.signature.inputs.items():
            given = kwargs.get(name)
            if given is None:
                if not port.optional:
                    raise PipelineDefinitionError(
                        f"{where}: missing required input '{name}' "
                        f"(expected a channel of {port.artifact_type.TYPE_NAME})")
                bound[name] = None
                continue
            if not isinstance(given, Channel):
                raise PipelineDefinitionError(
                    f"{where}: input '{name}' expected a channel of {port.artifact_type.TYPE_NAME} "
                    f"such as other_node.outputs['...'], got {type(given).__name__} {given!r:.60}")
            if not issubclass(given.artifact_type, port.artifact_type):
                raise PipelineDefinitionError(
                    f"{where}: input '{name}' expected {port.artifact_type.TYPE_NAME}, got "
                    f"{given.artifact_type.TYPE_NAME} from {given.describe()}")
            bound[name] = given
        return bound

    def _bind_parameters(self, kwargs: dict[str, Any], where: str) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        for name, port in self.signature.parameters.items():
            if name not in kwargs:
                if port.required:
                    raise PipelineDefinitionError(
                        f"{where}: missing required parameter '{name}' "
                        f"(expected {type_label(port.value_type)})")
                bound[name] = port.default
                continue
            value = kwargs[name]
            if not value_matches(value, port.value_type):
                raise PipelineDefinitionError(
                    f"{where}: parameter '{name}' expected {type_label(port.value_type)}, got "
                    f"{type(value).__name__} {value!r:.60}")
            if value and is_user_module_type(port.value_type):
                check_user_file(where, name, str(value))
            bound[name] = value
        return bound

    def __repr__(self) -> str:
        return f"<component {self.name}>"


def _function_source(function: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return function.__qualname__


@overload
def component(function: Callable[..., Any]) -> Component: ...
@overload
def component(*, name: str | None = None, driver: Driver | None = None,
              prepare: Preparation | None = None) -> Callable[[Callable[..., Any]], Component]: ...


def component(function: Callable[..., Any] | None = None, *, name: str | None = None,
              driver: Driver | None = None,
              prepare: Preparation | None = None) -> Component | Callable[[Callable[..., Any]], Component]:
    """Turns a typed function into a pipeline component.

    Inputs, outputs and parameters are declared only in the signature. The function reads its
    inputs' `uri`s and writes under its outputs' `uri`s; it may set output properties.

    Args:
        function: The function (when used as `@component` without arguments).
        name: The component name (default: the function name).
        driver: Called with the node's parameters before the cache is consulted; returns
            JSON-able facts about the world outside MLMD (e.g. which input files exist). The
            facts join the cache key and are recorded on the execution and its outputs.
        prepare: Returns a context manager that starts slow set-up in the background (e.g. a
            server's interpreter importing TensorFlow). The local runner enters it when a node
            upstream of this component's node has just executed (not when it was CACHED), and
            exits it when the run ends, whether or not the node ran; the function finds what was
            prepared itself. Nothing prepared may change a result: it only saves time.

    Example:
        >>> from pipelines import component, Input, Output, Parameter
        >>> from pipelines.artifacts import Examples, Model
        >>> @component
        ... def train(examples: Input[Examples], model: Output[Model], steps: Parameter[int] = 10):
        ...     open(model.path("weights.txt"), "w").write(str(steps))
        >>> sorted(train.signature.parameters)
        ['steps']
    """
    if function is None:
        return lambda inner: Component(inner, name=name, driver=driver, prepare=prepare)
    return Component(function, name=name, driver=driver, prepare=prepare)
