"""CsvExampleGen, ParquetExampleGen and ImportExampleGen: files in, TFX-layout tf.Examples out."""

from __future__ import annotations

from typing import Any

from components.artifact_io import schema_path
from components.example_gen import csv_rows
from components.example_gen.contract import load_schema_file
from components.example_gen.driver import input_facts
from components.example_gen.ingestion import FileFormat, IngestOptions, ingest
from components.example_gen.spans import select_readable_files
from components.example_gen.splits import DEFAULT_SPLITS
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import Examples, Schema


def _csv_columns(files: list[str]) -> list[str]:
    columns = csv_rows.read_header(files[0])
    for path in files[1:]:
        other = csv_rows.read_header(path)
        if other != columns:
            raise csv_rows.BadInputFile(f"{path}:1: columns {other} differ from {files[0]}'s {columns}")
    return columns


def _inferred_layout(columns: list[str]) -> Any:
    """Beam steps typing every column over the whole input; the layout as a side input."""
    def arguments(paths: Any) -> tuple:
        import apache_beam as beam

        layout = (paths
                  | "CountValues" >> beam.Map(csv_rows.value_counts_of_file, columns)
                  | "SumCounts" >> beam.CombineGlobally(csv_rows.sum_counts)
                  | "Layout" >> beam.Map(csv_rows.layout_from_counts, columns))
        return (beam.pvalue.AsSingleton(layout),)
    return arguments


def _inferred_layout_here(columns: list[str]) -> Any:
    """The same typing of every column over the whole input, computed in this process."""
    def local_arguments(paths: list[str]) -> tuple:
        counts = csv_rows.sum_counts([csv_rows.value_counts_of_file(path, columns) for path in paths])
        return (csv_rows.layout_from_counts(counts, columns),)
    return local_arguments


def _csv_format(columns: list[str], schema: Schema | None, first_file: str) -> FileFormat:
    if schema is None:
        return FileFormat(csv_rows.read_chunks, _inferred_layout(columns), _inferred_layout_here(columns),
                          rows_are_records=True)
    layout = csv_rows.layout_from_schema(load_schema_file(schema_path(schema)), columns, first_file)
    return FileFormat(csv_rows.read_chunks, lambda _paths: (layout,), lambda _paths: (layout,),
                      rows_are_records=True)


def _check_partition_feature(partition_feature: str | None, columns: list[str]) -> None:
    if partition_feature is not None and partition_feature not in columns:
        raise ValueError(f"partition_feature '{partition_feature}' is not a column "
                         f"(columns: {', '.join(columns)})")


@component(name="CsvExampleGen", driver=input_facts)
def csv_example_gen(examples: Output[Examples], input_base: Parameter[str],
                    pattern: Parameter[str] = "*.csv", span: Parameter[int | None] = None,
                    span_range: Parameter[list | tuple | None] = None,
                    splits: Parameter[dict] = DEFAULT_SPLITS,
                    partition_feature: Parameter[str | None] = None,
                    tolerate_bad_rows: Parameter[bool] = False,
                    max_rejected_rows: Parameter[int | None] = None,
                    allow_empty: Parameter[bool] = False, schema: Input[Schema] | None = None) -> None:
    """Reads CSV files (with a header row) of one span, or a range, into split tf.Examples.

    Args:
        examples: Gzipped tf.Example TFRecords in `Split-<name>/`, with span, version,
            split_names and the counts rows_read, rows_written, rows_<split>, rows_rejected.
        input_base: The directory the pattern is relative to.
        pattern: Files to read, e.g. `day-{SPAN}/*.csv` or `{YYYY}-{MM}-{DD}/*.csv` (span =
            YYYYMMDD), optionally with `{VERSION}`.
        span: A span to read (default: the latest).
        span_range: `[first, last]` spans to read together (inclusive).
        splits: Split names and weights; rows go to splits by a stable hash.
        partition_feature: Hash this column instead of the whole row, so all rows sharing a value
            (e.g. a user id) land in the same split.
        tolerate_bad_rows: Write rejected rows with their reason to `Rejected/` and go on
            (default: fail on the first bad row, naming its file and line).
        max_rejected_rows: With tolerance on, fail anyway beyond this many rejected rows.
        allow_empty: Accept a span with no data rows (default: fail, naming the files).
        schema: The curated schema, a contract every row is checked against: its column's type;
            a value in every row where presence min_fraction is 1 (and the column present where
            it is required); int_domain / float_domain bounds; string domains; no NaN or
            infinity in a bounded float (or with disallow_nan / disallow_inf). Default: types
            inferred over the whole input: integer, else float, else string; a column that is
            numeric but for under 1% of its values is numeric, and those rows are bad; an integer
            too large for 64 bits is a bad row, never a float.

    Raises:
        ValueError: a bad row (naming file:line, column and value) unless tolerated, or no rows;
            a column the schema requires is missing; the schema file is empty or unparsable.
    """
    selection = select_readable_files(input_base, pattern, span, span_range)
    columns = _csv_columns(selection.files)
    _check_partition_feature(partition_feature, columns)
    ingest(examples, selection, _csv_format(columns, schema, selection.files[0]),
           IngestOptions(splits, partition_feature, tolerate_bad_rows, max_rejected_rows, allow_empty))


@component(name="ParquetExampleGen", driver=input_facts)
def parquet_example_gen(examples: Output[Examples], input_base: Parameter[str],
                        pattern: Parameter[str] = "*.parquet", span: Parameter[int | None] = None,
                        span_range: Parameter[list | tuple | None] = None,
                        splits: Parameter[dict] = DEFAULT_SPLITS,
                        partition_feature: Parameter[str | None] = None,
                        allow_empty: Parameter[bool] = False) -> None:
    """Reads Parquet files of one span (or a range) into split tf.Examples; nulls are missing.

    Takes the same span, split, partition and allow_empty arguments as CsvExampleGen; a row
    lands in the same split as the same row read from CSV or TFRecord.
    """
    from components.example_gen import parquet_rows

    selection = select_readable_files(input_base, pattern, span, span_range)
    columns = parquet_rows.check_files(selection.files)
    _check_partition_feature(partition_feature, columns)
    ingest(examples, selection, FileFormat(parquet_rows.read_chunks, rows_are_records=True),
           IngestOptions(splits, partition_feature, allow_empty=allow_empty))


@component(name="ImportExampleGen", driver=input_facts)
def import_example_gen(examples: Output[Examples], input_base: Parameter[str],
                       pattern: Parameter[str] = "*.tfrecord*", span: Parameter[int | None] = None,
                       span_range: Parameter[list | tuple | None] = None,
                       splits: Parameter[dict] = DEFAULT_SPLITS,
                       partition_feature: Parameter[str | None] = None,
                       allow_empty: Parameter[bool] = False) -> None:
    """Imports existing TFRecord files of tf.Examples (gzipped or not) into the standard layout.

    Records that are not tf.Examples fail the node, naming the file.
    """
    from components.example_gen import tfrecord_rows

    selection = select_readable_files(input_base, pattern, span, span_range)
    ingest(examples, selection, FileFormat(tfrecord_rows.read_chunks),
           IngestOptions(splits, partition_feature, allow_empty=allow_empty))


CsvExampleGen = csv_example_gen
ParquetExampleGen = parquet_example_gen
ImportExampleGen = import_example_gen
