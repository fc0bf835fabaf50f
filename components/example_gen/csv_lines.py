"""Line-level rescans of a CSV file, done only when something is wrong: which line is it on?

pyarrow reads CSV in blocks and does not count lines; when a block holds bad rows (or a row is too
large to read at all), the file is read again with the csv module to name the lines.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

ENCODING = "utf-8-sig"  # a byte-order mark (Excel's "CSV UTF-8") is not part of the first column
_FIELD_LIMIT = 1 << 30


def _reader(source: IO[str]) -> Any:
    """A csv reader that reads fields of any size (large ones are judged by the caller)."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    return csv.reader(source)


def data_rows(path: str, width: int) -> Iterator[tuple[int, list[str] | None, list[str]]]:
    """(line, row if it has `width` fields else None, raw fields) of each data row."""
    with open(path, newline="", encoding=ENCODING) as source:
        reader = _reader(source)
        next(reader, None)
        line = reader.line_num + 1
        for row in reader:
            yield line, (row if len(row) == width else None), row
            line = reader.line_num + 1


def rejections(path: str, width: int, bad_rows: dict[int, str]) -> Iterator[Any]:
    """Rejections naming the lines of bad rows (indexed among full-width rows) and of wrong-width rows."""
    from components.example_gen.ingestion import rejection

    index = 0
    for line, row, raw in data_rows(path, width):
        if row is None:
            yield rejection(path, line, f"expected {width} fields, got {len(raw)}", raw)
            continue
        if index in bad_rows:
            yield rejection(path, line, bad_rows[index], row)
        index += 1


def oversized_row(path: str, limit: int) -> str | None:
    """`LINE: why` for the first row of more than `limit` bytes (the reader's block), or None.

    Example: `57: a row of 10485771 bytes is larger than the reader's limit of 1048576 bytes
    per row (column 'comment' holds 10485760 bytes)`.
    """
    try:
        with open(path, newline="", encoding=ENCODING) as source:
            reader = _reader(source)
            header = [name.strip() for name in next(reader, [])]
            line = reader.line_num + 1
            for row in reader:
                sizes = [len(field.encode()) for field in row]
                if sum(sizes) + len(row) > limit:
                    largest = max(range(len(row)), key=sizes.__getitem__)
                    name = header[largest] if largest < len(header) else f"#{largest + 1}"
                    return (f"{line}: a row of {sum(sizes) + len(row)} bytes is larger than the "
                            f"reader's limit of {limit} bytes per row (column '{name}' holds "
                            f"{sizes[largest]} bytes)")
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None
