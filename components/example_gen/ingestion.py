"""The shared half of every ExampleGen: split, write, count, and account for rejected rows.

The work is one step per input file (read in Arrow record batches, hash each row to its split,
write that file's shards) plus, for formats that need it, a step over all files computing what
reading needs, such as CSV column types. On a cluster runner, or when the pipeline's Beam
arguments ask the DirectRunner for several workers, it is a Beam pipeline (the files read in
parallel); otherwise the same per-file function runs on each file in this process, which is what
the DirectRunner would do, without its seconds of start-up and per-element overhead. Both write
the same shards with the same records (`tests/components/test_example_gen_in_process.py`).
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from components.beam import beam_args, new_pipeline
from components.example_gen.counters import NAMESPACE, ROWS_REJECTED, count, tallied
from components.example_gen.spans import SpanSelection
from components.example_gen.splits import SplitWriter, canonical_keys, check_splits
from pipelines.artifacts import Examples
from pipelines.runner import current_execution

if TYPE_CHECKING:
    from components.decoded_cache import DecodedCache

REJECTED = "rejected"
REJECTED_DIR = "Rejected"
REJECTED_SUFFIX = ".jsonl"
_NAMED_FILES = 5


def no_arguments(files: Any) -> tuple:
    """A format whose reader needs nothing beyond the file path."""
    return ()


@dataclasses.dataclass(frozen=True)
class FileFormat:
    """How an ExampleGen reads one file.

    Attributes:
        read_chunks: `(path, *arguments)` -> yields `(serialized tf.Examples, Arrow RecordBatch)`
            chunks and `TaggedOutput(REJECTED, json)` for bad rows; counts `rows_read`.
        arguments: Given the PCollection of file paths, the extra arguments of `read_chunks`
            (constants or Beam side inputs).
        local_arguments: Given the list of file paths, the same arguments computed in this
            process.
        rows_are_records: Each chunk's RecordBatch is, row for row, what its records encode
            (the records are `RecordBatchToExamples` of it): the shards' rows may then be kept
            in the decoded-examples cache (`components.decoded_cache.DecodedCache`) when
            reading in process.
    """

    read_chunks: Callable[..., Iterator[Any]]
    arguments: Callable[[Any], tuple] = no_arguments
    local_arguments: Callable[[list[str]], tuple] = no_arguments
    rows_are_records: bool = False


@dataclasses.dataclass(frozen=True)
class IngestOptions:
    """The split and strictness choices every ExampleGen shares."""

    splits: Mapping[str, int]
    partition_feature: str | None = None
    tolerate_bad_rows: bool = False
    max_rejected_rows: int | None = None
    allow_empty: bool = False


def split_file(indexed_path: tuple[int, str], read_chunks: Callable[..., Iterator[Any]],
               examples_uri: str, file_count: int, options: IngestOptions, *arguments: Any,
               cache: DecodedCache | None = None) -> Iterator[Any]:
    """Reads one file and writes its rows to their splits' shards; passes rejections on.

    With a `cache`, the chunks' RecordBatches must be the rows their records encode: they are
    kept there as the shards' source entries (`SplitWriter`), given up if reading fails.
    """
    from apache_beam import pvalue

    index, path = indexed_path
    writer = SplitWriter(examples_uri, options.splits, index, file_count, cache)
    whole = False
    try:
        for chunk in read_chunks(path, *arguments):
            if isinstance(chunk, pvalue.TaggedOutput):
                count(ROWS_REJECTED)
                yield chunk
                continue
            records, batch = chunk
            writer.write(records, canonical_keys(batch, options.partition_feature), batch)
        whole = True
    finally:
        written = writer.close(keep_rows=whole)
    for split, rows in written.items():
        count(f"rows_{split}", rows)


def reads_in_process(args: Sequence[str]) -> bool:
    """True when Beam would run on this process alone: a local runner with one worker."""
    from components.beam import is_remote

    several_workers = any(arg.startswith(("--direct_num_workers", "--direct_running_mode")) for arg in args)
    return not is_remote(args) and not several_workers


def _ingest_in_process(examples: Examples, selection: SpanSelection, file_format: FileFormat,
                       options: IngestOptions, rejected_dir: str) -> dict[str, int]:
    """Each file through `split_file` here; rejections written as Beam's WriteToText writes them."""
    from components.decoded_cache import shared_cache

    arguments = file_format.local_arguments(list(selection.files))
    cache = shared_cache() if file_format.rows_are_records else None
    rejected: list[str] = []
    with tallied() as counts:
        for indexed_path in enumerate(selection.files):
            tagged = split_file(indexed_path, file_format.read_chunks, examples.uri, len(selection.files),
                                options, *arguments, cache=cache)
            rejected += [rejection.value for rejection in tagged]
    os.makedirs(rejected_dir, exist_ok=True)
    with open(os.path.join(rejected_dir, f"rejected-00000-of-00001{REJECTED_SUFFIX}"), "w") as file:
        file.writelines(f"{line}\n" for line in rejected)
    return counts


