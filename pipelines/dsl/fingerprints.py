"""Code fingerprints: the source a node's result depends on, as {relative name: content hash}.

Every name is relative (to Starling's directory, or to the project root a module was imported
from), so a key never holds an absolute path and a moved project keeps its cache. Content
hashes are remembered by file size and mtime, so a cached run reads each file once at most.

- A **standard component** (Starling's `components` package) covers the Starling sources its
  module imports, transitively: pulling new Starling code or editing a component's helper in an
  editable install reruns what it changed.
- A **component defined in a project** (a pipeline file, a notebook) covers its own function:
  its source plus the project functions, classes and constants it references, and the project
  modules it uses, transitively. Editing another component, or a parameter value elsewhere in
  the file, leaves it alone.
- A **user module** (`module_file=`, `run_fn="models.model.run_fn"`, `a.b:fn`, a schema file)
  covers its file and the project modules it imports, transitively.

Example:
    >>> from pipelines.dsl.fingerprints import digest_of
    >>> len(digest_of({"model.py": "ab12"}))
    64
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import textwrap
import types
from collections.abc import Callable, Iterable
from typing import Any

from pipelines.dsl import module_reference
from pipelines.dsl.locations import (
    STANDARD_COMPONENTS_DIR,
    STARLING_DIR,
    STARLING_PACKAGES,
    is_project_file,
)
from pipelines.dsl.source_imports import import_closure

SHORT_HASH = 16
_CONSTANT_TYPES = (bool, int, float, str, bytes, type(None), tuple, list, dict, frozenset, set)
_file_hashes: dict[str, tuple[tuple[int, int], str]] = {}


def file_hash(path: str) -> str:
    """The file's SHA-256 (first 16 hex digits), remembered while its size and mtime hold."""
    status = os.stat(path)
    stamp = (status.st_size, status.st_mtime_ns)
    remembered = _file_hashes.get(path)
    if remembered is None or remembered[0] != stamp:
        with open(path, "rb") as source:
            remembered = (stamp, hashlib.file_digest(source, "sha256").hexdigest()[:SHORT_HASH])
        _file_hashes[path] = remembered
    return remembered[1]


def text_hash(text: str) -> str:
    """SHA-256 of a text (first 16 hex digits)."""
    return hashlib.sha256(text.encode()).hexdigest()[:SHORT_HASH]


def digest_of(parts: dict[str, Any]) -> str:
    """One hex digest of a fingerprint's parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _files_under(root: str, files: Iterable[str]) -> dict[str, str]:
    return {os.path.relpath(path, root): file_hash(path) for path in files if os.path.isfile(path)}


def starling_code(module_file: str) -> dict[str, str]:
    """Starling's sources that `module_file` imports, transitively, by path relative to Starling."""
    closure = import_closure([module_file], [STARLING_DIR], STARLING_PACKAGES)
    return _files_under(STARLING_DIR, closure)


def project_module_code(path: str, root: str) -> dict[str, str]:
    """A project file and the files under `root` it imports, transitively, relative to `root`."""
    return _files_under(root, import_closure([path], [root]))


def user_module_code(reference: str, default_function: str) -> dict[str, str]:
    """The files a user-module reference (or a data file given the same way) depends on.

    Raises:
        ModuleReferenceError: the reference names nothing.
    """
    target = module_reference.resolve(reference, default_function)
    if not target.source_path.endswith(".py"):  # a data file, e.g. a curated schema.pbtxt
        return {os.path.basename(target.source_path): file_hash(target.source_path)}
    if target.root is None:  # an installed module: its own file
        return {f"{target.module_name} (installed)": file_hash(target.source_path)}
    return project_module_code(target.source_path, target.root)


def _source_file(value: Any) -> str | None:
    try:
        path = inspect.getsourcefile(value)
    except (TypeError, OSError):  # builtins, C extensions, a class whose module is gone
        return None
    return os.path.abspath(path) if path and os.path.isfile(path) else None


def _import_root(module: types.ModuleType) -> str | None:
    """The directory a project module was imported from (`/p` for `/p/models/features.py`)."""
    file = getattr(module, "__file__", None)
    if not file:
        return None
    root = os.path.dirname(os.path.abspath(file))
    depth = module.__name__.count(".") + (os.path.basename(file) == "__init__.py")
    for _ in range(depth):
        root = os.path.dirname(root)
    return root


def _referenced_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names) | set(code.co_freevars)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _referenced_names(constant)
    return names


def _source(value: Any) -> str:
    try:
        return textwrap.dedent(inspect.getsource(value))
    except (OSError, TypeError):
        return getattr(value, "__qualname__", repr(type(value)))


class _FunctionFingerprint:
    """Collects a project function's parts: its source, and what it references, recursively."""

    def __init__(self, home_file: str | None):
        self.home_file = home_file
        self.home_dir = os.path.dirname(home_file) if home_file else ""
        self.parts: dict[str, str] = {}
        self.seen: set[int] = set()

    def _name(self, value: Any) -> str:
        where = os.path.basename(self.home_file) if self.home_file else "<no file>"
        return f"{where}::{getattr(value, '__qualname__', '?')}"

    def add_function(self, function: Callable[..., Any]) -> None:
        if id(function) in self.seen:
            return
        self.seen.add(id(function))
        self.parts[self._name(function)] = text_hash(_source(function))
        code = getattr(function, "__code__", None)
        if code is None:
            return
        namespace = getattr(function, "__globals__", {})
        closure = dict(zip(code.co_freevars, (cell.cell_contents for cell in function.__closure__ or ()),
                           strict=False))
        for name in sorted(_referenced_names(code)):
            if name in closure or name in namespace:
                self.add_value(name, closure[name] if name in closure else namespace[name])

    def add_class(self, cls: type) -> None:
        if id(cls) in self.seen:
            return
        self.seen.add(id(cls))
        self.parts[self._name(cls)] = text_hash(_source(cls))
        for member in vars(cls).values():
            function = getattr(member, "__func__", member)
            if inspect.isfunction(function):
                self.add_function(function)

    def add_value(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType):
            self._add_module(value)
            return
        target = getattr(value, "function", value)  # a @component used inside another
        if inspect.isfunction(target) or inspect.isclass(target):
            file = _source_file(target)
            if file is None or not is_project_file(file):
                return
            if file == self.home_file and inspect.isclass(target):
                self.add_class(target)
            elif file == self.home_file:
                self.add_function(target)
            else:
                module = inspect.getmodule(target)
                root = _import_root(module) if module is not None else None
                self.parts.update(project_module_code(file, root or os.path.dirname(file)))
        elif isinstance(value, _CONSTANT_TYPES):
            where = os.path.basename(self.home_file) if self.home_file else "<no file>"
            self.parts[f"{where}::{name}"] = text_hash(repr(value))

    def _add_module(self, module: types.ModuleType) -> None:
        file = getattr(module, "__file__", None)
        root = _import_root(module)
        if file and root and file.endswith(".py") and is_project_file(file):
            self.parts.update(project_module_code(os.path.abspath(file), root))


def component_code(function: Callable[..., Any]) -> dict[str, str]:
    """A component function's code fingerprint parts (see the module docstring)."""
    own = _source_file(function)
    if own is not None and own.startswith(STANDARD_COMPONENTS_DIR):
        return starling_code(own)
    collector = _FunctionFingerprint(own)
    collector.add_function(function)
    return collector.parts
