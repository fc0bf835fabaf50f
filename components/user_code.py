"""Loading user functions named by a module file path or `package.module:function`."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from typing import Any


def load_function(module_file: str | None, reference: str | None, default_name: str,
                  component: str) -> Callable[..., Any]:
    """The user's function from `module_file` (a .py path) or `reference` (`module:function`).

    Raises:
        ValueError: neither or both given, or the module lacks the function (names it).
    """
    if bool(module_file) == bool(reference):
        raise ValueError(f"{component}: give exactly one of module_file=... or "
                         f"{default_name}='package.module:function'")
    if module_file:
        module = _import_path(str(module_file))
        name = default_name
        where = str(module_file)
    else:
        module_name, _, name = str(reference).partition(":")
        name = name or default_name
        module = importlib.import_module(module_name)
        where = module_name
    function = getattr(module, name, None)
    if not callable(function):
        raise ValueError(f"{component}: {where} defines no function '{name}'")
    return function


def _import_path(path: str) -> Any:
    """Imports a .py file under a name unique to its path and contents; its directory is importable."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"module file not found: {path}")
    with open(path, "rb") as source:
        digest = hashlib.sha256(source.read() + path.encode()).hexdigest()[:12]
    name = f"starling_user_module_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.append(directory)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
