"""Decoded tf.Examples kept as Arrow IPC files, so a file is decoded at most once.

Decoding tf.Examples (tfx-bsl's C++ decoder, about 8 us a row) is the largest cost of reading
examples. StatisticsGen and Transform read the same ExampleGen files with the same schema one
after the other, and ExampleGen had those rows in Arrow before encoding them. So `DecodedCache`
keeps, as Arrow IPC files outside the artifacts, the rows ExampleGen wrote to a shard and what
the decoder gave for a file, and a reader maps them back instead of decoding (see its docstring:
entries are named by the digest of the file's bytes, so an entry can never stand for other data).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from components.tfrecord_batches import BATCH_ROWS, record_batches

CACHE_DIR_VARIABLE = "STARLING_DECODED_CACHE_DIR"
CACHE_MAX_BYTES = 1024 * 1024 * 1024
_CACHE_SUFFIX = ".arrow"
_CACHE_FORMAT = b"starling-decoded-examples-1"
_SOURCE = b"source rows"
_ABANDONED_SECONDS = 3600


def default_cache_dir() -> str | None:
    """Where the shared decoded-examples cache lives; None when it is turned off.

    `$STARLING_DECODED_CACHE_DIR` when set ("" turns the cache off), else a per-user directory
    under the system's temporary directory.
    """
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured is not None:
        return configured or None
    return os.path.join(tempfile.gettempdir(), f"starling-decoded-examples-{os.getuid()}")


@dataclasses.dataclass(frozen=True)
class DecodedCache:
    """Record batches decoded from local TFRecord files, kept as Arrow IPC files to be read again.

    An entry is named by a SHA-256 over the exact bytes of the TFRecord file, the schema
    (serialized deterministically), the batch size, and the tfx-bsl and pyarrow versions: the
    inputs of the decoding. Whatever changes in the file gives another name, so an entry can only
    ever hold what decoding that very file gives (`batches` yields the same record batches either
    way, cut at the same rows). Entries are written under a temporary name and renamed when
    whole; a half-written or unreadable entry is never used. The directory lies outside every
    artifact (the TFX layout of artifacts stays as it is), is created private to the user, and is
    kept under `max_bytes` by deleting the least recently used entries after each write (an entry
    larger than that is not kept). Failing to keep an entry (a full disk) never fails the read.

    A writer of TFRecords may also leave a *source entry* for a file (`source_entry`): the Arrow
    rows whose `RecordBatchToExamples` encoding are the file's records, in order, named by the
    digest of the file's bytes alone. A reader with a schema takes the schema's columns from it
    (an absent feature all missing, as the decoder gives it) cut into `batch_rows`-row batches;
    when a column's type is not exactly the decoder's for the schema, it decodes instead.

    Example:
        >>> cache = DecodedCache(default_cache_dir())  # doctest: +SKIP
        >>> for batch in cache.batches(path, schema):  # decoded once, mapped the next time
        ...     print(batch.num_rows)
    """

    directory: str
    max_bytes: int = CACHE_MAX_BYTES

    def batches(self, path: str, schema: Any, batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
        """A file's record batches (`record_batches([path], ...)`), from the cache when it has them.

        Without a schema each batch may have other columns, which one IPC file cannot hold: such
        reads are decoded and not kept; so are reads when the directory is not the user's own.
        """
        if schema is None or not _private_directory(self.directory):
            yield from record_batches([path], schema, batch_rows)
            return
        digest = _file_digest(path)
        entry = self._entry(digest, str(batch_rows).encode(), schema.SerializeToString(deterministic=True))
        cached: Iterable[Any] | None = _read_entry(entry)
        if cached is None:
            source = _read_entry(self._entry(digest, _SOURCE))
            projected = None if source is None else _projected(source, schema)
            cached = None if projected is None else _cut(projected, batch_rows)
        if cached is not None:
            yield from cached
            return
        yield from self._decode_and_keep(path, schema, batch_rows, entry)

    def source_entry(self, arrow_schema: Any) -> EntryWriter | None:
        """A source entry for the rows of a TFRecord file being written; None if the directory is unusable."""
        if not _private_directory(self.directory):
            return None
        return EntryWriter(self, arrow_schema)

    def _entry(self, digest: bytes, *parts: bytes) -> str:
        """The path of the entry for a file's digest and what else decides its content."""
        import pyarrow as pa
        import tfx_bsl

        key = hashlib.sha256(_CACHE_FORMAT)
        for part in (tfx_bsl.__version__.encode(), pa.__version__.encode(), *parts, digest):
            key.update(len(part).to_bytes(8, "little") + part)
        return os.path.join(self.directory, key.hexdigest() + _CACHE_SUFFIX)

    def _decode_and_keep(self, path: str, schema: Any, batch_rows: int, entry: str) -> Iterator[Any]:
        """Yields the decoded batches, writing them to the entry (renamed into place once whole)."""
        kept: EntryWriter | None = None
        whole = False
        try:
            for batch in record_batches([path], schema, batch_rows):
                kept = kept or EntryWriter(self, batch.schema)
                kept.add(batch)
                yield batch
            whole = True
        finally:
            if kept is not None and whole:
                kept.keep_as(entry)
            elif kept is not None:
                kept.abandon()


