"""Parquet files to tf.Examples, streamed a record batch at a time; nulls become missing features."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.example_gen.columns import one_value_lists
from components.example_gen.counters import ROWS_READ, count

BATCH_ROWS = 4096


class BadParquetFile(ValueError):
    """A Parquet file that cannot be read or whose columns cannot become tf.Example features."""


def _feature_type(field: Any) -> Any:
    import pyarrow as pa

    kind = field.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return pa.large_list(pa.int64())
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return pa.large_list(pa.float32())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        return pa.large_list(pa.large_binary())
    if pa.types.is_temporal(kind):
        return pa.large_list(pa.large_binary())
    raise BadParquetFile(f"column '{field.name}' has type {kind}, which a tf.Example cannot hold")


def check_files(files: list[str]) -> list[str]:
    """The column names, after checking every file opens and has the first file's columns.

    Raises:
        BadParquetFile: naming the file (and the column, for an unsupported type).
    """
    import pyarrow.parquet as pq

    columns = None
    for path in files:
        try:
            schema = pq.read_schema(path)
        except Exception as error:  # pyarrow raises several error types for damaged files
            raise BadParquetFile(f"{path}: cannot read Parquet file: {error}") from None
        for field in schema:
            try:
                _feature_type(field)
            except BadParquetFile as error:
                raise BadParquetFile(f"{path}: {error}") from None
        if columns is None:
            columns = schema.names
        elif schema.names != columns:
            raise BadParquetFile(f"{path}: columns {schema.names} differ from {files[0]}'s {columns}")
    return columns or []


def _as_lists(column: Any, list_type: Any) -> Any:
    """A Parquet column as one-value lists of the feature's type (Arrow casts, no Python loop)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind, value_type = column.type, list_type.value_type
    if pa.types.is_temporal(kind) or (pa.types.is_large_binary(value_type) and not (
            pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind))):
        column = pc.cast(column, pa.string())
    if pa.types.is_boolean(kind):
        column = pc.cast(column, pa.int8())
    return one_value_lists(pc.cast(column, value_type))


def read_chunks(path: str) -> Iterator[tuple[list[bytes], Any]]:
    """Yields (serialized tf.Examples, RecordBatch of list columns), BATCH_ROWS rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tfx_bsl.coders import example_coder

    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        arrays = [_as_lists(batch.column(i), _feature_type(field))
                  for i, field in enumerate(batch.schema)]
        record_batch = pa.RecordBatch.from_arrays(arrays, batch.schema.names)
        count(ROWS_READ, batch.num_rows)
        yield example_coder.RecordBatchToExamples(record_batch), record_batch
