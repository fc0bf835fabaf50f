"""Transform on the DirectRunner without per-record Beam I/O, for examples that fit in memory.

TFT's Beam path reads every split record by record through TFXIO's Beam source and writes the
transformed split record by record through `WriteToTFRecord`; at a million rows those two steps
took most of Transform's time, not TFT's analysis. Here:

- analysis still runs on Beam (TFT's analyzers are Beam transforms), fed record batches of
  `BATCH_ROWS` rows that a Beam step reads from the files directly, through a `DecodedCache`
  (`components.decoded_cache`), since decoding tf.Examples (about 8 us a row) is the largest
  cost left: the shared one, which usually holds the rows ExampleGen kept for these very files
  (or StatisticsGen's decoded batches), or, when it is turned off, one in the execution's
  scratch directory;
- each split is then transformed outside Beam by TFT's own per-batch code (the DoFn and the
  tensors-to-Arrow conversion `TransformDataset` runs), one record batch at a time (from the
  same cache: an analyzed split's batches are there since analysis), encoded by tfx-bsl's
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from components.artifact_io import EXAMPLES_FILE_PREFIX
from components.beam import new_pipeline
from components.decoded_cache import DecodedCache, shared_cache, split_batches
from components.tfrecord_batches import BATCH_ROWS, matching_files, write_records

OUTPUT_FILE = f"{EXAMPLES_FILE_PREFIX}-00000-of-00001.gz"
DECODED_DIR = "decoded"


def decoded_cache(temp_dir: str) -> DecodedCache:
    """The shared decoded-examples cache, or one in the execution's scratch space when it is off."""
    return shared_cache() or DecodedCache(os.path.join(temp_dir, DECODED_DIR), max_bytes=2**62)


def analyze(preprocessing_fn: Callable, schema: Any, adapter: Any, file_patterns: Mapping[str, str],
            graph_dir: str, temp_dir: str, cache: DecodedCache) -> None:
    """Runs TFT's analysis of the splits' examples on Beam and writes the transform graph to `graph_dir`.

    Args:
        preprocessing_fn: The user's function.
        schema: The raw examples' schema.
        adapter: Their TensorAdapterConfig.
        file_patterns: Split name -> its files' pattern, for the splits to analyze.
        graph_dir: Where the transform graph goes.
        temp_dir: TFT's scratch space.
        cache: Where the files' decoded batches are read from, or kept for the transform step.
    """
    import apache_beam as beam
    import tensorflow_transform.beam as tft_beam

    files = [path for pattern in file_patterns.values() for path in matching_files(pattern)]
    with new_pipeline() as pipeline, tft_beam.Context(temp_dir=temp_dir):
        batches = (pipeline
                   | "Files" >> beam.Create(files)
                   | "Read" >> beam.FlatMap(cache.batches, schema, BATCH_ROWS))
        transform_fn = (batches, adapter) | "Analyze" >> tft_beam.AnalyzeDataset(preprocessing_fn)
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(graph_dir)


def raw_batches(file_pattern: str, schema: Any, cache: DecodedCache, analyzed: bool) -> Iterator[Any]:
    """A split's raw record batches in file order: an analyzed split's file by file, as analysis read them."""
    paths = matching_files(file_pattern)
    if analyzed:
        for path in paths:
            yield from cache.batches(path, schema, BATCH_ROWS)
    else:
        yield from split_batches(paths, schema, cache, BATCH_ROWS)


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
