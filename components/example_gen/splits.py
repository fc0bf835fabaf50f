"""Deterministic splits from a row's content, and writing them in TFX's Split-<name>/ layout.

A row's split is a hash of a canonical text of its values (or of the partition feature's
values): features sorted by name, values written as text (the integer 7, the string "7" and the
bytes b"7" agree), missing features left out. It is computed on Arrow record batches, so CSV,
Parquet and TFRecord inputs of the same rows split identically, in any process or machine; the
serialized tf.Example (whose map order varies) is never hashed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from components.artifact_io import EXAMPLES_FILE_PREFIX

if TYPE_CHECKING:
    from components.decoded_cache import DecodedCache

DEFAULT_SPLITS = {"train": 2, "eval": 1}


def check_splits(splits: Mapping[str, int]) -> None:
    """Raises ValueError for an empty mapping, a bad name or a non-positive weight."""
    if not splits:
        raise ValueError("splits: give at least one split, e.g. {'train': 2, 'eval': 1}")
    for name, weight in splits.items():
        if not name or not name.replace("_", "a").replace("-", "a").isalnum():
            raise ValueError(f"splits: bad split name {name!r}")
        if not isinstance(weight, int) or weight <= 0:
            raise ValueError(f"splits: weight of '{name}' must be a positive integer, got {weight!r}")


def split_of_bucket(bucket: int, splits: Mapping[str, int]) -> int:
    """The split of a bucket in `range(sum of weights)`: the first `weight` buckets are the first split's."""
    for index, weight in enumerate(splits.values()):
        if bucket < weight:
            return index
        bucket -= weight
    return len(splits) - 1


def _values_text(column: Any) -> Any:
    """Per row: the column's values as text joined by commas (null for a missing feature)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column.flatten()
    if not (pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type)
            or pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pc.cast(values, pa.string())
    lists = pa.ListArray.from_arrays(pc.cast(column.offsets, pa.int32()), pc.cast(values, pa.binary()),
                                     mask=column.is_null())
    return pc.binary_join(lists, pa.scalar(b",", pa.binary()))


def canonical_keys(batch: Any, partition_feature: str | None) -> list[bytes]:
    """The hash key of each row of an Arrow RecordBatch of list columns (tfx-bsl's layout).

    With a partition feature, the key is that feature's values; else every feature, sorted by
    name, as `name=values;` (a missing feature adds nothing).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if partition_feature is not None:
        index = batch.schema.get_field_index(partition_feature)
        if index < 0:
            return [b""] * batch.num_rows
        keys = pc.fill_null(_values_text(batch.column(index)), pa.scalar(b"", pa.binary()))
        return keys.to_pylist()
    parts = []
    for name in sorted(batch.schema.names):
        text = _values_text(batch.column(batch.schema.get_field_index(name)))
        parts.append(pc.binary_join_element_wise(pa.scalar(f"{name}=".encode(), pa.binary()), text,
                                                 pa.scalar(b";", pa.binary()), pa.scalar(b"", pa.binary())))
    if not parts:
        return [b""] * batch.num_rows
    joined = pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.binary()), null_handling="replace",
                                         null_replacement=b"")
    return joined.to_pylist()


def shard_path(examples_uri: str, split: str, file_index: int, file_count: int) -> str:
    """Where input file `file_index` writes its rows of `split` (one gzipped TFRecord per input file)."""
    return os.path.join(examples_uri, f"Split-{split}",
                        f"{EXAMPLES_FILE_PREFIX}-{file_index:05d}-of-{file_count:05d}.gz")


_CRC_MASK_DELTA = 0xA282EAD8
GZIP_LEVEL = 1  # fast; any gzip level reads the same


def _masked(crcs: Sequence[int]) -> Any:
    """TFRecord's masking of CRC-32C values (rotate right by 15, add a constant), vectorized."""
    import numpy as np

    values = np.asarray(crcs, dtype=np.uint64)
    return ((((values >> 15) | (values << 17)) & 0xFFFFFFFF) + _CRC_MASK_DELTA) & 0xFFFFFFFF


