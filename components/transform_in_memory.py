"""Transform on the DirectRunner without per-record Beam I/O, for examples that fit in memory.

TFT's Beam path reads every split record by record through TFXIO's Beam source and writes the
transformed split record by record through `WriteToTFRecord`; at a million rows those two steps
took most of Transform's time, not TFT's analysis. Here:

- analysis still runs on Beam (TFT's analyzers are Beam transforms), fed record batches of
  `BATCH_ROWS` rows that a Beam step decodes from the files directly; that step also keeps the
  decoded batches as Arrow IPC files in the execution's scratch directory, since decoding
  tf.Examples (about 8 us a row) is the largest cost left;
- each split is then transformed outside Beam by TFT's own per-batch code (the DoFn and the
  tensors-to-Arrow conversion `TransformDataset` runs), one record batch at a time (an analyzed
  split's from those copies, others decoded afresh), encoded by tfx-bsl's
  `RecordBatchToExamples` and written as one gzipped TFRecord file per split, in the order of
  the input records.

The transformed tf.Examples hold the features the Beam path writes, in the order of the input
records (the Beam path's order follows its bundles), and the vocabularies are the same files
(`tests/components/test_transform_in_memory.py`). Two things are not bit for bit: floats that come
from numeric analyzers (a mean, a variance) may differ in the last place, because TFT sums each
input batch in float32 and the Beam path's batch sizes are Beam's adaptive choice; and the order
in which features serialize inside a tf.Example, which in the Beam path varies from process to
process and here is sorted by name, so the same input always gives the same bytes. Transform takes
this path under the conditions StatisticsGen's in-memory path has (`fits_in_memory`: the splits
it reads total at most `in_memory_limit_bytes` on disk and Beam runs in this process); otherwise,
or on a cluster runner, TFT's Beam path (`components.transform`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from components.artifact_io import EXAMPLES_FILE_PREFIX
from components.beam import new_pipeline
from components.tfrecord_batches import BATCH_ROWS, matching_files, record_batches, write_records

OUTPUT_FILE = f"{EXAMPLES_FILE_PREFIX}-00000-of-00001.gz"
DECODED_DIR = "decoded"


def analyze(preprocessing_fn: Callable, schema: Any, adapter: Any, file_patterns: Mapping[str, str],
            graph_dir: str, temp_dir: str) -> dict[str, list[str]]:
    """Runs TFT's analysis of the splits' examples on Beam and writes the transform graph to `graph_dir`.

    Args:
        preprocessing_fn: The user's function.
        schema: The raw examples' schema.
        adapter: Their TensorAdapterConfig.
        file_patterns: Split name -> its files' pattern, for the splits to analyze.
        graph_dir: Where the transform graph goes.
        temp_dir: Scratch space: TFT's, and the decoded copies of the analyzed files.

    Returns:
        Split name -> the decoded copies of its files (Arrow IPC streams), in file order: the
        transform step reads them instead of decoding the files a second time.
    """
    import apache_beam as beam
    import tensorflow_transform.beam as tft_beam

    files: list[tuple[str, str]] = []  # (TFRecord file, its decoded copy)
    copies: dict[str, list[str]] = {}
    for split, pattern in file_patterns.items():
        _make_dirs(os.path.join(temp_dir, DECODED_DIR, split))
        paths = matching_files(pattern)
        copies[split] = [os.path.join(temp_dir, DECODED_DIR, split, f"{index:05d}.arrow")
                         for index in range(len(paths))]
        files += zip(paths, copies[split], strict=True)
    with new_pipeline() as pipeline, tft_beam.Context(temp_dir=temp_dir):
        batches = (pipeline
                   | "Files" >> beam.Create(files)
                   | "Read" >> beam.FlatMap(_decoded_keeping_copy, schema, adapter.arrow_schema))
        transform_fn = (batches, adapter) | "Analyze" >> tft_beam.AnalyzeDataset(preprocessing_fn)
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(graph_dir)
    return copies


def _make_dirs(path: str) -> None:
    from apache_beam.io.filesystems import FileSystems

    if not FileSystems.exists(path):
        FileSystems.mkdirs(path)


def _decoded_keeping_copy(file: tuple[str, str], schema: Any, arrow_schema: Any) -> Iterator[Any]:
    """Yields a file's record batches, writing them to its copy as an Arrow IPC stream.

    `file` is (TFRecord path, copy path); the copy is renamed into place once whole.
    """
    import pyarrow as pa
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    path, copy = file
    partial = f"{copy}.partial"
    with FileSystems.create(partial, compression_type=CompressionTypes.UNCOMPRESSED) as sink, \
            pa.ipc.new_stream(sink, arrow_schema) as writer:
        for batch in record_batches([path], schema, BATCH_ROWS):
            writer.write_batch(batch)
            yield batch
    FileSystems.rename([partial], [copy])


def raw_batches(file_pattern: str, schema: Any, copies: Sequence[str] | None) -> Iterator[Any]:
    """A split's raw record batches in file order: from its decoded copies when analysis made them."""
    import pyarrow as pa
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    if copies is None:
        yield from record_batches(matching_files(file_pattern), schema, BATCH_ROWS)
        return
    for copy in copies:
        with FileSystems.open(copy, compression_type=CompressionTypes.UNCOMPRESSED) as source:
            yield from pa.ipc.open_stream(source)


