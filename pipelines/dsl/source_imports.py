"""Which source files a Python file imports, found by reading its text (nothing is imported).

A code fingerprint must cover the modules a file imports, transitively, as far as they are the
user's project (or Starling's own code): editing `models/keras_model/constants.py` must change
the key of a Trainer whose `run_fn` module imports it. Imports are read from the text with a
pattern rather than by parsing (20x faster; a cached run reads Starling's whole import closure),
so an import statement quoted in a docstring may add a file: more code in a key, never less.

Example:
    >>> closure = import_closure(["models/model.py"], ["."])  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)",
                          re.MULTILINE)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]+)", re.MULTILINE)
_memo: dict[str, tuple[tuple[int, int], list[tuple[int, str, tuple[str, ...]]]]] = {}


def _import_statements(path: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(level, module, imported names) of every import in a file; remembered by size and mtime."""
    status = os.stat(path)
    stamp = (status.st_size, status.st_mtime_ns)
    remembered = _memo.get(path)
    if remembered is not None and remembered[0] == stamp:
        return remembered[1]
    with open(path, encoding="utf-8", errors="replace") as source:
        text = source.read()
    found: list[tuple[int, str, tuple[str, ...]]] = []
    for dots, module, names in _FROM_IMPORT.findall(text):
        listed = tuple(name.split(" as ")[0].strip() for name in names.strip("()").split(","))
        found.append((len(dots), module, tuple(name for name in listed if name.isidentifier())))
    for clause in _IMPORT.findall(text):
        for name in clause.split(","):
            module = name.split(" as ")[0].strip()
            if module and all(part.isidentifier() for part in module.split(".")):
                found.append((0, module, ()))
    _memo[path] = (stamp, found)
    return found


def _module_files(base: str, parts: Sequence[str]) -> list[str]:
    """The files importing `parts` under `base` executes: each package's __init__.py, then the module."""
    files = []
    for depth in range(1, len(parts) + 1):
        stem = os.path.join(base, *parts[:depth])
        init = os.path.join(stem, "__init__.py")
        if os.path.isfile(init):
            files.append(init)
        elif depth == len(parts) and os.path.isfile(stem + ".py"):
            files.append(stem + ".py")
        else:
            return files if depth == len(parts) else []
    return files


def imported_files(path: str, roots: Sequence[str], top_names: Iterable[str] | None = None) -> set[str]:
    """The files under `roots` that `path`'s imports name (absolute imports limited to `top_names`).

    Relative imports resolve against the file's own package directory.
    """
    allowed = set(top_names) if top_names is not None else None
    found: set[str] = set()
    for level, module, names in _import_statements(path):
        parts = [part for part in module.split(".") if part]
        if level:
            base = os.path.dirname(path)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            bases = [base]
        elif not parts or (allowed is not None and parts[0] not in allowed):
            continue
        else:
            bases = list(roots)
        for base in bases:
            files = _module_files(base, parts) if parts else []
            for name in names:
                files += _module_files(base, [*parts, name])[len(parts):]
            if files:
                found.update(files)
                break
    return found


def import_closure(paths: Iterable[str], roots: Sequence[str],
                   top_names: Iterable[str] | None = None) -> set[str]:
    """`paths` and every file under `roots` they import, transitively."""
    allowed = list(top_names) if top_names is not None else None
    pending = [os.path.abspath(path) for path in paths]
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.endswith(".py"):
            pending.extend(os.path.abspath(found) for found in imported_files(path, roots, allowed))
    return seen
