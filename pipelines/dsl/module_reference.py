"""User code named the TFX ways: a `.py` path, `package.module:function` or `package.module.function`.

A reference is looked up in its project directory first (the directory it resolved in when the
node was built, see `bind_to_project`), then on `sys.path`. A module found in a project directory
is imported in isolation: while it loads, that directory serves its top-level names and other
projects' modules of the same names are hidden; afterwards the project's modules leave
`sys.modules` again. So two projects that both have `models/preprocessing.py` can run in one
process, and `sys.path` is never changed. Installed packages (site-packages, the standard
library) are imported normally. No TensorFlow is imported here.

Example:
    >>> from pipelines.dsl.module_reference import parse_reference
    >>> parse_reference("models.preprocessing.preprocessing_fn", "preprocessing_fn")[0]
    ('models.preprocessing', 'preprocessing_fn')
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pipelines.dsl.annotations import UserModule
from pipelines.dsl.locations import is_library_file, is_shared_module, is_under, module_locations
from pipelines.errors import PipelineDefinitionError

_SHOWN_SEARCH_DIRS = 4


class ModuleReferenceError(PipelineDefinitionError):
    """A user-code reference names no module or function; the message lists what was tried."""


class ModuleReference(UserModule):
    """A reference string that remembers the project directory it was found in.

    It compares, hashes and serializes as the plain text, so cache keys and compiled pipelines
    do not depend on where the project lives.
    """

    project_dir: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_reference, (str(self), self.project_dir))


def _rebuild_reference(text: str, project_dir: str | None) -> ModuleReference:
    reference = ModuleReference(text)
    reference.project_dir = project_dir
    return reference


@dataclasses.dataclass(frozen=True)
class ResolvedReference:
    """Where a reference points.

    Attributes:
        source_path: The module's .py file.
        module_name: Its dotted name relative to `root` (the file's stem for a path reference).
        function_name: The function to take from it.
        root: The directory it is imported from in isolation; None for an installed module.
        is_path: True for a `.py` path reference (loaded under a name unique to the file).
    """

    source_path: str
    module_name: str
    function_name: str
    root: str | None
    is_path: bool = False


def is_path_reference(text: str) -> bool:
    """True when the reference (before any `:function`) is a file path rather than a module name."""
    module_part = text.rsplit(":", 1)[0] if ":" in text else text
    return (module_part.endswith(".py") or "/" in module_part or os.sep in module_part
            or os.path.isfile(module_part))


def parse_reference(text: str, default_function: str) -> list[tuple[str, str]]:
    """The (module, function) readings of a reference, most likely first.

    `a.b:f` means module `a.b`, function `f`; `a.b.f` is read as module `a.b`, function `f`, then
    as module `a.b.f` with the default function; a path means that file and the default function
    unless `path.py:function` names one.
    """
    if ":" in text:
        module, function = text.rsplit(":", 1)
        return [(module, function or default_function)]
    if is_path_reference(text):
        return [(text, default_function)]
    parts = text.split(".")
    readings = [(".".join(parts[:-1]), parts[-1])] if len(parts) > 1 else []
    return [*readings, (text, default_function)]


def bind_to_project(reference: str | None, search_path: Sequence[str] | None = None) -> str | None:
    """The reference, remembering the project directory it resolves in now.

    Node factories call this while the pipeline file loads (its directory is then importable),
    so the node keeps finding its own project's module even when another project with the same
    module names is loaded later in the same process. Path references and references that do not
    resolve yet are returned as given.
    """
    if not reference or is_path_reference(str(reference)) or isinstance(reference, ModuleReference):
        return reference
    for module, _function in parse_reference(str(reference), "_"):
        found = _find_module(module, _search_dirs(None, search_path))
        if found is not None and found[1] is not None:
            return _rebuild_reference(str(reference), found[1])
    return reference


def resolve(reference: str, default_function: str,
            search_path: Sequence[str] | None = None) -> ResolvedReference:
    """Finds the module file a reference names, without importing it.

    Raises:
        ModuleReferenceError: nothing matches; names the reference, each reading tried and where.
    """
    text = str(reference)
    if is_path_reference(text):
        path, function = parse_reference(text, default_function)[0]
        if not os.path.isfile(path):
            raise ModuleReferenceError(f"cannot find user module {text!r}: no file {os.path.abspath(path)}")
        stem = os.path.splitext(os.path.basename(path))[0]
        return ResolvedReference(os.path.abspath(path), stem, function,
                                 os.path.dirname(os.path.abspath(path)), is_path=True)
    directories = _search_dirs(getattr(reference, "project_dir", None), search_path)
    readings = parse_reference(text, default_function)
    for module, function in readings:
        found = _find_module(module, directories)
        if found is not None:
            return ResolvedReference(found[0], module, function, found[1])
    tried = "; ".join(f"module '{module}' with function '{function}'" for module, function in readings)
    shown = ", ".join(directories[:_SHOWN_SEARCH_DIRS])
    more = len(directories) - _SHOWN_SEARCH_DIRS
    raise ModuleReferenceError(
        f"cannot find user module {text!r}: tried {tried}; searched {shown}"
        + (f" and {more} more sys.path entries" if more > 0 else "")
        + " (give a .py path, 'package.module:function' or 'package.module.function')")


def module_source_path(reference: str, default_function: str = "_") -> str | None:
    """The source file a reference names, or None when it names nothing."""
    try:
        return resolve(reference, default_function).source_path
    except ModuleReferenceError:
        return None


def load_function(reference: str, default_function: str) -> Callable[..., Any]:
    """Imports the module a reference names (isolated per project) and returns its function.

    Raises:
        ModuleReferenceError: no such module, or it defines no such function (names the file).
    """
    target = resolve(reference, default_function)
    module = _import(target)
    function = getattr(module, target.function_name, None)
    if not callable(function):
        raise ModuleReferenceError(
            f"{str(reference)!r}: {target.source_path} defines no function '{target.function_name}'")
    return function


def _search_dirs(project_dir: str | None, search_path: Sequence[str] | None) -> list[str]:
    entries = [project_dir] if project_dir else []
    entries += reversed(_ACTIVE_PROJECTS)  # the project whose pipeline file is loading, innermost first
    entries += [entry or os.getcwd() for entry in (sys.path if search_path is None else search_path)]
    directories: list[str] = []
    for entry in entries:
        directory = os.path.abspath(entry)
        if os.path.isdir(directory) and directory not in directories:
            directories.append(directory)
    return directories


def _find_module(module: str, directories: list[str]) -> tuple[str, str | None] | None:
    """(source file, project root or None when installed) of the first directory providing it."""
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return None
    for directory in directories:
        base = os.path.join(directory, *module.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate, (None if is_library_file(candidate) else directory)
    return None


_LOCK = threading.RLock()
_ACTIVE_PROJECTS: list[str] = []  # roots of the `project_imports` blocks open now
_LOADED: dict[str, ModuleType] = {}
_UNIQUE_PREFIX = "starling_user_module_"


def _import(target: ResolvedReference) -> ModuleType:
    if target.root is None:
        return importlib.import_module(target.module_name)
    with open(target.source_path, "rb") as source:
        digest = hashlib.sha256(source.read() + target.source_path.encode()).hexdigest()
    with _LOCK:
        if digest not in _LOADED:
            with project_imports(target.root, target.module_name.split(".")[0]):
                _LOADED[digest] = _exec_under_unique_name(target, digest)
        return _LOADED[digest]


def _exec_under_unique_name(target: ResolvedReference, digest: str) -> ModuleType:
    """Runs the module's file as `starling_user_module_<digest>`; its own imports use real names.

    The unique name stays in sys.modules, so functions defined there pickle by reference (as
    Beam's DirectRunner needs) without another project's module of the same name interfering.
    """
    name = f"{_UNIQUE_PREFIX}{digest[:12]}"
    is_package = os.path.basename(target.source_path) == "__init__.py"
    spec = importlib.util.spec_from_file_location(
        name, target.source_path,
        submodule_search_locations=[os.path.dirname(target.source_path)] if is_package else None)
    if spec is None or spec.loader is None:
        raise ModuleReferenceError(f"{target.source_path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    if not target.is_path:  # relative imports resolve against the module's real package
        module.__package__ = target.module_name if is_package else target.module_name.rpartition(".")[0]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class _ProjectFinder(importlib.abc.MetaPathFinder):
    """Serves top-level modules from one project directory, ahead of sys.path."""

    def __init__(self, root: str):
        self.root = root

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if path is not None:
            return None  # submodules are found through their package's __path__
        return importlib.machinery.PathFinder.find_spec(fullname, [self.root])


def _is_under(module: ModuleType, root: str) -> bool:
    return any(is_under(location, root) for location in module_locations(module))


def _top_level_names(root: str) -> set[str]:
    names = set()
    for entry in os.listdir(root):
        stem = entry[:-3] if entry.endswith(".py") else entry
        if stem.isidentifier() and (entry.endswith(".py") or os.path.isdir(os.path.join(root, entry))):
            names.add(stem)
    return names


@contextmanager
def project_imports(root: str, top_name: str = "") -> Iterator[None]:
    """Imports inside the block see `root`'s modules, not other projects' modules of the same names.

    Modules loaded from `root` during the block are taken out of sys.modules at its end (except
    `starling_user_module_*` ones), and the modules hidden at its start are put back. Starling's
    own packages and installed libraries are never hidden or dropped, even when they live under
    `root` (a virtualenv inside the project), so nothing is imported twice.
    """
    provided = _top_level_names(root) | ({top_name} if top_name else set())
    hidden = {name: module for name, module in list(sys.modules.items())
              if name.split(".")[0] in provided and not _is_under(module, root)
              and not is_shared_module(module)}
    for name in hidden:
        del sys.modules[name]
    before = set(sys.modules)
    finder = _ProjectFinder(root)
    sys.meta_path.insert(0, finder)
    _ACTIVE_PROJECTS.append(root)
    try:
        yield
    finally:
        _ACTIVE_PROJECTS.remove(root)
        sys.meta_path.remove(finder)
        for name in set(sys.modules) - before:
            module = sys.modules[name]
            own = _is_under(module, root) and not is_shared_module(module)
            if own and not name.startswith(_UNIQUE_PREFIX):
                del sys.modules[name]
        sys.modules.update(hidden)
