"""The shared half of every ExampleGen: split, write, count, and account for rejected rows."""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from components.beam import new_pipeline
from components.example_gen.spans import SpanSelection
from components.example_gen.splits import check_splits, write_splits
from pipelines.artifacts import Examples
from pipelines.runner import current_execution

REJECTED_DIR = "Rejected"

# Builds the reading part of a Beam pipeline: returns (good (key, example) pairs, rejected JSON rows).
RowReader = Callable[[Any], tuple[Any, Any]]


def ingest(examples: Examples, selection: SpanSelection, read_rows: RowReader,
           splits: Mapping[str, int], tolerate_bad_rows: bool, max_rejected_rows: int | None) -> None:
    """Runs the Beam pipeline and records spans, splits and row counts on the artifact.

    Raises:
        ValueError: a row was rejected and bad rows are not tolerated (or more than
            `max_rejected_rows` were); the message names the file, line and reason.
    """
    import apache_beam as beam

    check_splits(splits)
    rejected_dir = (examples.path(REJECTED_DIR) if tolerate_bad_rows
                    else os.path.join(current_execution().temp_dir, REJECTED_DIR))
    pipeline = new_pipeline()
    good, rejected = read_rows(pipeline)
    write_splits(good, splits, examples.uri)
    _ = rejected | "WriteRejected" >> beam.io.WriteToText(
        os.path.join(rejected_dir, "rejected"), file_name_suffix=".jsonl")
    result = pipeline.run()
    result.wait_until_finish()
    counts = _counters(result)
    rows_rejected = counts.get("rows_rejected", 0)
    over_limit = max_rejected_rows is not None and rows_rejected > max_rejected_rows
    if rows_rejected and (not tolerate_bad_rows or over_limit):
        first = _first_rejection(rejected_dir)
        prefix = (f"{rows_rejected} rows rejected, more than max_rejected_rows={max_rejected_rows}; "
                  "first: " if tolerate_bad_rows else "")
        raise ValueError(f"{prefix}{first['file']}:{first['line']}: {first['reason']}")
    examples.span = selection.span
    if selection.version is not None:
        examples.version = selection.version
    examples.split_names = list(splits)
    examples.properties.update(
        spans=selection.spans, input_files=len(selection.files), rows_read=counts.get("rows_read", 0),
        rows_rejected=rows_rejected,
        rows_written=sum(counts.get(f"rows_{name}", 0) for name in splits),
        **{f"rows_{name}": counts.get(f"rows_{name}", 0) for name in splits})


def file_reader(files: list[str], rows_of_file: Callable[..., Any], *args: Any) -> RowReader:
    """A reading step that fans files out and turns each into (key, example) pairs; no rejections."""
    def read(pipeline: Any) -> tuple[Any, Any]:
        import apache_beam as beam

        good = (pipeline
                | "Files" >> beam.Create(files)
                | "Reshuffle" >> beam.Reshuffle()
                | "ReadFiles" >> beam.FlatMap(rows_of_file, *args))
        return good, pipeline | "NoRejections" >> beam.Create([])
    return read


def _counters(result: Any) -> dict[str, int]:
    from apache_beam.metrics.metric import MetricsFilter

    query = result.metrics().query(MetricsFilter().with_namespace("example_gen"))
    totals: dict[str, int] = {}
    for counter in query["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + int(value or 0)
    return totals


def _first_rejection(rejected_dir: str) -> dict[str, Any]:
    rows = []
    for path in glob.glob(os.path.join(rejected_dir, "rejected*.jsonl")):
        with open(path) as source:
            rows.extend(json.loads(line) for line in source if line.strip())
    return min(rows, key=lambda r: (r["file"], r["line"]))
