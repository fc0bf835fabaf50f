"""File manifests: what each published artifact held, checked before a cached result is reused.

When a node's outputs are published, every file of every output is listed with its size,
modification time and content hash, and the list is recorded on the execution. A cache hit is
reused only if its artifacts still hold exactly those files: a missing, added or resized file
fails the check; a file whose mtime moved (a copy, a `touch`, an edit) is hashed again and must
have the same content. So a copied pipeline root stays cached, and an artifact damaged in place
makes its node run again, saying which file failed.

Example:
    >>> manifest = manifest_of("/tmp/root/Trainer/model/7")           # doctest: +SKIP
    >>> damage("model", "/tmp/root/Trainer/model/7", manifest)         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from pipelines.artifacts import Artifact

OUTPUT_MANIFEST = "output_manifest"  # execution property: {port: {file: [size, mtime_ns, sha256]}}
# The longest manifest text recorded in full: MySQL keeps a property's text in a 64 KB column.
# Beyond it (thousands of files), each output is recorded by its file count and total size.
MAX_MANIFEST_TEXT = 48_000
SUMMARY = "<files, bytes>"


def _content_hash(path: str) -> str:
    with open(path, "rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()[:32]


def _files(directory: str) -> dict[str, os.stat_result]:
    found = {}
    for folder, _dirs, names in os.walk(directory):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, directory)] = os.stat(path)
    return found


def manifest_of(directory: str) -> dict[str, list[Any]]:
    """{relative file: [size, mtime_ns, content hash]} of every file under `directory`."""
    return {name: [status.st_size, status.st_mtime_ns, _content_hash(os.path.join(directory, name))]
            for name, status in sorted(_files(directory).items())}


def manifests_text(outputs: dict[str, Artifact]) -> str:
    """The outputs' manifests as the JSON text recorded on their execution.

    Past `MAX_MANIFEST_TEXT`, each output is summarized as {SUMMARY: [file count, total bytes]}.
    """
    manifests = {port: manifest_of(artifact.uri) for port, artifact in outputs.items()
                 if artifact.uri and os.path.isdir(artifact.uri)}
    text = json.dumps(manifests, sort_keys=True)
    if len(text) <= MAX_MANIFEST_TEXT:
        return text
    return json.dumps({port: {SUMMARY: [len(files), sum(entry[0] for entry in files.values())]}
                       for port, files in manifests.items()}, sort_keys=True)


def damage(port: str, directory: str, manifest: dict[str, list[Any]]) -> str | None:
    """What is wrong with an artifact against its manifest ("model: file x changed"), or None."""
    if not os.path.isdir(directory):
        return f"{port}: its directory {directory} is missing"
    actual = _files(directory)
    if SUMMARY in manifest:
        count, total = manifest[SUMMARY]
        now = [len(actual), sum(status.st_size for status in actual.values())]
        return None if now == [count, total] else (
            f"{port}: holds {now[0]} files of {now[1]} bytes, not {count} of {total}")
    for name in sorted(set(manifest) | set(actual)):
        if name not in actual:
            return f"{port}: file {name} is missing"
        if name not in manifest:
            return f"{port}: file {name} was added"
        size, mtime_ns, content = manifest[name]
        status = actual[name]
        if status.st_size != size:
            return f"{port}: file {name} changed (size {size} → {status.st_size})"
        if status.st_mtime_ns != mtime_ns and _content_hash(os.path.join(directory, name)) != content:
            return f"{port}: file {name} changed (content)"
    return None


def first_damage(outputs: dict[str, Artifact], manifests_json: str | None) -> str | None:
    """The first damaged output of a cached execution, or None (also when nothing was recorded)."""
    for port, artifact in sorted(outputs.items()):
        if artifact.state != "LIVE":
            return f"{port}: artifact {artifact.id} is {artifact.state}"
        if not os.path.isdir(artifact.uri):
            return f"{port}: its directory {artifact.uri} is missing"
    if not manifests_json:
        return None  # recorded before manifests existed: the directories are there
    manifests = json.loads(manifests_json)
    for port, artifact in sorted(outputs.items()):
        if port in manifests:
            found = damage(port, artifact.uri, manifests[port])
            if found:
                return found
    return None
