"""Beam without its Google Cloud connectors imported up front (about a second per process).

`apache_beam.io`'s package init imports BigQuery, Pub/Sub and the cross-language IOs only to
re-export their names (`beam.io.ReadFromBigQuery`, ...), though a local run uses none of them.
While that init runs, this hook makes the first of those imports fail the way a missing GCP
extra would (Beam then skips the block), and gives `apache_beam.io` and `apache_beam.io.gcp`
a module `__getattr__` that imports them on first use: `beam.io.ReadFromBigQuery`,
`from apache_beam.io import WriteToPubSub`, `beam.io.gcp.bigquery` all still work, and
importing `apache_beam.io.gcp.bigquery` directly (as Beam's Dataflow runner does) is untouched.
GCS paths are unaffected: `apache_beam.io.filesystems` registers the GCS filesystem itself.
What Beam computes is unchanged; only when the modules are imported differs.

Set `STARLING_BEAM_GCP_EAGER=1` to import them as Beam does.

Example:
    >>> install_beam_gcp_hook()  # before apache_beam is imported; pipelines does it
"""

from __future__ import annotations

import importlib
import importlib.abc
import os
import sys
from types import ModuleType
from typing import Any

OPT_OUT = "STARLING_BEAM_GCP_EAGER"
_IO = "apache_beam.io"
_FIRST_IN_BLOCK = "apache_beam.io.gcp.bigquery"
# what apache_beam/io/__init__.py star-imports (or imports) in its GCP try-block
_REEXPORTED = ("apache_beam.io.gcp.bigquery", "apache_beam.io.gcp.pubsub", "apache_beam.transforms.xlang.io")
_GCP_SUBMODULES = ("bigquery", "pubsub", "gcsio")


def _initializing(name: str) -> bool:
    module = sys.modules.get(name)
    return module is not None and bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def _reexport_lazily(io: ModuleType) -> None:
    """`apache_beam.io.<name>` for the skipped re-exports, imported on first access."""

    def __getattr__(name: str) -> Any:  # a module's __getattr__ (PEP 562)
        if name.startswith("__"):
            raise AttributeError(name)
        for module_name in _REEXPORTED:
            module = importlib.import_module(module_name)
            exported = getattr(module, "__all__", None) or [key for key in vars(module)
                                                            if not key.startswith("_")]
            for key in exported:
                vars(io).setdefault(key, getattr(module, key))
        del vars(io)["__getattr__"]
        if name in vars(io):
            return vars(io)[name]
        raise AttributeError(f"module '{_IO}' has no attribute '{name}'")

    io.__getattr__ = __getattr__  # type: ignore[method-assign]


def _gcp_submodules_lazily(gcp: ModuleType) -> None:
    """`apache_beam.io.gcp.bigquery` (and pubsub, gcsio) as attributes, imported on first access."""

    def __getattr__(name: str) -> Any:  # a module's __getattr__ (PEP 562)
        if name in _GCP_SUBMODULES:
            return importlib.import_module(f"{gcp.__name__}.{name}")
        raise AttributeError(f"module '{gcp.__name__}' has no attribute '{name}'")

    gcp.__getattr__ = __getattr__  # type: ignore[method-assign]


class _SkipGcpReexports(importlib.abc.MetaPathFinder):
    """Fails `apache_beam.io.gcp.bigquery` only while `apache_beam.io` itself is initializing."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != _FIRST_IN_BLOCK or not _initializing(_IO):
            return None
        _reexport_lazily(sys.modules[_IO])
        _gcp_submodules_lazily(sys.modules["apache_beam.io.gcp"])
        raise ImportError(f"{fullname} is imported on first use (Starling; {OPT_OUT}=1 imports it up front)")


def install_beam_gcp_hook() -> bool:
    """Installs the hook unless `STARLING_BEAM_GCP_EAGER=1` or Beam is already imported; True if installed."""
    if os.environ.get(OPT_OUT) in ("1", "true", "True") or _IO in sys.modules:
        return False
    if not any(isinstance(finder, _SkipGcpReexports) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SkipGcpReexports())
    return True
