"""Finds the metadata store the inspection commands read (`--root`, $STARLING_ROOT, or nearby)."""

from __future__ import annotations

import glob
import os
import sys

from pipelines.errors import MetadataError
from pipelines.metadata import MetadataStore, config_from_url, sqlite_config

STORE_FILE = "metadata.sqlite"


def find_root(root: str | None) -> str:
    """The pipeline root to read.

    The given one, else $STARLING_ROOT, else the current directory, else the most recently used
    root below it (`*/` or `runs/*/`), announced on stderr.

    Raises:
        MetadataError: no metadata store was found.
    """
    chosen = root or os.environ.get("STARLING_ROOT")
    if chosen:
        if not os.path.isfile(os.path.join(chosen, STORE_FILE)):
            raise MetadataError(f"no metadata store at {os.path.join(chosen, STORE_FILE)}")
        return chosen
    if os.path.isfile(STORE_FILE):
        return "."
    found = glob.glob(os.path.join("*", STORE_FILE)) + glob.glob(os.path.join("*", "*", STORE_FILE))
    if not found:
        raise MetadataError(
            "no metadata store here: pass --root PIPELINE_ROOT (the directory holding "
            f"{STORE_FILE}) or set STARLING_ROOT")
    newest = max(found, key=os.path.getmtime)
    if len(found) > 1:
        print(f"(reading {os.path.dirname(newest)}, the most recently used of {len(found)} roots; "
              "pass --root to choose)", file=sys.stderr)
    return os.path.dirname(newest)


def open_store(root: str | None, metadata_url: str | None = None) -> MetadataStore:
    """The store a metadata URL names (e.g. `mysql://...`), else the root `find_root` picks."""
    if metadata_url:  # a shared store: artifact uris resolve against --root when given
        return MetadataStore(config_from_url(metadata_url), root=root)
    return MetadataStore(sqlite_config(os.path.join(find_root(root), STORE_FILE)))