class BatchTransformer:
    """Applies a written transform graph to raw record batches, as TFT's `TransformDataset` does.

    It drives TFT's own per-batch pieces (`_RunMetaGraphDoFn`, `_convert_to_record_batch`,
    `make_tensor_to_arrow_converter`) outside a Beam pipeline, so outputs match the Beam path's.
    They are private names of the TFT version pinned in the lock; the equality test catches a
    change.

    Example:
        >>> transformer = BatchTransformer(graph_dir, adapter)  # doctest: +SKIP
        >>> examples = transformer.examples(raw_batch)  # serialized transformed tf.Examples
    """

    def __init__(self, graph_dir: str, adapter: Any) -> None:
        import tensorflow_transform as tft
        import tensorflow_transform.beam as tft_beam
        from apache_beam.utils import shared
        from tensorflow_transform import impl_helper
        from tensorflow_transform.beam import impl as tft_impl

        output = tft.TFTransformOutput(graph_dir)
        self._adapter = adapter
        self._model_dir = output.transform_savedmodel_dir
        self._converter = impl_helper.make_tensor_to_arrow_converter(output.transformed_metadata.schema)
        self._run_graph = tft_impl._RunMetaGraphDoFn(
            tf_config=None, shared_graph_state_handle=shared.Shared(), passthrough_keys=set(),
            use_tf_compat_v1=tft_beam.Context.get_use_tf_compat_v1(), input_tensor_adapter_config=adapter)
        self._run_graph.setup()
        self._to_record_batches = tft_impl._convert_to_record_batch

    def examples(self, batch: Any) -> list[bytes]:
        """The serialized transformed tf.Examples of one raw record batch, in its row order."""
        from tfx_bsl.coders import example_coder

        [tensors] = self._run_graph.process(batch, self._model_dir)
        records: list[bytes] = []
        for transformed, _ in self._to_record_batches(tensors, self._converter, set(), self._adapter):
            records.extend(example_coder.RecordBatchToExamples(_columns_by_name(transformed)))
        return records


def _columns_by_name(batch: Any) -> Any:
    """The batch with its columns sorted by name, so each tf.Example's features serialize in one order.

    TFT orders its output columns as a Python set of names iterates, which varies between
    processes; the Beam path's bytes for the same features vary with it.
    """
    import pyarrow as pa

    names = sorted(batch.schema.names)
    return pa.RecordBatch.from_arrays([batch.column(batch.schema.get_field_index(name)) for name in names],
                                      names=names)


def transform_split(transformer: BatchTransformer, batches: Iterable[Any], output_dir: str) -> int:
    """Transforms a split's raw record batches into `output_dir`/OUTPUT_FILE, in order; returns the rows."""
    return write_records(os.path.join(output_dir, OUTPUT_FILE),
                         (transformer.examples(batch) for batch in batches))
