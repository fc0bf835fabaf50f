"""Gzipped TFRecord files of tf.Examples, read and written a large batch at a time, without Beam.

Reading a split through Beam (TFXIO's `BeamSource`) and writing one (`WriteToTFRecord`) cost
Python work per record: at a million rows that is most of Transform's time. Here the frames of
the decompressed stream are cut apart a block at a time and decoded to Arrow record batches by
tfx-bsl's C++ decoder, given the schema (so the columns are those TFXIO's `TFExampleRecord`
gives for the same schema); writing uses the TFRecord framing and gzip level of ExampleGen's
shards (`components.example_gen.splits`). Per-record CRCs are not checked on reading: gzip's own
CRC-32 of the whole stream is, when the file ends.

Files go through Beam's file systems, so a pipeline root on GCS or S3 works as it does with Beam.

Decoding (tfx-bsl's C++ decoder, about 8 us a row) is the largest cost of reading; readers that
may read a file again go through `components.decoded_cache`, which keeps decoded rows.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from components.example_gen.splits import GZIP_LEVEL, tfrecord_frames

BATCH_ROWS = 65536
_BLOCK_BYTES = 16 * 1024 * 1024
_HEADER_BYTES = 12  # uint64 length + its masked CRC-32C
_FOOTER_BYTES = 4  # masked CRC-32C of the data


def matching_files(file_pattern: str) -> list[str]:
    """The files a pattern matches, sorted by name (the order their records are read in)."""
    from apache_beam.io.filesystems import FileSystems

    [match] = FileSystems.match([file_pattern])
    return sorted(metadata.path for metadata in match.metadata_list)


def _frames(data: bytes, start: int, records: list[bytes]) -> int:
    """Appends the complete records of `data` from `start`; returns where the first partial one begins."""
    end = len(data)
    unpack = struct.unpack_from
    while start + _HEADER_BYTES <= end:
        (length,) = unpack("<Q", data, start)
        stop = start + _HEADER_BYTES + length
        if stop + _FOOTER_BYTES > end:
            break
        records.append(data[start + _HEADER_BYTES:stop])
        start = stop + _FOOTER_BYTES
    return start


def read_records(path: str) -> Iterator[list[bytes]]:
    """Yields the serialized records of one gzipped TFRecord file, a block's worth at a time.

    Raises:
        ValueError: the file ends inside a record (names the file).
    """
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    pending = b""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as raw, \
            gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        while block := stream.read(_BLOCK_BYTES):
            data = pending + block if pending else block
            records: list[bytes] = []
            consumed = _frames(data, 0, records)
            pending = data[consumed:]
            if records:
                yield records
    if pending:
        raise ValueError(f"{path}: the file ends inside a TFRecord ({len(pending)} bytes left over)")


def record_chunks(paths: Iterable[str], batch_rows: int = BATCH_ROWS) -> Iterator[list[bytes]]:
    """Yields the records of the files in order, `batch_rows` at a time (fewer in the last chunk)."""
    chunk: list[bytes] = []
    for path in paths:
        for records in read_records(path):
            chunk.extend(records)
            while len(chunk) >= batch_rows:
                yield chunk[:batch_rows]
                chunk = chunk[batch_rows:]
    if chunk:
        yield chunk


def record_batches(paths: Iterable[str], schema: Any | None, batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """Yields Arrow RecordBatches of the files' tf.Examples, in order, typed by the schema.

    Without a schema, each batch's columns are those its examples have, typed as they come.

    Example:
        >>> for batch in record_batches(matching_files(pattern), schema):  # doctest: +SKIP
        ...     print(batch.num_rows)
    """
    from tfx_bsl.coders import example_coder

    serialized_schema = None if schema is None else schema.SerializeToString()
    decoder = example_coder.ExamplesToRecordBatchDecoder(serialized_schema)
    for chunk in record_chunks(paths, batch_rows):
        yield decoder.DecodeBatch(chunk)


def write_records(path: str, chunks: Iterable[Sequence[bytes]]) -> int:
    """Writes the records as one gzipped TFRecord file (created even when empty); returns their count."""
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    count = 0
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL) as stream:
        for records in chunks:
            stream.write(tfrecord_frames(records))
            count += len(records)
    return count
