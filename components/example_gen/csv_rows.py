"""CSV files to tf.Examples, read columnar with pyarrow, with every bad row named by file and line.

Cells are read as text in record batches and cast a column at a time (Arrow casts); only when a
column's cast fails are its values checked one by one, and only then is the file re-scanned to
name the lines of the bad rows.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from typing import Any

from components.example_gen.columns import one_value_lists

BLOCK_BYTES = 1 << 20
NON_NUMERIC_SHARE = 0.01
_EXPECTED = {"int": "an integer", "float": "a number"}


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


def kinds_from_schema(schema: Any, columns: list[str]) -> list[str]:
    """Column kinds from a tensorflow_metadata Schema (columns it lacks are read as strings)."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    by_type = {schema_pb2.INT: "int", schema_pb2.FLOAT: "float", schema_pb2.BYTES: "bytes"}
    declared = {feature.name: by_type.get(feature.type, "bytes") for feature in schema.feature}
    return [declared.get(column, "bytes") for column in columns]


def _open(path: str, columns: list[str], wrong_width: list[Any]) -> Any:
    """A streaming reader of text cells ("" is missing); rows of the wrong width go to `wrong_width`."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    def keep_wrong_width(row: Any) -> str:
        wrong_width.append(row)
        return "skip"

    try:
        reader = pcsv.open_csv(
            path, read_options=pcsv.ReadOptions(column_names=columns, skip_rows=1, block_size=BLOCK_BYTES),
            parse_options=pcsv.ParseOptions(invalid_row_handler=keep_wrong_width),
            convert_options=pcsv.ConvertOptions(column_types={name: pa.large_string() for name in columns},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as error:
        raise BadInputFile(f"{path}: cannot read CSV: {error}") from None
    return reader


def _batches(path: str, columns: list[str], wrong_width: list[Any]) -> Iterator[Any]:
    """Record batches of text cells."""
    import pyarrow as pa

    reader = _open(path, columns, wrong_width)
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as error:
            raise BadInputFile(f"{path}: cannot read CSV: {error}") from None
        yield batch


_INT_TEXT = r"^\s*[+-]?\d+\s*$"
_FLOAT_TEXT = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(inf|infinity|nan)\s*$"


def _counts_of_column(text: Any) -> tuple[int, int, int]:
    """(non-empty values, values that are integers, values that are numbers) of a text column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = len(text) - text.null_count
    if not present:
        return 0, 0, 0
    clean = ((pa.int64(), (present, present, present)), (pa.float64(), (present, 0, present)))
    for arrow_type, counts in clean:
        try:  # a clean column casts at once; count with patterns only when it does not
            pc.cast(text, arrow_type)
            return counts
        except pa.ArrowInvalid:
            continue
    ints = pc.sum(pc.match_substring_regex(text, _INT_TEXT)).as_py() or 0
    floats = pc.sum(pc.match_substring_regex(text, _FLOAT_TEXT, ignore_case=True)).as_py() or 0
    return present, ints, floats


def value_counts_of_file(path: str, columns: list[str]) -> list[tuple[int, int, int]]:
    """Per column, over the whole file: (non-empty values, integers, numbers)."""
    totals = [(0, 0, 0)] * len(columns)
    for batch in _batches(path, columns, []):
        counts = [_counts_of_column(batch.column(i)) for i in range(len(columns))]
        totals = [(a[0] + b[0], a[1] + b[1], a[2] + b[2]) for a, b in zip(totals, counts, strict=True)]
    return totals


def sum_counts(per_file: Any) -> list[tuple[int, ...]]:
    """Value counts added up over files (associative, for `beam.CombineGlobally`)."""
    totals: list[tuple[int, ...]] | None = None
    for counts in per_file:
        totals = list(counts) if totals is None else [tuple(a + b for a, b in zip(x, y, strict=True))
                                                      for x, y in zip(totals, counts, strict=True)]
    return totals or []


