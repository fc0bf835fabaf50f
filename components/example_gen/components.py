"""CsvExampleGen, ParquetExampleGen and ImportExampleGen: files in, TFX-layout tf.Examples out."""

from __future__ import annotations

from typing import Any

from components.artifact_io import read_schema
from components.example_gen import csv_rows
from components.example_gen.driver import input_facts
from components.example_gen.ingestion import file_reader, ingest
from components.example_gen.spans import select_files
from components.example_gen.splits import DEFAULT_SPLITS
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import Examples, Schema


def _csv_reader(files: list[str], layout: csv_rows.CsvLayout, partition_feature: str | None) -> Any:
    def read(pipeline: Any) -> tuple[Any, Any]:
        import apache_beam as beam

        outputs = (pipeline
                   | "Files" >> beam.Create(files)
                   | "Reshuffle" >> beam.Reshuffle()
                   | "ParseCsv" >> beam.FlatMap(csv_rows.rows_of_file, layout, partition_feature)
                   .with_outputs(csv_rows.REJECTED, main="examples"))
        return outputs.examples, outputs[csv_rows.REJECTED]
    return read


def _csv_layout(files: list[str], schema: Schema | None) -> csv_rows.CsvLayout:
    columns = csv_rows.read_header(files[0])
    for path in files[1:]:
        other = csv_rows.read_header(path)
        if other != columns:
            raise csv_rows.BadInputFile(f"{path}:1: columns {other} differ from {files[0]}'s {columns}")
    kinds = (csv_rows.kinds_from_schema(read_schema(schema), columns) if schema is not None
             else csv_rows.infer_kinds(files[0], columns))
    return csv_rows.CsvLayout(columns, kinds)


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
                    schema: Input[Schema] = None):
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
        schema: Column types to use (default: inferred from the first 1,000 rows of the first file:
            integer, else float, else string).
    """
    selection = select_files(input_base, pattern, span, span_range)
    layout = _csv_layout(selection.files, schema)
    _check_partition_feature(partition_feature, layout.columns)
    ingest(examples, selection, _csv_reader(selection.files, layout, partition_feature), splits,
           tolerate_bad_rows, max_rejected_rows)


@component(name="ParquetExampleGen", driver=input_facts)
def parquet_example_gen(examples: Output[Examples], input_base: Parameter[str],
                        pattern: Parameter[str] = "*.parquet", span: Parameter[int | None] = None,
                        span_range: Parameter[list | tuple | None] = None,
                        splits: Parameter[dict] = DEFAULT_SPLITS,
                        partition_feature: Parameter[str | None] = None):
    """Reads Parquet files of one span (or a range) into split tf.Examples; nulls are missing.

    Takes the same span, split and partition arguments as CsvExampleGen.
    """
    from components.example_gen import parquet_rows

    selection = select_files(input_base, pattern, span, span_range)
    columns = parquet_rows.check_files(selection.files)
    _check_partition_feature(partition_feature, columns)
    ingest(examples, selection, file_reader(selection.files, parquet_rows.rows_of_file, partition_feature),
           splits, False, None)


@component(name="ImportExampleGen", driver=input_facts)
def import_example_gen(examples: Output[Examples], input_base: Parameter[str],
                       pattern: Parameter[str] = "*.tfrecord*", span: Parameter[int | None] = None,
                       span_range: Parameter[list | tuple | None] = None,
                       splits: Parameter[dict] = DEFAULT_SPLITS,
                       partition_feature: Parameter[str | None] = None):
    """Imports existing TFRecord files of tf.Examples (gzipped or not) into the standard layout.

    Records that are not tf.Examples fail the node, naming the file.
    """
    from components.example_gen import tfrecord_rows

    selection = select_files(input_base, pattern, span, span_range)
    ingest(examples, selection,
           file_reader(selection.files, tfrecord_rows.records_of_file, partition_feature), splits,
           False, None)


CsvExampleGen = csv_example_gen
ParquetExampleGen = parquet_example_gen
ImportExampleGen = import_example_gen
