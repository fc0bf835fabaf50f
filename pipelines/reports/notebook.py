"""Notebook helpers: find the pipeline root to review, and the newest artifact of a type in it.

The notebooks in `notebooks/` call `open_root()` with no argument: it opens the demo's store,
`runs/ctr` (what `make demo` writes), found from the notebook's folder or any folder above it, so
they run as they are from `notebooks/`. `$STARLING_NOTEBOOK_ROOT` names another root.
"""

from __future__ import annotations

import os

from pipelines.artifacts import Artifact
from pipelines.errors import MetadataError
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.metadata.lookup import newest_of_type

ROOT_VARIABLE = "STARLING_NOTEBOOK_ROOT"
DEMO_ROOT = os.path.join("runs", "ctr")
STORE_FILE = "metadata.sqlite"


def find_root(start: str | None = None) -> str:
    """The root to review: `$STARLING_NOTEBOOK_ROOT`, else the nearest `runs/ctr` with a store.

    The search starts in `start` (default: the working directory, a notebook's own folder) and
    goes up to the filesystem's root.

    Raises:
        MetadataError: no variable is set and no `runs/ctr/metadata.sqlite` is found.
    """
    override = os.environ.get(ROOT_VARIABLE)
    if override:
        return override
    here = os.path.abspath(start or os.getcwd())
    searched = here
    while True:
        candidate = os.path.join(here, DEMO_ROOT)
        if os.path.isfile(os.path.join(candidate, STORE_FILE)):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            raise MetadataError(
                f"no {os.path.join(DEMO_ROOT, STORE_FILE)} in {searched} or any folder above it: "
                f"run `make demo` first, or set {ROOT_VARIABLE} to a pipeline root")
        here = parent


def open_root(root: str | None = None) -> MetadataStore:
    """The metadata store of a local pipeline root (default: `find_root()`).

    Raises:
        MetadataError: the root has no metadata.sqlite, or none is found.
    """
    path = os.path.join(root or find_root(), STORE_FILE)
    if not os.path.isfile(path):
        raise MetadataError(f"no metadata store at {path}: run the pipeline first, or set ROOT")
    return MetadataStore(sqlite_config(path))


def latest(store: MetadataStore, type_name: str) -> Artifact:
    """The newest LIVE artifact of a type (in any case); for PushedModel, the newest model pushed.

    Raises:
        MetadataError: an unknown type, or none of it.
    """
    return newest_of_type(store, type_name)[0]
