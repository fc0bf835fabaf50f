"""CSV files to tf.Examples, streamed in batches, with every bad row named by file and line."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

BATCH_ROWS = 2048
INFERENCE_ROWS = 1000
REJECTED = "rejected"
_PYARROW_TYPES = {"int": "int64", "float": "float32", "bytes": "large_binary"}


class BadInputFile(ValueError):
    """A file that cannot be read at all (missing header, unreadable, differing columns)."""


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    """Column names (from the header) and kinds: int, float or bytes."""

    columns: list[str]
    kinds: list[str]


def read_header(path: str) -> list[str]:
    """The header row of a CSV file.

    Raises:
        BadInputFile: unreadable, empty, or with empty or repeated column names.
    """
    try:
        with open(path, newline="") as source:
            header = next(csv.reader(source), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadInputFile(f"{path}: cannot read file: {error}") from None
    if not header:
        raise BadInputFile(f"{path}:1: empty file, expected a header row")
    header = [name.strip() for name in header]
    if any(not name for name in header) or len(set(header)) != len(header):
        raise BadInputFile(f"{path}:1: header has empty or repeated column names: {header}")
    return header


def infer_kinds(path: str, columns: list[str]) -> list[str]:
    """Column kinds from the first rows of a file: int, else float, else bytes (strings)."""
    seen: list[set[str]] = [set() for _ in columns]
    with open(path, newline="") as source:
        reader = csv.reader(source)
        next(reader, None)
        for index, row in enumerate(reader):
            if index >= INFERENCE_ROWS:
                break
            for column, value in enumerate(row[: len(columns)]):
                if value != "":
                    seen[column].add(_kind_of(value))
    return ["bytes" if "bytes" in kinds else "float" if "float" in kinds else "int" if kinds else "bytes"
            for kinds in seen]


def _kind_of(value: str) -> str:
    try:
        int(value)
        return "int"
    except ValueError:
        pass
    try:
        float(value)
        return "float"
    except ValueError:
        return "bytes"


def kinds_from_schema(schema: Any, columns: list[str]) -> list[str]:
    """Column kinds from a tensorflow_metadata Schema (columns it lacks are read as strings)."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    by_type = {schema_pb2.INT: "int", schema_pb2.FLOAT: "float", schema_pb2.BYTES: "bytes"}
    declared = {feature.name: by_type.get(feature.type, "bytes") for feature in schema.feature}
    return [declared.get(column, "bytes") for column in columns]


def _convert(value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value.encode()


def rows_of_file(path: str, layout: CsvLayout, partition_feature: str | None
                 ) -> Iterator[Any]:
    """Yields (hash key, serialized tf.Example) per good row and tagged rejections per bad row.

    Memory stays bounded: rows are converted BATCH_ROWS at a time.
    """
    import apache_beam as beam
    from apache_beam.metrics import Metrics

    read = Metrics.counter("example_gen", "rows_read")
    rejected = Metrics.counter("example_gen", "rows_rejected")
    partition_index = layout.columns.index(partition_feature) if partition_feature else None
    batch: list[list[Any]] = []
    keys: list[str | None] = []
    with open(path, newline="") as source:
        reader = csv.reader(source)
        next(reader, None)
        for row in reader:
            read.inc()
            line = reader.line_num
            try:
                batch.append(_convert_row(row, layout))
            except ValueError as error:
                rejected.inc()
                yield beam.pvalue.TaggedOutput(REJECTED, json.dumps(
                    {"file": path, "line": line, "reason": str(error), "row": row}))
                continue
            keys.append(row[partition_index] if partition_index is not None else None)
            if len(batch) >= BATCH_ROWS:
                yield from _encoded(batch, keys, layout, partition_feature)
                batch, keys = [], []
    if batch:
        yield from _encoded(batch, keys, layout, partition_feature)


def _convert_row(row: list[str], layout: CsvLayout) -> list[Any]:
    if len(row) != len(layout.columns):
        raise ValueError(f"expected {len(layout.columns)} fields, got {len(row)}")
    values = []
    for value, column, kind in zip(row, layout.columns, layout.kinds, strict=True):
        try:
            values.append(_convert(value, kind))
        except ValueError:
            expected = {"int": "an integer", "float": "a number"}[kind]
            raise ValueError(f"column '{column}': cannot parse {value!r} as {expected}") from None
    return values


def _encoded(batch: list[list[Any]], keys: list[str | None], layout: CsvLayout,
             partition_feature: str | None) -> Iterator[tuple[bytes, bytes]]:
    import pyarrow as pa
    from tfx_bsl.coders import example_coder

    arrays = []
    for index, kind in enumerate(layout.kinds):
        list_type = pa.large_list(getattr(pa, _PYARROW_TYPES[kind])())
        arrays.append(pa.array([None if row[index] is None else [row[index]] for row in batch],
                               type=list_type))
    record_batch = pa.RecordBatch.from_arrays(arrays, layout.columns)
    for serialized, key in zip(example_coder.RecordBatchToExamples(record_batch), keys, strict=True):
        yield (key.encode() if partition_feature else serialized), serialized