def layout_from_counts(counts: list[tuple[int, ...]], columns: list[str]) -> CsvLayout:
    """Each column's kind from its value counts over the whole input.

    A column is "int" (else "float") when its non-empty values are integers (numbers) but for
    fewer than NON_NUMERIC_SHARE of them, which then fail as bad rows; otherwise "bytes" (text).
    """
    kinds = []
    for present, ints, floats in counts:
        allowed = present * NON_NUMERIC_SHARE
        kinds.append("bytes" if not present else "int" if present - ints < allowed
                     else "float" if present - floats < allowed else "bytes")
    return CsvLayout(columns, kinds)


def _typed(text: Any, kind: str) -> tuple[Any, dict[int, str]]:
    """The column cast to its kind, and {row: bad value} when some values do not parse."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "bytes":
        return pc.cast(text, pa.large_binary()), {}
    arrow_type = pa.int64() if kind == "int" else pa.float32()
    try:
        return pc.cast(text, arrow_type), {}
    except pa.ArrowInvalid:
        pass
    parse = int if kind == "int" else float
    values, bad = [], {}
    for row, value in enumerate(text.to_pylist()):
        try:
            values.append(None if value is None else parse(value))
        except ValueError:
            values.append(None)
            bad[row] = value
    return pa.array(values, type=arrow_type), bad


def _data_rows(path: str, width: int) -> Iterator[tuple[int, list[str] | None, list[str]]]:
    """(line, row if it has `width` fields else None, raw fields) of each data row, via the csv module."""
    with open(path, newline="") as source:
        reader = csv.reader(source)
        next(reader, None)
        line = reader.line_num + 1
        for row in reader:
            yield line, (row if len(row) == width else None), row
            line = reader.line_num + 1


def _rejections(path: str, layout: CsvLayout, bad_rows: dict[int, str]) -> Iterator[Any]:
    """Rejections naming the lines of bad rows (indexed among full-width rows) and of wrong-width rows."""
    from components.example_gen.ingestion import rejection

    width = len(layout.columns)
    index = 0
    for line, row, raw in _data_rows(path, width):
        if row is None:
            yield rejection(path, line, f"expected {width} fields, got {len(raw)}", raw)
            continue
        if index in bad_rows:
            yield rejection(path, line, bad_rows[index], row)
        index += 1


def read_chunks(path: str, layout: CsvLayout) -> Iterator[Any]:
    """Yields (serialized tf.Examples, RecordBatch) per block of good rows, then the file's rejections.

    A row whose value does not fit its column's kind, or with the wrong number of fields, is a
    rejection naming the file, line, column and value.
    """
    import pyarrow as pa
    from apache_beam.metrics import Metrics
    from tfx_bsl.coders import example_coder

    read = Metrics.counter("example_gen", "rows_read")
    bad_rows: dict[int, str] = {}
    offset = 0
    wrong_width: list[Any] = []
    for text in _batches(path, layout.columns, wrong_width):
        read.inc(text.num_rows)
        columns, bad_in_batch = [], set()
        for index, (column, kind) in enumerate(zip(layout.columns, layout.kinds, strict=True)):
            values, bad = _typed(text.column(index), kind)
            columns.append(values)
            for row, value in bad.items():
                bad_rows.setdefault(offset + row,
                                    f"column '{column}': cannot parse {value!r} as {_EXPECTED[kind]}")
                bad_in_batch.add(row)
        batch = pa.RecordBatch.from_arrays([one_value_lists(values) for values in columns], layout.columns)
        if bad_in_batch:
            keep = pa.array([row not in bad_in_batch for row in range(text.num_rows)])
            batch = batch.filter(keep)
        offset += text.num_rows
        if batch.num_rows:
            yield example_coder.RecordBatchToExamples(batch), batch
    read.inc(len(wrong_width))
    if bad_rows or wrong_width:
        yield from _rejections(path, layout, bad_rows)