class EntryWriter:
    """An entry being written, under a temporary name until it is whole.

    For a source entry, `add` each batch whose `RecordBatchToExamples` records go to a TFRecord
    file, in the file's order; `finish(path)` once the file is closed names the entry by the
    digest of its bytes. An entry past the cache's `max_bytes`, or one that cannot be written (a
    full disk), is given up (deleted): the cache never makes its user fail.
    """

    def __init__(self, cache: DecodedCache, arrow_schema: Any) -> None:
        self._cache = cache
        self._schema = arrow_schema
        self._partial = os.path.join(cache.directory, f"{uuid.uuid4().hex}.partial")
        self._sink: Any = None
        self._writer: Any = None
        self._rows = 0
        self._given_up = False

    def add(self, batch: Any) -> None:
        """Appends rows; a batch of another schema than the first gives the entry up."""
        if self._given_up or not batch.num_rows:
            return
        if not batch.schema.equals(self._schema):
            self.abandon()
            return
        try:
            self._write(batch)
        except OSError:
            self.abandon()
            return
        if self._sink.tell() > self._cache.max_bytes:
            self.abandon()

    def _write(self, batch: Any) -> None:
        import pyarrow as pa

        if self._writer is None:
            self._sink = pa.OSFile(self._partial, "wb")
            self._writer = pa.ipc.new_file(self._sink, self._schema)
        self._writer.write_batch(batch)
        self._rows += batch.num_rows

    def finish(self, path: str) -> None:
        """Names the source entry by the digest of the written file `path` (dropped without rows)."""
        try:
            digest = _file_digest(path)
        except OSError:
            self.abandon()
            return
        self.keep_as(self._cache._entry(digest, _SOURCE))

    def keep_as(self, entry: str) -> None:
        """Renames the entry into place (an entry without rows is dropped) and evicts old ones."""
        if self._given_up or not self._rows:
            self.abandon()
            return
        try:
            self._close()
            os.replace(self._partial, entry)
        except OSError:
            self.abandon()
            return
        _evict(self._cache.directory, self._cache.max_bytes, keep=entry)

    def abandon(self) -> None:
        """Deletes what was written; later rows are ignored."""
        self._given_up = True
        with contextlib.suppress(OSError):
            self._close()
        _remove(self._partial)

    def _close(self) -> None:
        writer, sink, self._writer, self._sink = self._writer, self._sink, None, None
        if writer is not None:
            writer.close()
            sink.close()


