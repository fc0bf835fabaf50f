"""The project's code, shipped inside a compiled package and unpacked by each step.

The generic Starling image holds Starling and the libraries, not a user's project. So the
compiled package carries the project files a run needs, the same set its cache fingerprints
cover: the pipeline file and the project modules it imports, transitively, and every user
module (`module_file=`, `run_fn="models.model.run_fn"`) and schema or data file a node names,
with the project modules those import (`dsl.source_imports.import_closure`,
`caching.module_parts`). They travel as one deterministic gzip tar; each step receives it as an
artifact, checks its SHA-256 against the digest compiled into the step, and unpacks it once per
digest into the temp directory. Files keep their layout relative to the common directory of
them all, so a pipeline that finds `../../schemas/ctr.pbtxt` from its own `__file__` finds it
there too.

Example:
    >>> bundle = build_bundle("templates/ctr/pipeline.py", pipeline)   # doctest: +SKIP
    >>> bundle.pipeline_path
    'templates/ctr/pipeline.py'
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tarfile
import tempfile

import pipelines.caching as caching
from pipelines.dsl import module_reference
from pipelines.dsl.locations import is_project_file
from pipelines.dsl.pipeline import Pipeline
from pipelines.dsl.source_imports import import_closure
from pipelines.errors import StarlingError

BUNDLE_PREFIX = "starling-project-"
MAX_BUNDLE_BYTES = 4 * 1024 * 1024  # compressed; the package travels through the KFP API whole


@dataclasses.dataclass(frozen=True)
class ProjectBundle:
    """The project files as one archive: its bytes, their SHA-256, and where the pipeline file is."""

    data: bytes
    sha256: str
    pipeline_path: str  # relative to the archive's top
    files: tuple[str, ...]  # relative names, sorted


def project_files(pipeline_file: str, pipeline: Pipeline) -> list[str]:
    """The absolute paths of the project files the pipeline needs to run (see the module docstring)."""
    project_dir = os.path.dirname(os.path.abspath(pipeline_file))
    files = set(import_closure([pipeline_file], [project_dir]))
    for node in pipeline.nodes:
        for name, parts in caching.module_parts(node).items():
            target = module_reference.resolve(node.parameters[name], name)
            if not target.source_path.endswith(".py"):
                files.add(os.path.abspath(target.source_path))
            elif target.root is not None:
                files.update(os.path.join(target.root, relative) for relative in parts)
        for value in node.parameters.values():  # other files a node names: a vocabulary, a config
            if isinstance(value, str) and os.path.isabs(value) and os.path.isfile(value):
                files.add(value)
    normalized = {os.path.normpath(os.path.abspath(path)) for path in files}  # `a/../b` once
    return sorted(path for path in normalized if os.path.isfile(path) and is_project_file(path))


def build_bundle(pipeline_file: str, pipeline: Pipeline) -> ProjectBundle:
    """The deterministic archive of `project_files` (same files, same bytes, same digest).

    Raises:
        StarlingError: it is larger than `MAX_BUNDLE_BYTES`, naming the largest file.
    """
    files = project_files(pipeline_file, pipeline)
    top = os.path.commonpath([os.path.dirname(path) for path in files])
    names = [os.path.relpath(path, top) for path in files]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, name in zip(files, names, strict=True):
            info = tarfile.TarInfo(name)
            with open(path, "rb") as source:
                content = source.read()
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            archive.addfile(info, io.BytesIO(content))
    data = _without_gzip_time(buffer.getvalue())
    if len(data) > MAX_BUNDLE_BYTES:
        largest = max(files, key=os.path.getsize)
        raise StarlingError(
            f"the project's files come to {len(data) / 2**20:.1f} MiB compressed, more than a "
            f"package should carry (largest: {largest}); put data files on storage (s3://, a "
            "volume) or bake the project into an image (--pipeline-path-in-image)")
    return ProjectBundle(data, hashlib.sha256(data).hexdigest(),
                         os.path.relpath(os.path.abspath(pipeline_file), top), tuple(names))


def _without_gzip_time(data: bytes) -> bytes:
    """The gzip header's modification time zeroed (bytes 4-7), so equal files give equal bytes."""
    return data[:4] + b"\0\0\0\0" + data[8:]


def unpack(archive_path: str, expected_sha256: str) -> str:
    """Checks the archive's digest and unpacks it (once per digest); returns the directory.

    Raises:
        StarlingError: the archive is not the one the step was compiled with.
    """
    with open(archive_path, "rb") as source:
        data = source.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected_sha256:
        raise StarlingError(f"project files {archive_path}: SHA-256 {digest[:16]}… is not the "
                            f"compiled {expected_sha256[:16]}…; recompile and resubmit the pipeline")
    target = os.path.join(tempfile.gettempdir(), f"{BUNDLE_PREFIX}{digest[:16]}")
    if os.path.isdir(target):
        return target
    staging = tempfile.mkdtemp(prefix=f".{BUNDLE_PREFIX}", dir=tempfile.gettempdir())
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(staging, filter="data")
    try:
        os.rename(staging, target)
    except OSError:  # another step unpacked the same digest meanwhile
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
    return target
