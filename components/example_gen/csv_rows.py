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

from components.example_gen import csv_lines
from components.example_gen.columns import one_value_lists
from components.example_gen.contract import ColumnRule, missing_columns, rules_from_schema
from components.example_gen.counters import ROWS_READ, count

BLOCK_BYTES = 1 << 20
NON_NUMERIC_SHARE = 0.01
_EXPECTED = {"int": "an integer", "float": "a number"}


class BadInputFile(ValueError):
    """A file that cannot be read at all (missing header, unreadable, differing columns)."""


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    """Column names (from the header), kinds (int, float or bytes) and the schema's rules, if any."""

    columns: list[str]
    kinds: list[str]
    rules: tuple[ColumnRule | None, ...] = ()


def read_header(path: str) -> list[str]:
    """The header row of a CSV file; a UTF-8 byte-order mark (Excel's CSV) is not part of it.

    Raises:
        BadInputFile: unreadable, empty, or with empty or repeated column names.
    """
    try:
        with open(path, newline="", encoding=csv_lines.ENCODING) as source:
            header = next(csv.reader(source), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadInputFile(f"{path}: cannot read file: {error}") from None
    if not header:
        raise BadInputFile(f"{path}:1: empty file, expected a header row")
    header = [name.strip() for name in header]
    if any(not name for name in header) or len(set(header)) != len(header):
        raise BadInputFile(f"{path}:1: header has empty or repeated column names: {header}")
    return header


def layout_from_schema(schema: Any, columns: list[str], path: str) -> CsvLayout:
    """The layout a tensorflow_metadata Schema gives a header (columns it lacks are strings).

    Raises:
        BadInputFile: the header (of `path`) lacks a column the schema requires.
    """
    rules = rules_from_schema(schema)
    missing = missing_columns(rules, columns)
    if missing:
        raise BadInputFile(f"{path}:1: missing column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(repr(name) for name in missing)}, required by the schema "
                           f"(presence); the header has {', '.join(columns)}")
    return CsvLayout(columns, [rules[c].kind if c in rules else "bytes" for c in columns],
                     tuple(rules.get(column) for column in columns))


def _missing_markers(pcsv: Any) -> list[str]:
    """The spellings of a missing value pyarrow knows ("", "NA", "null", ...) except NaN's: NaN is a value.

    A NaN is kept as a float, so a schema that bounds the column (or disallows NaN) refuses it
    by name instead of it turning silently into a missing value.
    """
    return [text for text in pcsv.ConvertOptions().null_values if text.lower().lstrip("-") != "nan"]


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
                                                 null_values=_missing_markers(pcsv),
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as error:
        raise _read_error(path, error) from None
    return reader


def _read_error(path: str, error: Exception) -> BadInputFile:
    """The error for a file pyarrow cannot read, naming the line of a row too large to read."""
    oversized = csv_lines.oversized_row(path, BLOCK_BYTES)
    if oversized is not None:
        return BadInputFile(f"{path}:{oversized}")
    return BadInputFile(f"{path}: cannot read CSV: {error}")


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
            raise _read_error(path, error) from None
        yield batch


_PROBE_VALUES = 64
_INT_TEXT = r"^\s*[+-]?\d+\s*$"
_FLOAT_TEXT = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(inf|infinity|nan)\s*$"


def _counts_of_column(text: Any) -> tuple[int, int, int]:
    """(non-empty values, values that are integers, values that are numbers) of a text column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = len(text) - text.null_count
    if not present:
        return 0, 0, 0
    try:  # a clean column casts at once; count with patterns only when it does not
        pc.cast(text.slice(0, _PROBE_VALUES), pa.int64())  # a failing cast of a whole column is slow
        pc.cast(text, pa.int64())
        return present, present, present
    except pa.ArrowInvalid:
        pass
    # casts and patterns run once per distinct value, a match weighted by the value's occurrences
    distinct = pc.value_counts(text)
    values, occurrences = distinct.field("values"), distinct.field("counts")

    def occurrences_matching(pattern: str, ignore_case: bool) -> int:
        matches = pc.match_substring_regex(values, pattern, ignore_case=ignore_case)
        return int(pc.sum(pc.if_else(matches, occurrences, 0)).as_py() or 0)

    # integers too large for int64 still count as integers: the column stays integer and
    # those values fail as bad rows, rather than the column turning float and losing precision
    ints = occurrences_matching(_INT_TEXT, ignore_case=False)
    try:
        pc.cast(values, pa.float64())
        return present, ints, present
    except pa.ArrowInvalid:
        return present, ints, occurrences_matching(_FLOAT_TEXT, ignore_case=True)


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


_INT64_RANGE = (-(1 << 63), (1 << 63) - 1)


class _DoesNotFit(ValueError):
    """A number that parses but does not fit the column's type."""


def _parse(value: str, kind: str) -> int | float:
    """One value of an int or float column; ValueError when it is not one, _DoesNotFit when too large."""
    if kind == "float":
        return float(value)
    number = int(value)
    if not _INT64_RANGE[0] <= number <= _INT64_RANGE[1]:
        raise _DoesNotFit(f"{value.strip()} does not fit a 64-bit integer "
                          f"([{_INT64_RANGE[0]}, {_INT64_RANGE[1]}])")
    return number


def _typed(text: Any, kind: str) -> tuple[Any, dict[int, str]]:
    """The column cast to its kind, and {row: why not} for the values that do not parse or fit."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "bytes":
        return pc.cast(text, pa.large_binary()), {}
    arrow_type = pa.int64() if kind == "int" else pa.float32()
    bad: dict[int, str] = {}
    try:
        values = pc.cast(text, arrow_type)
    except pa.ArrowInvalid:
        values, bad = _parse_each(text, kind)
    return values, ({**_float32_overflows(text, values), **bad} if kind == "float" else bad)


def _parse_each(text: Any, kind: str) -> tuple[Any, dict[int, str]]:
    """A column that does not cast at once, parsed value by value."""
    import pyarrow as pa

    parsed: list[int | float | None] = []
    bad = {}
    for row, value in enumerate(text.to_pylist()):
        try:
            parsed.append(None if value is None else _parse(value, kind))
        except _DoesNotFit as error:
            parsed.append(None)
            bad[row] = str(error)
        except ValueError:
            parsed.append(None)
            bad[row] = f"cannot parse {value!r} as {_EXPECTED[kind]}"
    return pa.array(parsed, type=pa.int64() if kind == "int" else pa.float32()), bad


def _float32_overflows(text: Any, values: Any) -> dict[int, str]:
    """{row: why} for finite numbers written in the file that became infinite as 32-bit floats."""
    import pyarrow.compute as pc

    infinite = pc.fill_null(pc.is_inf(values), False)
    if not pc.any(infinite).as_py():
        return {}
    bad = {}
    for row in pc.indices_nonzero(infinite).to_pylist():
        written = text[row].as_py()
        if written.strip().lstrip("+-").lower() not in ("inf", "infinity"):
            bad[row] = f"{written.strip()} does not fit a 32-bit float (tf.Example's float_list)"
    return bad


def _check_batch(text: Any, layout: CsvLayout) -> tuple[list[Any], dict[int, str]]:
    """The batch's typed columns, and {row in batch: reason} for its bad rows (first reason wins)."""
    columns: list[Any] = []
    bad_rows: dict[int, str] = {}
    for index, (column, kind) in enumerate(zip(layout.columns, layout.kinds, strict=True)):
        values, bad = _typed(text.column(index), kind)
        columns.append(values)
        for row, reason in bad.items():
            bad_rows.setdefault(row, f"column '{column}': {reason}")
        rule = layout.rules[index] if layout.rules else None
        if rule is not None:
            for row, reason in rule.violations(values, text.column(index)).items():
                bad_rows.setdefault(row, reason)
    return columns, bad_rows


def read_chunks(path: str, layout: CsvLayout) -> Iterator[Any]:
    """Yields (serialized tf.Examples, RecordBatch) per block of good rows, then the file's rejections.

    A row whose value does not fit its column's kind (or breaks the schema's rules: presence,
    domain, range, finite floats), or with the wrong number of fields, is a rejection naming
    the file, line, column and value.
    """
    import pyarrow as pa
    from tfx_bsl.coders import example_coder

    bad_rows: dict[int, str] = {}
    offset = 0
    wrong_width: list[Any] = []
    for text in _batches(path, layout.columns, wrong_width):
        count(ROWS_READ, text.num_rows)
        columns, bad_in_batch = _check_batch(text, layout)
        bad_rows.update({offset + row: reason for row, reason in bad_in_batch.items()})
        batch = pa.RecordBatch.from_arrays([one_value_lists(values) for values in columns], layout.columns)
        if bad_in_batch:
            keep = pa.array([row not in bad_in_batch for row in range(text.num_rows)])
            batch = batch.filter(keep)
        offset += text.num_rows
        if batch.num_rows:
            yield example_coder.RecordBatchToExamples(batch), batch
    count(ROWS_READ, len(wrong_width))
    if bad_rows or wrong_width:
        yield from csv_lines.rejections(path, len(layout.columns), bad_rows)
