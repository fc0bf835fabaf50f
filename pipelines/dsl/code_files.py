"""Which source files a component's code fingerprint covers (and so its cache key)."""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import os
import sysconfig
from collections.abc import Callable
from typing import Any

_STARLING_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_STANDARD_COMPONENTS_DIR = os.path.join(_STARLING_DIR, "components", "")


@functools.cache
def starling_version() -> str:
    """The installed Starling version (part of every standard component's fingerprint)."""
    try:
        return importlib.metadata.version("starling")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def _not_project_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    found |= {os.path.join(_STARLING_DIR, package) for package in ("pipelines", "components", "serving")}
    return tuple(os.path.join(os.path.abspath(path), "") for path in found)


def _source_file(value: Any) -> str | None:
    try:
        path = inspect.getsourcefile(value)
    except TypeError:  # builtins, instances, C extensions
        return None
    return os.path.abspath(path) if path and os.path.isfile(path) else None


def is_standard_component(function: Callable[..., Any]) -> bool:
    """True for a function defined in Starling's own `components` package."""
    return (_source_file(function) or "").startswith(_STANDARD_COMPONENTS_DIR)


def code_files(function: Callable[..., Any]) -> list[str]:
    """The source files whose contents make up a component's code fingerprint, sorted.

    A standard component: its module file (Starling's version covers the rest). A user
    component: its module file plus the project modules that file names at top level
    (`import helpers`, `from features import bucketize`), i.e. files outside the installed
    libraries and Starling's own packages. Empty when the function has no source file.
    """
    own = _source_file(function)
    if own is None:
        return []
    if own.startswith(_STANDARD_COMPONENTS_DIR):
        return [own]
    files = {own}
    for value in getattr(function, "__globals__", {}).values():
        if not (inspect.ismodule(value) or inspect.isfunction(value) or inspect.isclass(value)):
            continue
        path = _source_file(value) if not inspect.isclass(value) else _class_file(value)
        if path and path.endswith(".py") and not path.startswith(_not_project_dirs()):
            files.add(path)
    return sorted(files)


def _class_file(cls: type) -> str | None:
    try:
        return _source_file(cls)
    except (OSError, TypeError):  # a class whose module left sys.modules
        return None