def _projected(source: list[Any], schema: Any) -> Any | None:
    """The rows of a source entry as the decoder gives them under `schema`, or None if that may differ.

    The decoder's columns are the schema's, in its order and types; a feature no row has is all
    missing (null lists). A column of another type (which the decoder would convert or refuse)
    means decoding instead.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from tfx_bsl.coders import example_coder

    if not source:
        return None
    target = example_coder.ExamplesToRecordBatchDecoder(schema.SerializeToString()).ArrowSchema()
    table = pa.Table.from_batches(source)
    columns = []
    for field in target:
        index = table.schema.get_field_index(field.name)
        if index < 0:
            columns.append(pa.chunked_array([pa.nulls(table.num_rows, field.type)]))
        elif table.schema.field(index).type != field.type or pc.list_flatten(table.column(index)).null_count:
            return None  # another type, or missing values inside lists, which tf.Examples cannot hold
        else:
            columns.append(table.column(index))
    return pa.Table.from_arrays(columns, schema=target)


def _cut(table: Any, batch_rows: int) -> Iterator[Any]:
    """The table's rows in batches of `batch_rows`, each a fresh copy (no offsets into shared buffers)."""
    import pyarrow as pa

    for start in range(0, table.num_rows, batch_rows):
        piece = table.slice(start, batch_rows)
        yield pa.RecordBatch.from_arrays([pa.concat_arrays(column.chunks) for column in piece.columns],
                                         schema=table.schema)


def split_batches(paths: Sequence[str], schema: Any, cache: DecodedCache | None,
                  batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """`record_batches(paths, schema, batch_rows)`, through the cache when the split is one file.

    A split of several files is decoded across file boundaries (a batch may hold the end of one
    file and the start of the next), which per-file entries cannot give, so it is decoded afresh.
    """
    if cache is not None and len(paths) == 1:
        return cache.batches(paths[0], schema, batch_rows)
    return record_batches(paths, schema, batch_rows)


def shared_cache() -> DecodedCache | None:
    """The cache in `default_cache_dir()`, or None when it is turned off."""
    directory = default_cache_dir()
    return None if directory is None else DecodedCache(directory)


def _file_digest(path: str) -> bytes:
    """SHA-256 of a file's bytes."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as source:
        return hashlib.file_digest(source, "sha256").digest()


def _read_entry(entry: str) -> list[Any] | None:
    """The record batches of a whole entry (memory-mapped), or None when there is none or it is unreadable."""
    import pyarrow as pa

    try:
        reader = pa.ipc.open_file(pa.memory_map(entry))
        batches = [reader.get_batch(index) for index in range(reader.num_record_batches)]
    except (OSError, pa.ArrowInvalid):
        return None
    with contextlib.suppress(OSError):  # evicted meanwhile: the mapping still holds it
        os.utime(entry)  # most recently used
    return batches


def _private_directory(directory: str) -> bool:
    """Creates the directory (owner only); False when it cannot be, or is not safely the user's own.

    It must be a directory itself (a symbolic link planted at a shared path could point the
    cache's writes and evictions elsewhere), owned by the user, and writable by nobody else.
    """
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        found = os.lstat(directory)
    except OSError:
        return False
    return (stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
            and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _evict(directory: str, max_bytes: int, keep: str) -> None:
    """Deletes the least recently used entries until the rest total at most `max_bytes` (`keep` stays).

    A partial entry an hour old was left by a process that died while writing it: it goes too.
    """
    entries = []
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            found = os.stat(path)
        except FileNotFoundError:  # another process evicted it
            continue
        if name.endswith(_CACHE_SUFFIX):
            entries.append((found.st_mtime, found.st_size, path))
        elif name.endswith(".partial") and found.st_mtime < time.time() - _ABANDONED_SECONDS:
            _remove(path)
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            return
        if path != keep:
            _remove(path)
            total -= size


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # another process removed it, or it cannot be
        os.remove(path)
