"""Existing TFRecord files of tf.Examples, re-split into the standard layout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.example_gen.counters import ROWS_READ, count

BATCH_RECORDS = 4096


def _records(path: str) -> Iterator[tuple[int, bytes]]:
    import tensorflow as tf

    compression = "GZIP" if path.endswith(".gz") else ""
    count = 0
    try:
        for record in tf.data.TFRecordDataset(path, compression_type=compression):
            count += 1
            yield count, record.numpy()
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
        raise ValueError(f"{path}: record {count + 1}: not a TFRecord of tf.Example: "
                         f"{str(error).splitlines()[0]}") from None


def _decoded(path: str, first: int, records: list[bytes]) -> Any:
    """The records as an Arrow RecordBatch (tfx-bsl's decoder); names the first bad record."""
    from tfx_bsl.coders import example_coder

    decoder = example_coder.ExamplesToRecordBatchDecoder()
    try:
        return decoder.DecodeBatch(records)
    except Exception:  # tfx-bsl raises RuntimeError or ValueError; find the record to name it
        for number, record in enumerate(records, start=first):
            try:
                decoder.DecodeBatch([record])
            except Exception as error:
                raise ValueError(f"{path}: record {number}: not a tf.Example ({error})") from None
        raise ValueError(f"{path}: records {first}..{first + len(records) - 1}: features change type "
                         "between records") from None


def read_chunks(path: str) -> Iterator[tuple[list[bytes], Any]]:
    """Yields (records, their RecordBatch) per BATCH_RECORDS tf.Examples of a (gzipped) TFRecord file.

    Raises:
        ValueError: a record is not a tf.Example, or the file is not TFRecord; names the file and
            the record number.
    """
    batch: list[bytes] = []
    first = 1
    for number, record in _records(path):
        if not batch:
            first = number
        batch.append(record)
        if len(batch) >= BATCH_RECORDS:
            count(ROWS_READ, len(batch))
            yield batch, _decoded(path, first, batch)
            batch = []
    if batch:
        count(ROWS_READ, len(batch))
        yield batch, _decoded(path, first, batch)
