"""Notebook helpers: the newest artifact of a type in a pipeline root's metadata store."""

from __future__ import annotations

import os

from pipelines.artifacts import Artifact
from pipelines.errors import MetadataError
from pipelines.metadata import MetadataStore, sqlite_config


def open_root(root: str) -> MetadataStore:
    """The metadata store of a local pipeline root.

    Raises:
        MetadataError: the root has no metadata.sqlite.
    """
    path = os.path.join(root, "metadata.sqlite")
    if not os.path.isfile(path):
        raise MetadataError(f"no metadata store at {path}: run the pipeline first, or set ROOT")
    return MetadataStore(sqlite_config(path))


def latest(store: MetadataStore, type_name: str) -> Artifact:
    """The newest LIVE artifact of a type.

    Raises:
        MetadataError: there is none.
    """
    return store.latest_artifact(type_name)
