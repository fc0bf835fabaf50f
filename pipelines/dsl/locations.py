"""Where Starling, the installed libraries and a project's own code live: the one definition.

Cache keys (which files a fingerprint covers), module isolation (which modules are shared by
every project), and error messages (which traceback frame is the user's) all ask the same
question, "whose file is this?", and get the same answer here.

Example:
    >>> from pipelines.dsl.locations import STARLING_DIR, is_starling_file
    >>> is_starling_file(os.path.join(STARLING_DIR, "pipelines", "dsl", "locations.py"))
    True
"""

from __future__ import annotations

import functools
import os
import site
import sysconfig
from types import ModuleType

STARLING_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STARLING_PACKAGES = ("pipelines", "components", "serving")
STANDARD_COMPONENTS_DIR = os.path.join(STARLING_DIR, "components", "")


@functools.cache
def starling_package_dirs() -> tuple[str, ...]:
    """`<starling>/pipelines/`, `components/` and `serving/`, each with a trailing separator."""
    return tuple(os.path.join(STARLING_DIR, package, "") for package in STARLING_PACKAGES)


@functools.cache
def library_dirs() -> tuple[str, ...]:
    """The standard library and site-packages directories, each with a trailing separator."""
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    found.update(site.getsitepackages())
    return tuple(sorted(os.path.join(os.path.abspath(path), "") for path in found))


def is_starling_file(path: str) -> bool:
    """True for a file of Starling's own packages (pipelines/, components/, serving/)."""
    return os.path.abspath(path).startswith(starling_package_dirs())


def is_library_file(path: str) -> bool:
    """True for a file of the standard library or an installed package."""
    return os.path.abspath(path).startswith(library_dirs())


def is_project_file(path: str) -> bool:
    """True for a user's own file: neither Starling's nor an installed library's."""
    return not is_starling_file(path) and not is_library_file(path)


def module_locations(module: ModuleType) -> list[str]:
    """A module's file, or a namespace package's directories."""
    file = getattr(module, "__file__", None)
    return [file] if file else list(getattr(module, "__path__", None) or [])


def is_shared_module(module: ModuleType) -> bool:
    """Starling's packages and installed libraries: one copy in the process for every project."""
    locations = module_locations(module)
    if module.__name__.split(".")[0] in STARLING_PACKAGES and any(map(is_starling_file, locations)):
        return True
    return any(map(is_library_file, locations))


def is_under(path: str, directory: str) -> bool:
    """True when `path` is inside `directory` (both made absolute)."""
    return os.path.abspath(path).startswith(os.path.join(os.path.abspath(directory), ""))