def tfrecord_frames(records: Sequence[bytes]) -> bytes:
    """Records in TFRecord framing (length, masked CRC-32C of it, data, masked CRC-32C of it).

    The data's checksums are masked all at once; a length's header is made once per distinct
    length (records of a batch share few).
    """
    import google_crc32c

    crc = google_crc32c.value
    data_checksums = _masked([crc(record) for record in records]).astype("<u4").tobytes()
    header_of: dict[int, bytes] = {}
    parts: list[bytes] = []
    for index, record in enumerate(records):
        header = header_of.get(len(record))
        if header is None:
            length = struct.pack("<Q", len(record))
            header = header_of[len(record)] = length + int(_masked([crc(length)])[0]).to_bytes(4, "little")
        parts += [header, record, data_checksums[4 * index:4 * index + 4]]
    return b"".join(parts)


class SplitWriter:
    """Gzipped TFRecord shards, one per split, for the rows of one input file.

    Every split gets a file, empty or not, so readers of `Split-<name>/*.gz` always find one.
    Names are fixed by the input file's index, so a retried bundle overwrites its own shards.
    Records are framed and compressed a batch at a time (Beam's file systems, so any Beam
    file system works). Given a `DecodedCache`, each shard's rows also go to a source entry
    there (`components.decoded_cache`), so StatisticsGen and Transform need not decode the
    shard again; the shard itself is the same either way.
    """

    def __init__(self, examples_uri: str, splits: Mapping[str, int], file_index: int, file_count: int,
                 cache: DecodedCache | None = None):
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        self.splits = splits
        self.names = list(splits)
        self.counts = [0] * len(self.names)
        total = sum(splits.values())  # bucket -> split index, looked up per record in write()
        self._buckets = (total, [split_of_bucket(bucket, splits) for bucket in range(total)])
        paths = [shard_path(examples_uri, name, file_index, file_count) for name in self.names]
        plain = CompressionTypes.UNCOMPRESSED
        self._raw = [FileSystems.create(path, compression_type=plain) for path in paths]
        self._files = [gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL) for raw in self._raw]
        self._paths = paths
        self._cache = cache
        self._sources: list[Any] | None = None  # the shards' source entries, opened with the first batch

    def write(self, records: Sequence[bytes], keys: Sequence[bytes], batch: Any = None) -> None:
        """Writes each record to the split its key hashes to.

        `batch`, when given, is the Arrow rows the records encode (`RecordBatchToExamples`), row
        for row: they go to the shards' source entries in the cache.
        """
        import numpy as np

        if len(records) != len(keys):
            raise ValueError(f"{len(records)} records but {len(keys)} split keys")
        chosen: list[list[bytes]] = [[] for _ in self.names]
        total, split_of_bucket = self._buckets
        digests = b"".join(hashlib.blake2b(key, digest_size=8).digest() for key in keys)
        buckets = (np.frombuffer(digests, dtype=">u8") % np.uint64(total)).tolist()  # big-endian, as before
        split_of_row = [split_of_bucket[bucket] for bucket in buckets]
        for record, index in zip(records, split_of_row, strict=True):
            chosen[index].append(record)
        for index, split_records in enumerate(chosen):
            if split_records:
                self._files[index].write(tfrecord_frames(split_records))
                self.counts[index] += len(split_records)
        if batch is not None and self._cache is not None:
            self._keep_rows(batch, np.asarray(split_of_row))

    def _keep_rows(self, batch: Any, split_of_row: Any) -> None:
        """Adds each split's rows of the batch to its shard's source entry."""
        import pyarrow as pa

        if self._sources is None:
            assert self._cache is not None
            self._sources = [self._cache.source_entry(batch.schema) for _ in self.names]
        for index, source in enumerate(self._sources):
            if source is not None:
                source.add(batch.filter(pa.array(split_of_row == index)))

    def close(self, keep_rows: bool = True) -> dict[str, int]:
        """Closes the shards; rows written per split.

        Their source entries are named by the shards' bytes, or given up when not `keep_rows`
        (the shards may not hold every row then).
        """
        for compressed, raw in zip(self._files, self._raw, strict=True):
            compressed.close()
            raw.close()
        for source, path in zip(self._sources or [None] * len(self._paths), self._paths, strict=True):
            if source is not None and keep_rows:
                source.finish(path)
            elif source is not None:
                source.abandon()
        return dict(zip(self.names, self.counts, strict=True))
