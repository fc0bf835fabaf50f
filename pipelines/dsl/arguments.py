"""Checks of the arguments a node is built with, so mistakes fail before anything runs.

Used by `Component.__call__` and by the functions that build standard nodes (`Transform(...)`,
`Trainer(...)`): a positional argument, a misspelled keyword (with the closest name), a missing
required input, a file parameter naming no file. Each raises PipelineDefinitionError.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
import typing
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from pipelines.dsl import module_reference
from pipelines.dsl.annotations import UserModule
from pipelines.errors import PipelineDefinitionError

if TYPE_CHECKING:
    from pipelines.dsl.component import Component


def is_user_module_type(value_type: Any) -> bool:
    """True for `UserModule` and `UserModule | None` parameters (user code or data files)."""
    candidates = typing.get_args(value_type) or (value_type,)
    return any(isinstance(c, type) and issubclass(c, UserModule) for c in candidates)


def check_user_file(where: str, name: str, reference: str) -> None:
    """Fails now, while the pipeline is built, when a file parameter names nothing.

    A `*_file` parameter (`schema_file="schemas/ctr.pbtxt"`, `module_file="model.py"`) and any
    path must be a file: the error says `schema file not found: /abs/path`. A module reference
    (`run_fn="models.model.run_fn"`) must resolve; the error lists what was tried.

    Raises:
        PipelineDefinitionError: the file or module does not exist.
    """
    if name.endswith("_file") or module_reference.is_path_reference(reference):
        path = module_reference.parse_reference(reference, name)[0][0]
        if not os.path.isfile(path):
            label = name.replace("_", " ") if name.endswith("_file") else f"{name} file"
            raise PipelineDefinitionError(f"{where}: {label} not found: {os.path.abspath(path)}")
        return
    try:
        module_reference.resolve(reference, name)
    except module_reference.ModuleReferenceError as error:
        raise PipelineDefinitionError(f"{where} parameter '{name}': {error}") from None


def check_keywords(name: str, args: tuple, kwargs: dict[str, Any], known: Iterable[str]) -> None:
    """Rejects positional arguments and unknown keywords, suggesting the closest known name.

    Raises:
        PipelineDefinitionError: e.g. `CsvExampleGen has no argument 'input_bse'; did you mean
            'input_base'?`.
    """
    if args:
        raise PipelineDefinitionError(
            f"node '{name}': pass inputs and parameters by name, e.g. {name}(examples=...); "
            f"got {len(args)} positional argument(s)")
    accepted = sorted(known)
    for given in sorted(set(kwargs) - set(accepted)):
        close = difflib.get_close_matches(given, accepted, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "its arguments: " + ", ".join(accepted)
        raise PipelineDefinitionError(f"{name} has no argument '{given}'; {hint}")


Factory = TypeVar("Factory", bound=Callable[..., Any])


def node_factory(component: Component) -> Callable[[Factory], Factory]:
    """Marks a function that builds a node of `component` (e.g. `Transform(...)`).

    Wrong calls fail as the component's own would, with a PipelineDefinitionError instead of
    Python's TypeError: a positional argument, a misspelled keyword (with a suggestion), or a
    missing required input (named as the component's port) or parameter.
    """
    def decorate(factory: Factory) -> Factory:
        accepted = inspect.signature(factory).parameters

        @functools.wraps(factory)
        def build(*args: Any, **kwargs: Any) -> Any:
            check_keywords(component.name, args, kwargs, accepted)
            for name, declared in accepted.items():
                if declared.default is inspect.Parameter.empty and kwargs.get(name) is None:
                    raise PipelineDefinitionError(_missing(component, name))
            return factory(**kwargs)
        return build  # type: ignore[return-value]
    return decorate


def _missing(component: Component, name: str) -> str:
    port = component.signature.inputs.get(name)
    if port is not None:
        return (f"node '{component.name}': missing required input '{name}' "
                f"(expected a channel of {port.artifact_type.TYPE_NAME})")
    return f"node '{component.name}': missing required argument '{name}'"


def keywords_checked(label: str) -> Callable[[Factory], Factory]:
    """Turns a misspelled or missing argument into a PipelineDefinitionError, not a TypeError.

    For functions that take positional arguments too (e.g. `Pipeline.__init__`): the error names
    the argument and the closest known name, e.g. `Pipeline has no argument 'node'; did you mean
    'nodes'?`.
    """
    def decorate(function: Factory) -> Factory:
        signature = inspect.signature(function)
        accepted = [name for name in signature.parameters if name != "self"]

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            check_keywords(label, (), {name: None for name in kwargs if name not in accepted}, accepted)
            try:
                signature.bind(*args, **kwargs)
            except TypeError as error:
                raise PipelineDefinitionError(f"{label}: {error}") from None
            return function(*args, **kwargs)
        return call  # type: ignore[return-value]
    return decorate
