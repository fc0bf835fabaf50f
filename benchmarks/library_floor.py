"""The libraries alone doing each ctr node's work, in one warm process: the floor Starling is held to.

Each step reads what the Starling run before it wrote (its ExampleGen's examples, its Transform's
graph, its Trainer's model) and does that node's work with the plain library, the way a user
would write it by hand: imports are paid once, up front, and are not in any step's time.

    from benchmarks.library_floor import measure_floor
    times = measure_floor("/tmp/root", "templates/ctr", "/tmp/data/day-1/data.csv", "/tmp/floor")
"""

from __future__ import annotations

import glob
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

LABEL = "clicked"


def _one(pattern: str) -> str:
    """The single directory a Starling artifact pattern matches (the newest one)."""
    return sorted(glob.glob(pattern), key=lambda path: int(path.rstrip("/").rsplit("/", 1)[-1]))[-1]


def _read_schema(path: str) -> Any:
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    with open(path) as handle:
        return text_format.Parse(handle.read(), schema_pb2.Schema())


def _as_lists(batch: Any) -> Any:
    """Each column as a list column (a missing value: an empty list), as tf.Example encoding needs."""
    import numpy as np
    import pyarrow as pa

    columns = []
    for column in batch.columns:
        if pa.types.is_string(column.type):
            column = column.cast(pa.binary())
        elif pa.types.is_floating(column.type):
            column = column.cast(pa.float32())
        elif pa.types.is_integer(column.type) or pa.types.is_boolean(column.type):
            column = column.cast(pa.int64())
        valid = np.asarray(column.is_valid())
        offsets = pa.array(np.concatenate([[0], np.cumsum(valid)]).astype(np.int32))
        columns.append(pa.ListArray.from_arrays(offsets, column.filter(pa.array(valid))))
    return pa.RecordBatch.from_arrays(columns, batch.schema.names)


def example_gen(csv_file: str, out: str) -> None:
    """pyarrow reads the CSV; tfx-bsl encodes tf.Examples; two gzip TFRecord splits (2:1)."""
    import pyarrow.csv as pacsv
    import tensorflow as tf
    from tfx_bsl.coders import example_coder

    table = pacsv.read_csv(csv_file)
    splits = {"train": [], "eval": []}  # type: dict[str, list[bytes]]
    for batch in map(_as_lists, table.to_batches()):
        for index, record in enumerate(example_coder.RecordBatchToExamples(batch)):
            splits["eval" if index % 3 == 2 else "train"].append(record)
    for split, records in splits.items():
        os.makedirs(f"{out}/Split-{split}", exist_ok=True)
        with tf.io.TFRecordWriter(f"{out}/Split-{split}/data.gz", options="GZIP") as writer:
            for record in records:
                writer.write(record)


def statistics(examples: str, schema: Any) -> Any:
    """TFDV's in-memory generators over each split's examples decoded into one Arrow batch."""
    import tensorflow as tf
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.statistics import stats_impl
    from tensorflow_metadata.proto.v0 import statistics_pb2
    from tfx_bsl.coders import example_coder

    decoder = example_coder.ExamplesToRecordBatchDecoder(schema.SerializeToString())
    result = statistics_pb2.DatasetFeatureStatisticsList()
    for split in ("train", "eval"):
        files = glob.glob(f"{examples}/Split-{split}/*")
        records = [record.numpy() for record in tf.data.TFRecordDataset(files, compression_type="GZIP")]
        stats = stats_impl.generate_statistics_in_memory(decoder.DecodeBatch(records),
                                                         tfdv.StatsOptions(schema=schema))
        result.datasets.extend(stats.datasets)
    return result


def transform(examples: str, schema: Any, preprocessing_fn: Callable, out: str) -> None:
    """TFT analyzes train and transforms both splits on the DirectRunner; gzip TFRecords out."""
    import apache_beam as beam
    import tensorflow_transform.beam as tft_beam
    from tfx_bsl.coders import example_coder
    from tfx_bsl.public import tfxio

    def to_examples(batch_and_passthrough: Any) -> list[bytes]:
        return example_coder.RecordBatchToExamples(batch_and_passthrough[0])

    sources = {split: tfxio.TFExampleRecord(file_pattern=f"{examples}/Split-{split}/*", schema=schema)
               for split in ("train", "eval")}
    with beam.Pipeline() as pipeline, tft_beam.Context(temp_dir=f"{out}/tmp"):
        raw = {split: pipeline | f"Read[{split}]" >> source.BeamSource() for split, source in sources.items()}
        (train, _), transform_fn = ((raw["train"], sources["train"].TensorAdapterConfig())
                                    | tft_beam.AnalyzeAndTransformDataset(preprocessing_fn,
                                                                          output_record_batches=True))
        evaluation, _ = (((raw["eval"], sources["eval"].TensorAdapterConfig()), transform_fn)
                         | tft_beam.TransformDataset(output_record_batches=True))
        for split, data in (("train", train), ("eval", evaluation)):
            _ = (data | f"Encode[{split}]" >> beam.FlatMap(to_examples)
                 | f"Write[{split}]" >> beam.io.WriteToTFRecord(f"{out}/Split-{split}/data",
                                                                 file_name_suffix=".gz"))
        _ = transform_fn | tft_beam.WriteTransformFn(f"{out}/transform_graph")


