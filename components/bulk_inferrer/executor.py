"""BulkInferrer: a model's predictions over chosen splits of Examples, on Beam with tfx-bsl's RunInference.

Two forms, as in TFX: PredictionLog TFRecords (`InferenceResult`, `prediction_logs-*.gz`), or
with `output_example_spec`, Examples carrying the predictions as features. A model whose
ModelBlessing is NOT_BLESSED is refused, as TFX does: nothing is inferred, the result records
why (`inferred=0`, `refused`), and the run goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from components.artifact_io import examples_files, split_names
from components.beam import new_pipeline
from components.bulk_inferrer.output_examples import example_with_predictions, output_columns
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import SERVING_MODEL_DIR, Artifact, Examples, InferenceResult, Model, ModelBlessing
from pipelines.dsl.arguments import node_factory
from pipelines.dsl.node import Channel, Node

PREDICTION_LOGS_FILE = "prediction_logs"
EXAMPLES_FILE = "data_tfrecord"
Writer = Callable[[Any, list[str], dict[str, Any]], None]  # adds the writing steps to the pipeline


def _chosen_splits(examples: Examples, splits: list | None) -> list[str]:
    available = split_names(examples)
    chosen = list(splits) if splits else available
    missing = [split for split in chosen if split not in available]
    if missing:
        raise ValueError(f"BulkInferrer: examples {examples.id} have no split(s) {missing} "
                         f"(splits: {', '.join(available)})")
    return chosen


def _refusal(model: Model, model_blessing: ModelBlessing | None) -> str | None:
    if model_blessing is None or int(model_blessing.blessed or 0) == 1:
        return None
    return f"model {model.id} is NOT_BLESSED (ModelBlessing {model_blessing.id}); nothing inferred"


def _serving_dir(model: Model) -> str:
    path = model.path(SERVING_MODEL_DIR)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"BulkInferrer: Model artifact {model.id} has no {SERVING_MODEL_DIR}/ "
                                f"SavedModel under {model.uri}")
    return path


def _run_inference(model_dir: str, signature: str, examples: Examples, splits: list[str],
                   write: Writer) -> None:
    """One Beam pipeline: read each split, RunInference, hand each split's logs to `write`."""
    import apache_beam as beam
    import tensorflow as tf
    from tfx_bsl.public.beam import RunInference
    from tfx_bsl.public.proto import model_spec_pb2

    spec = model_spec_pb2.InferenceSpecType(saved_model_spec=model_spec_pb2.SavedModelSpec(
        model_path=model_dir, signature_name=[signature]))
    with new_pipeline() as pipeline:
        logs = {}
        for split in splits:
            files = examples_files(examples, split)
            logs[split] = (pipeline
                           | f"Files[{split}]" >> beam.Create(files)
                           | f"Read[{split}]" >> beam.io.ReadAllFromTFRecord(
                               coder=beam.coders.ProtoCoder(tf.train.Example))
                           | f"RunInference[{split}]" >> RunInference(spec))
        write(pipeline, splits, logs)


def _prediction_log_writer(result: Artifact) -> Writer:
    def write(pipeline: Any, splits: list[str], logs: dict[str, Any]) -> None:
        import apache_beam as beam
        from tensorflow_serving.apis import prediction_log_pb2

        _ = ([logs[split] for split in splits]
             | "Flatten" >> beam.Flatten()
             | "WritePredictionLogs" >> beam.io.WriteToTFRecord(
                 os.path.join(result.uri, PREDICTION_LOGS_FILE), file_name_suffix=".gz",
                 coder=beam.coders.ProtoCoder(prediction_log_pb2.PredictionLog)))
    return write


def _examples_writer(output: Examples, columns: dict[str, str]) -> Writer:
    def write(pipeline: Any, splits: list[str], logs: dict[str, Any]) -> None:
        import apache_beam as beam
        import tensorflow as tf

        for split in splits:
            os.makedirs(output.split_uri(split), exist_ok=True)
            _ = (logs[split]
                 | f"ToExample[{split}]" >> beam.Map(example_with_predictions, columns)
                 | f"WriteExamples[{split}]" >> beam.io.WriteToTFRecord(
                     os.path.join(output.split_uri(split), EXAMPLES_FILE), file_name_suffix=".gz",
                     coder=beam.coders.ProtoCoder(tf.train.Example)))
    return write


def _infer_unless_refused(model: Model, model_blessing: ModelBlessing | None, examples: Examples,
                          splits: list | None, signature_name: str, output: Artifact,
                          write: Writer) -> list[str] | None:
    """Runs inference unless the model is NOT_BLESSED; records `inferred` (and why not) on `output`.

    Returns:
        The splits inferred, or None when refused.
    """
    refused = _refusal(model, model_blessing)
    output.properties["inferred"] = 0 if refused else 1
    if refused:
        output.properties["refused"] = refused
        return None
    chosen = _chosen_splits(examples, splits)
    _run_inference(_serving_dir(model), signature_name, examples, chosen, write)
    return chosen


@component(name="BulkInferrer")
def bulk_inferrer(examples: Input[Examples], model: Input[Model], inference_result: Output[InferenceResult],
                  model_blessing: Input[ModelBlessing] | None = None, splits: Parameter[list | None] = None,
                  signature_name: Parameter[str] = "serving_default") -> None:
    """Writes the model's PredictionLogs for the chosen splits (all when none are chosen).

    Raises:
        ValueError: a chosen split does not exist.
        FileNotFoundError: the model has no serving SavedModel.
    """
    chosen = _infer_unless_refused(model, model_blessing, examples, splits, signature_name, inference_result,
                                   _prediction_log_writer(inference_result))
    if chosen:
        inference_result.properties["split_names"] = ",".join(chosen)


@component(name="BulkInferrerExamples")
def bulk_inferrer_examples(examples: Input[Examples], model: Input[Model], output_examples: Output[Examples],
                           output_example_spec: Parameter[dict],
                           model_blessing: Input[ModelBlessing] | None = None,
                           splits: Parameter[list | None] = None,
                           signature_name: Parameter[str] = "serving_default") -> None:
    """Writes the chosen splits again with the model's predictions added as features.

    Raises:
        OutputExampleSpecError: the spec is malformed.
        ValueError: a chosen split does not exist.
    """
    writer = _examples_writer(output_examples, output_columns(output_example_spec))
    chosen = _infer_unless_refused(model, model_blessing, examples, splits, signature_name, output_examples,
                                   writer)
    if chosen:
        output_examples.split_names = chosen


@node_factory(bulk_inferrer)
def BulkInferrer(examples: Channel, model: Channel, model_blessing: Channel | None = None,
                 splits: list[str] | None = None, output_example_spec: dict | None = None,
                 signature_name: str = "serving_default") -> Node:
    """A BulkInferrer node: `outputs["inference_result"]`, or `outputs["output_examples"]` with a spec.

    Example:
        >>> infer = BulkInferrer(examples=gen.outputs["examples"],  # doctest: +SKIP
        ...                      model=trainer.outputs["model"],
        ...                      model_blessing=evaluator.outputs["blessing"], splits=["eval"])
    """
    if output_example_spec is not None:
        output_columns(output_example_spec)  # a malformed spec fails when the pipeline is built
        return bulk_inferrer_examples(examples=examples, model=model, model_blessing=model_blessing,
                                      splits=splits, output_example_spec=output_example_spec,
                                      signature_name=signature_name)
    return bulk_inferrer(examples=examples, model=model, model_blessing=model_blessing, splits=splits,
                         signature_name=signature_name)
