"""An artifact's files: listed a directory at a time, downloaded one at a time, schemas as rows.

Only files under the artifact's own uri are served: a requested path is resolved (symlinks
too) and refused unless it stays inside the artifact's directory, so `../` or an absolute path
cannot reach anything else on the machine. Object-store uris (`s3://`) are not browsed here.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from pipelines.ui.queries import NotFound

SCHEMA_FILE = "schema.pbtxt"
MAX_ENTRIES = 1000


@dataclasses.dataclass
class FileEntry:
    """One entry of an artifact directory, its path relative to the artifact's uri."""

    name: str
    path: str
    is_dir: bool
    size: int


def inside(uri: str, relative: str) -> str:
    """The real path of `relative` under the artifact directory `uri`.

    Raises:
        NotFound: the uri is not a local directory or file, or the path leaves it.
    """
    if "://" in uri or not os.path.exists(uri):
        raise NotFound(f"artifact files at {uri} are not on this machine")
    root = os.path.realpath(uri)
    target = os.path.realpath(os.path.join(root, relative.lstrip("/")))
    if target != root and not target.startswith(root + os.sep):
        raise NotFound(f"{relative!r} is not inside the artifact's directory")
    if not os.path.exists(target):
        raise NotFound(f"no file {relative!r} in the artifact's directory")
    return target


def list_directory(uri: str, relative: str = "") -> list[FileEntry]:
    """The entries of one directory of the artifact (directories first), at most 1,000.

    Raises:
        NotFound: see `inside`; or the path is a file.
    """
    target = inside(uri, relative)
    root = os.path.realpath(uri)
    if not os.path.isdir(target):
        raise NotFound(f"{relative!r} is a file, not a directory")
    entries = []
    for entry in sorted(os.scandir(target), key=lambda e: (not e.is_dir(), e.name))[:MAX_ENTRIES]:
        path = os.path.relpath(entry.path, root)
        entries.append(FileEntry(entry.name, path, entry.is_dir(),
                                 0 if entry.is_dir() else entry.stat().st_size))
    return entries


def file_to_download(uri: str, relative: str) -> str:
    """The real path of one file of the artifact.

    Raises:
        NotFound: see `inside`; or the path is a directory.
    """
    target = inside(uri, relative)
    if not os.path.isfile(target):
        raise NotFound(f"{relative!r} is a directory, not a file")
    return target


def schema_rows(uri: str) -> list[dict[str, Any]]:
    """The features of a Schema artifact: name, type, presence, shape, domain (empty if none)."""
    path = os.path.join(uri, SCHEMA_FILE)
    if "://" in uri or not os.path.isfile(path):
        return []
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    with open(path) as source:
        schema = text_format.Parse(source.read(), schema_pb2.Schema())
    domains = {domain.name: list(domain.value) for domain in schema.string_domain}
    return [_feature_row(feature, domains) for feature in schema.feature]


def _feature_row(feature: Any, domains: dict[str, list[str]]) -> dict[str, Any]:
    from tensorflow_metadata.proto.v0 import schema_pb2

    kind = feature.WhichOneof("domain_info")
    domain = ""
    if feature.HasField("domain"):
        values = domains.get(feature.domain, [])
        domain = ", ".join(values[:12]) + (f" … ({len(values)} values)" if len(values) > 12 else "")
    elif kind:
        domain = kind.replace("_domain", "")
    presence = feature.presence
    required = "required" if presence.min_fraction >= 1.0 else (
        f"≥ {presence.min_fraction:.0%}" if presence.HasField("min_fraction") else "optional")
    shape = "x".join(str(dim.size) for dim in feature.shape.dim) if feature.HasField("shape") else "-"
    return {"name": feature.name, "type": schema_pb2.FeatureType.Name(feature.type),
            "presence": required, "shape": shape, "domain": domain}
