"""Serving models pushed to an object store: a local mirror of `s3://.../<model>/<version>/`.

TensorFlow's SavedModel loader reads local files, so `starling serve --model-base-path
s3://bucket/serving` mirrors the base path into a local directory and serves that. Each scan
copies the versions that are complete (their `saved_model.pb` is there: the Pusher writes it
last) and not yet mirrored; a version is downloaded into a temporary sibling and renamed into
place, so the repository never sees half a version. Credentials and the endpoint come from the
standard AWS variables (see `pipelines.storage`).

Example:
    >>> mirror = ObjectStoreMirror("s3://models/serving")          # doctest: +SKIP
    >>> mirror.sync()                                              # doctest: +SKIP
    ['ctr/1']
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

from pipelines import storage

COMPLETE_MARKER = "saved_model.pb"


class ObjectStoreMirror:
    """A local copy of a model base path that lives in an object store.

    Args:
        url: The base path URL (`<url>/<model>/<version>/`).
        local_dir: Where to mirror it (default: a directory per URL in the temp directory).
    """

    def __init__(self, url: str, local_dir: str | None = None):
        self.url = url.rstrip("/")
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.local_dir = local_dir or os.path.join(tempfile.gettempdir(), "starling-serving", digest)
        os.makedirs(self.local_dir, exist_ok=True)

    def complete_versions(self) -> list[str]:
        """`<model>/<version>` of every version whose `saved_model.pb` is in the store."""
        base = self.url + "/"
        found = []
        for path in storage.list_files(self.url):
            parts = path[len(base):].split("/")
            if len(parts) == 3 and parts[2] == COMPLETE_MARKER and parts[1].isdigit():
                found.append(f"{parts[0]}/{parts[1]}")
        return sorted(found)

    def sync(self) -> list[str]:
        """Mirrors the complete versions not mirrored yet; returns them (`<model>/<version>`)."""
        copied = []
        for version in self.complete_versions():
            target = os.path.join(self.local_dir, *version.split("/"))
            if os.path.isdir(target):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            staging = tempfile.mkdtemp(prefix=".mirroring-", dir=self.local_dir)
            try:
                storage.download_tree(f"{self.url}/{version}", staging)
                os.rename(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            copied.append(version)
        return copied
