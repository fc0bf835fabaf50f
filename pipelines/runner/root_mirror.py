"""A local run whose root is in an object store: run on a local copy, then write it back.

The launcher stages each output and renames it into place, and the SQLite store needs a local
file: both are local-filesystem operations. So `starling run` with `--param root=s3://b/runs`
works on a mirror of the root in the user's cache directory: what the bucket holds that the
mirror lacks is copied down first (the metadata store always), the run goes as any local run,
and what it wrote is copied up at its end, whatever the outcome (the metadata store last). Since
the store keeps artifact URIs relative to the root, the root works from any machine that pulls it.

Artifact directories are written once (one per execution), so a file of the same name and size
counts as the same file; the store is compared by content. One machine at a time: the run lock
is local to the machine, so two machines running the same root at once would overwrite each
other's store.

Example:
    >>> with mirrored_root(pipeline) as local_root:                 # doctest: +SKIP
    ...     LocalRunner().run(pipeline)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pipelines.storage as storage
from pipelines.dsl.pipeline import Pipeline

STORE_FILE = "metadata.sqlite"
_NOT_COPIED = (".tmp", "logs")  # scratch and library logs stay on the machine
_NOT_COPIED_PREFIXES = (".staging-", ".starling-run-", ".pushing-")


def mirror_dir(url: str) -> str:
    """The local mirror of a root URL: `$XDG_CACHE_HOME/starling/roots/<digest>` (or ~/.cache)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "starling", "roots", hashlib.sha256(url.encode()).hexdigest()[:16])


def _copied(relative: str) -> bool:
    parts = relative.split(os.sep)
    return parts[0] not in _NOT_COPIED and not any(part.startswith(_NOT_COPIED_PREFIXES) for part in parts)


def _relative_files(local: str) -> dict[str, int]:
    found = {}
    for path in storage.list_files(local):
        relative = os.path.relpath(path, local)
        if _copied(relative):
            found[relative] = os.path.getsize(path)
    return found


def pull(url: str, local: str) -> int:
    """Copies down what the root holds that the mirror lacks (the store always); returns a count."""
    base = url.rstrip("/") + "/"
    have = _relative_files(local) if os.path.isdir(local) else {}
    copied = 0
    for path, size in storage.match(base + "**"):
        relative = os.path.join(*path[len(base):].split("/"))
        if not _copied(relative) or (have.get(relative) == size and relative != STORE_FILE):
            continue
        target = os.path.join(local, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as copy:
            copy.write(storage.read_bytes(path))
        copied += 1
    return copied


def push(local: str, url: str) -> int:
    """Copies up what the mirror holds that the root lacks, the store last; returns a count."""
    base = url.rstrip("/") + "/"
    remote = {path[len(base):]: size for path, size in storage.match(base + "**")}
    files = _relative_files(local)
    changed = [relative for relative, size in sorted(files.items())
               if relative != STORE_FILE and remote.get(relative.replace(os.sep, "/")) != size]
    if STORE_FILE in files:
        changed.append(STORE_FILE)
    for relative in changed:
        storage.upload_file(os.path.join(local, relative), base + relative.replace(os.sep, "/"))
    return len(changed)


@contextmanager
def mirrored_root(pipeline: Pipeline) -> Iterator[str]:
    """Within the block, `pipeline.root` is the local mirror of its URL root; written back after.

    A local root is left as it is (the block yields it).
    """
    url = pipeline.root
    if not storage.is_url(url):
        yield url
        return
    local = mirror_dir(url)
    os.makedirs(local, exist_ok=True)
    pull(url, local)
    pipeline.root = local
    try:
        yield local
    finally:
        pipeline.root = url
        push(local, url)
