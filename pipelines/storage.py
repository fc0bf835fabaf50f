"""Object-store paths (`s3://`, `gs://`) beside local ones, through Apache Beam's filesystems.

A pipeline's root, an ExampleGen's input, a Pusher's destination and a model server's base may
be URLs. Beam's `FileSystems` reads and writes them (S3 through boto3, GCS through the Google
client); credentials and the endpoint come from the standard environment variables
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION`; GCS's
application default credentials), which on Kubeflow are mapped from a Kubernetes Secret. Code
that needs a local directory (TensorFlow's SavedModel loader, a component's executor) copies
a tree down or up with `download_tree` and `upload_tree`. Beam is imported only when a URL is
used.

Example:
    >>> is_url("s3://bucket/runs/ctr"), is_url("runs/ctr")
    (True, False)
    >>> join("s3://bucket/serving", "ctr", "3")
    's3://bucket/serving/ctr/3'
"""

from __future__ import annotations

import os
import posixpath
import shutil
from typing import Any

URL_SCHEMES = ("s3://", "gs://")


def is_url(path: str | os.PathLike | None) -> bool:
    """True for an object-store URL (`s3://`, `gs://`)."""
    return isinstance(path, str) and path.startswith(URL_SCHEMES)


def absolute(path: str | os.PathLike) -> str:
    """A URL as it is, a local path made absolute."""
    text = os.fspath(path)
    return text if is_url(text) else os.path.abspath(text)


def join(base: str, *parts: str) -> str:
    """`base` joined with `parts` (`/` for URLs, the OS separator locally)."""
    return posixpath.join(base, *parts) if is_url(base) else os.path.join(base, *parts)


def _filesystems() -> Any:
    """Beam's FileSystems, given options once (credentials and endpoint from the environment)."""
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    if FileSystems._pipeline_options is None:  # Beam keeps the options of the last pipeline built
        FileSystems.set_options(PipelineOptions([]))
    return FileSystems


def _raw() -> Any:
    """Bytes as they are: Beam would otherwise (de)compress a `.gz` name on the way."""
    from apache_beam.io.filesystem import CompressionTypes

    return CompressionTypes.UNCOMPRESSED


def exists(path: str) -> bool:
    """Whether a file, or any object under a URL prefix, exists."""
    if not is_url(path):
        return os.path.exists(path)
    filesystems = _filesystems()
    return bool(filesystems.exists(path) or list_files(path))


def list_files(prefix: str) -> list[str]:
    """Every file under a directory or URL prefix (recursively), as full paths, sorted."""
    if not is_url(prefix):
        return sorted(os.path.join(top, name) for top, _, names in os.walk(prefix) for name in names)
    filesystems = _filesystems()
    pattern = prefix.rstrip("/") + "/**"
    [match] = filesystems.match([pattern])
    return sorted(metadata.path for metadata in match.metadata_list)


def match(pattern: str) -> list[tuple[str, int]]:
    """(path, size) of the files a glob pattern matches, local or URL, sorted by path."""
    if not is_url(pattern):
        import glob

        return sorted((path, os.path.getsize(path)) for path in glob.glob(pattern) if os.path.isfile(path))
    [found] = _filesystems().match([pattern])
    return sorted((metadata.path, metadata.size_in_bytes) for metadata in found.metadata_list)


def size_and_mtime_ns(path: str) -> tuple[int, int]:
    """(size, last modification in ns) of a local file or an object."""
    if not is_url(path):
        status = os.stat(path)
        return status.st_size, status.st_mtime_ns
    [found] = _filesystems().match([path])
    [metadata] = found.metadata_list
    return metadata.size_in_bytes, int(metadata.last_updated_in_seconds * 1e9)


def child_names(prefix: str) -> list[str]:
    """The names directly under a directory or URL prefix (files and 'directories'), sorted."""
    if not is_url(prefix):
        return sorted(os.listdir(prefix)) if os.path.isdir(prefix) else []
    base = prefix.rstrip("/") + "/"
    return sorted({path[len(base):].split("/", 1)[0] for path in list_files(prefix)})


def upload_file(source: str, target: str) -> None:
    """Copies one local file to a URL (or a local path), streamed."""
    if not is_url(target):
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        shutil.copyfile(source, target)
        return
    with open(source, "rb") as reader, _filesystems().create(target, compression_type=_raw()) as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)


def upload_tree(local_dir: str, destination: str, last: str = "") -> list[str]:
    """Copies a local directory's files under a URL prefix (or a local directory); returns them.

    A top-level file named `last` is written after every other one: in an object store, where
    nothing renames atomically, its presence says the tree is complete.
    """
    sources = list_files(local_dir)
    final = os.path.join(local_dir, last) if last else ""
    written = []
    for source in [path for path in sources if path != final] + [path for path in sources if path == final]:
        target = join(destination, *os.path.relpath(source, local_dir).split(os.sep))
        upload_file(source, target)
        written.append(target)
    return written


def download_tree(source: str, local_dir: str) -> list[str]:
    """Copies every file under a URL prefix (or a local directory) into `local_dir`."""
    if not is_url(source):
        shutil.copytree(source, local_dir, dirs_exist_ok=True)
        return list_files(local_dir)
    filesystems = _filesystems()
    base = source.rstrip("/") + "/"
    written = []
    for path in list_files(source):
        target = os.path.join(local_dir, *path[len(base):].split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with filesystems.open(path, compression_type=_raw()) as reader, open(target, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
        written.append(target)
    return written


def write_bytes(path: str, data: bytes) -> None:
    """Writes a whole file, local or URL."""
    if not is_url(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as target:
            target.write(data)
        return
    with _filesystems().create(path, compression_type=_raw()) as writer:
        writer.write(data)


def read_bytes(path: str) -> bytes:
    """Reads a whole file, local or URL."""
    if not is_url(path):
        with open(path, "rb") as source:
            return source.read()
    with _filesystems().open(path, compression_type=_raw()) as reader:
        return reader.read()


def delete_tree(prefix: str) -> None:
    """Removes a local directory or every object under a URL prefix (missing is fine)."""
    if not is_url(prefix):
        shutil.rmtree(prefix, ignore_errors=True)
        return
    files = list_files(prefix)
    if files:
        _filesystems().delete(files)