def _ingest_on_beam(examples: Examples, selection: SpanSelection, file_format: FileFormat,
                    options: IngestOptions, rejected_dir: str) -> dict[str, int]:
    import apache_beam as beam
    from apache_beam.typehints.decorators import no_annotations

    pipeline = new_pipeline()
    files = pipeline | "Files" >> beam.Create(list(enumerate(selection.files)))
    arguments = file_format.arguments(files | "Paths" >> beam.Map(lambda indexed: indexed[1]))
    per_file = no_annotations(split_file)  # Beam would check the side inputs against `*arguments: Any`
    outputs = (files
               | "Reshuffle" >> beam.Reshuffle()
               | "ReadSplitWrite" >> beam.FlatMap(per_file, file_format.read_chunks, examples.uri,
                                                  len(selection.files), options, *arguments)
               .with_outputs(REJECTED, main="written"))
    _ = outputs[REJECTED] | "WriteRejected" >> beam.io.WriteToText(
        os.path.join(rejected_dir, "rejected"), file_name_suffix=REJECTED_SUFFIX)
    result = pipeline.run()
    result.wait_until_finish()
    return _counters(result)


def ingest(examples: Examples, selection: SpanSelection, file_format: FileFormat,
           options: IngestOptions, in_process: bool | None = None) -> None:
    """Reads, splits and writes the files; records spans, splits and row counts on the artifact.

    `in_process` None: in this process when `reads_in_process(beam_args())`, else on Beam.

    Raises:
        ValueError: a row was rejected and bad rows are not tolerated (or more than
            `max_rejected_rows` were), naming the file, line and reason; or the span has no data
            rows and `allow_empty` is off, naming the files.
    """
    check_splits(options.splits)
    rejected_dir = (examples.path(REJECTED_DIR) if options.tolerate_bad_rows
                    else os.path.join(current_execution().temp_dir, REJECTED_DIR))
    if in_process is None:
        in_process = reads_in_process(beam_args())
    run = _ingest_in_process if in_process else _ingest_on_beam
    counts = run(examples, selection, file_format, options, rejected_dir)
    _check_outcome(counts, options, rejected_dir, selection)
    _record(examples, selection, options, counts)


def _check_outcome(counts: dict[str, int], options: IngestOptions, rejected_dir: str,
                   selection: SpanSelection) -> None:
    rows_rejected = counts.get("rows_rejected", 0)
    over_limit = options.max_rejected_rows is not None and rows_rejected > options.max_rejected_rows
    if rows_rejected and (not options.tolerate_bad_rows or over_limit):
        first = _first_rejection(rejected_dir)
        prefix = (f"{rows_rejected} rows rejected, more than max_rejected_rows={options.max_rejected_rows}; "
                  "first: " if options.tolerate_bad_rows else "")
        raise ValueError(f"{prefix}{first['file']}:{first['line']}: {first['reason']}")
    if not counts.get("rows_read") and not options.allow_empty:
        named = ", ".join(selection.files[:_NAMED_FILES])
        more = len(selection.files) - _NAMED_FILES
        raise ValueError(f"span {selection.span} has no data rows: {named}"
                         + (f" and {more} more files" if more > 0 else "")
                         + " (pass allow_empty=True to accept an empty span)")


def _record(examples: Examples, selection: SpanSelection, options: IngestOptions,
            counts: dict[str, int]) -> None:
    examples.span = selection.span
    if selection.version is not None:
        examples.version = selection.version
    examples.split_names = list(options.splits)
    examples.properties.update(
        spans=selection.spans, input_files=len(selection.files), rows_read=counts.get("rows_read", 0),
        rows_rejected=counts.get("rows_rejected", 0),
        rows_written=sum(counts.get(f"rows_{name}", 0) for name in options.splits),
        **{f"rows_{name}": counts.get(f"rows_{name}", 0) for name in options.splits})


def _counters(result: Any) -> dict[str, int]:
    from apache_beam.metrics.metric import MetricsFilter

    query = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))
    totals: dict[str, int] = {}
    for counter in query["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + int(value or 0)
    return totals


def _first_rejection(rejected_dir: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for path in glob.glob(os.path.join(rejected_dir, f"rejected*{REJECTED_SUFFIX}")):
        with open(path) as source:
            rows.extend(json.loads(line) for line in source if line.strip())
    return min(rows, key=lambda r: (r["file"], r["line"]))


def rejection(path: str, line: int, reason: str, row: Any) -> Any:
    """A rejected row, tagged for the Rejected/ output."""
    from apache_beam import pvalue

    return pvalue.TaggedOutput(REJECTED, json.dumps({"file": path, "line": line, "reason": reason,
                                                     "row": row}))