def train(model_module: Any, transform_graph: str, transformed: str, out: str, steps: dict[str, int]) -> None:
    """The template's own `run_fn` with TFXIO datasets: a tf_keras fit and a SavedModel export."""
    from tfx_bsl.public import tfxio

    from components.trainer.training_setup import prepare_training

    prepare_training(0)  # the same AutoGraph rule Starling sets: the fast configuration of tf_keras

    def dataset_factory(files: list[str], options: Any, schema: Any) -> Any:
        return tfxio.TFExampleRecord(file_pattern=files, schema=schema).TensorFlowDataset(options)

    model_module.run_fn(SimpleNamespace(
        transform_output=transform_graph, hyperparameters={}, base_model=None,
        train_files=[f"{transformed}/Split-train/*"], eval_files=[f"{transformed}/Split-eval/*"],
        data_accessor=SimpleNamespace(tf_dataset_factory=dataset_factory),
        model_run_dir=f"{out}/model_run", serving_model_dir=f"{out}/model", **steps))


def evaluate(examples: str, model_dir: str, eval_config: Any, out: str) -> Any:
    """TFMA's `run_model_analysis` with the template's EvalConfig, no compiled-metric recomputation."""
    import tensorflow_model_analysis as tfma

    name = eval_config.model_specs[0].name
    shared = tfma.default_eval_shared_model(eval_saved_model_path=model_dir, eval_config=eval_config,
                                            model_name=name, include_default_metrics=False)
    return tfma.run_model_analysis(eval_shared_model=shared, eval_config=eval_config,
                                   data_location=f"{examples}/Split-eval/*", file_format="tfrecords",
                                   output_path=out)


def _eval_records(examples: str, limit: int | None = None) -> list[bytes]:
    import tensorflow as tf

    dataset = tf.data.TFRecordDataset(glob.glob(f"{examples}/Split-eval/*"), compression_type="GZIP")
    return [record.numpy() for record in (dataset.take(limit) if limit else dataset)]


def load_and_query(model_dir: str, examples: str) -> None:
    """Loads the SavedModel in this process and queries `serving_default` with a few examples."""
    import tensorflow as tf

    signature = tf.saved_model.load(model_dir).signatures["serving_default"]
    signature(examples=tf.constant(_eval_records(examples, 10)))


def infer(model_dir: str, examples: str) -> int:
    """Loads the SavedModel and scores the whole eval split in batches of 256."""
    import tensorflow as tf

    signature = tf.saved_model.load(model_dir).signatures["serving_default"]
    records = _eval_records(examples)
    for start in range(0, len(records), 256):
        signature(examples=tf.constant(records[start:start + 256]))
    return len(records)


def _defaults(function: Callable) -> dict[str, Any]:
    return {name: parameter.default for name, parameter in inspect.signature(function).parameters.items()}


def _inputs(root: str, ctr_dir: str) -> SimpleNamespace:
    """The template's modules and defaults, and what the Starling run wrote under `root`."""
    from components.evaluator.config import as_eval_config, fit_to_models

    sys.path.insert(0, ctr_dir)
    preprocessing, model_module, ctr_pipeline = (importlib.import_module(name)
                                                 for name in ("preprocessing", "model", "pipeline"))
    defaults = _defaults(ctr_pipeline.create_pipeline)
    config = fit_to_models(as_eval_config(ctr_pipeline.eval_config(
        **{key: defaults[key] for key in _defaults(ctr_pipeline.eval_config)})), has_baseline=False)
    return SimpleNamespace(
        preprocessing_fn=preprocessing.preprocessing_fn, model_module=model_module, eval_config=config,
        schema=_read_schema(_one(f"{root}/ImportSchemaGen/schema/*") + "/schema.pbtxt"),
        examples=_one(f"{root}/CsvExampleGen/examples/*"),
        transformed=_one(f"{root}/Transform/transformed_examples/*"),
        graph=_one(f"{root}/Transform/transform_graph/*"),
        model_dir=_one(f"{root}/Trainer/model/*") + "/Format-Serving",
        steps={"train_steps": defaults["train_steps"], "eval_steps": defaults["eval_steps"]})


def _work(given: SimpleNamespace, csv_file: str, out: str) -> dict[str, Callable[[], Any]]:
    """Each node's work for the library alone, writing under `out`."""
    return {
        "CsvExampleGen": lambda: example_gen(csv_file, f"{out}/examples"),
        "StatisticsGen": lambda: statistics(given.examples, given.schema),
        "Transform": lambda: transform(given.examples, given.schema, given.preprocessing_fn,
                                       f"{out}/transform"),
        "Trainer": lambda: train(given.model_module, given.graph, given.transformed, f"{out}/trainer",
                                 given.steps),
        "Evaluator": lambda: evaluate(given.examples, given.model_dir, given.eval_config,
                                      f"{out}/evaluation"),
        "InfraValidator": lambda: load_and_query(given.model_dir, given.examples),
        "BulkInferrer": lambda: infer(given.model_dir, given.examples),
    }


def measure_floor(root: str, ctr_dir: str, csv_file: str, out: str,
                  rounds: int = 2) -> dict[str, list[float]]:
    """Seconds per node for the library alone, one entry per round (`imports`: the one-off imports).

    The first round pays each library's first-use costs in the process (Beam's first pipeline,
    TensorFlow's first trace); later rounds are the warm floor.
    """
    started = time.perf_counter()
    import apache_beam  # noqa: F401
    import tensorflow_data_validation  # noqa: F401
    import tensorflow_model_analysis  # noqa: F401
    import tensorflow_transform.beam  # noqa: F401
    import tf_keras  # noqa: F401

    given = _inputs(root, ctr_dir)
    times = {"imports": [time.perf_counter() - started]}
    for round_index in range(rounds):
        for node, step in _work(given, csv_file, f"{out}/round-{round_index}").items():
            started = time.perf_counter()
            step()
            times.setdefault(node, []).append(time.perf_counter() - started)
    return times
