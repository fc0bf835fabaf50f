"""Transform: a user's preprocessing_fn analyzed over the training data with TFT on Beam.

The output TransformGraph is the TFTransformOutput directory (transform_fn/ and
transformed_metadata/) that the trained model embeds, so serving featurizes exactly as training did.
Examples that fit in memory on a local runner take `components.transform_in_memory`'s path (TFT's
analysis on Beam, reading and writing in large batches outside it); others TFT's Beam path here.
Both write the same transformed tf.Examples and the same graph.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from components.artifact_io import EXAMPLES_FILE_PREFIX, examples_file_pattern, read_schema, split_names
from components.beam import ByValueFunction, beam_args, new_pipeline
from components.statistics_in_memory import IN_MEMORY_LIMIT_BYTES, fits_in_memory
from components.user_code import load_function
from pipelines import Input, Output, Parameter, UserModule, component, current_execution
from pipelines.artifacts import Examples, Schema, TransformGraph
from pipelines.dsl.arguments import node_factory
from pipelines.dsl.module_reference import bind_to_project
from pipelines.dsl.node import Channel, Node


class FeatureInputs(dict):
    """The dict handed to preprocessing_fn; a missing feature's KeyError names it and the schema's."""

    def __missing__(self, name: str) -> Any:
        known = ", ".join(sorted(self))
        raise KeyError(f"feature '{name}' is not in the schema (features: {known})")


def _guarded(preprocessing_fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
    def preprocessing_with_named_features(inputs: dict) -> dict:
        return preprocessing_fn(FeatureInputs(inputs))
    return preprocessing_with_named_features


def _transform_in_memory(preprocessing_fn: Callable, schema: Any, examples: Examples, analyze: list[str],
                         transform: list[str], graph_dir: str, output: Examples) -> None:
    from components import transform_in_memory

    adapter = _adapter_config(schema, examples_file_pattern(examples, analyze[0]))
    patterns = {split: examples_file_pattern(examples, split) for split in {*analyze, *transform}}
    temp_dir = current_execution().temp_dir
    cache = transform_in_memory.decoded_cache(temp_dir)
    transform_in_memory.analyze(preprocessing_fn, schema, adapter,
                                {split: patterns[split] for split in analyze}, graph_dir, temp_dir, cache)
    transformer = transform_in_memory.BatchTransformer(graph_dir, adapter)
    for split in transform:
        os.makedirs(output.split_uri(split), exist_ok=True)
        batches = transform_in_memory.raw_batches(patterns[split], schema, cache, split in analyze)
        transform_in_memory.transform_split(transformer, batches, output.split_uri(split))
    _write_raw_metadata(schema, graph_dir)


def _adapter_config(schema: Any, file_pattern: str) -> Any:
    """The TensorAdapterConfig of tf.Example files under a schema (any split's: the schema decides)."""
    from tfx_bsl.public import tfxio

    source = tfxio.TFExampleRecord(file_pattern=file_pattern, schema=schema)
    return tfxio.TensorAdapterConfig(source.ArrowSchema(), source.TensorRepresentations())


def _transform_on_beam(preprocessing_fn: Callable, schema: Any, examples: Examples, analyze: list[str],
                       transform: list[str], graph_dir: str, output: Examples) -> None:
    import apache_beam as beam
    import tensorflow_transform.beam as tft_beam
    from tfx_bsl.coders import example_coder
    from tfx_bsl.public import tfxio

    sources = {split: tfxio.TFExampleRecord(file_pattern=examples_file_pattern(examples, split),
                                            schema=schema) for split in set(analyze) | set(transform)}
    adapter = _adapter_config(schema, examples_file_pattern(examples, analyze[0]))
    with new_pipeline() as pipeline, tft_beam.Context(temp_dir=current_execution().temp_dir):
        raw = {split: pipeline | f"Read[{split}]" >> source.BeamSource() for split, source in sources.items()}
        analyze_data = [raw[split] for split in analyze] | "AnalyzeData" >> beam.Flatten()
        transform_fn = (analyze_data, adapter) | "Analyze" >> tft_beam.AnalyzeDataset(preprocessing_fn)
        _ = transform_fn | "WriteTransformFn" >> tft_beam.WriteTransformFn(graph_dir)
        for split in transform:
            transformed, _ = ((raw[split], adapter), transform_fn) | f"Transform[{split}]" >> \
                tft_beam.TransformDataset(output_record_batches=True)
            _ = (transformed
                 | f"Encode[{split}]" >> beam.FlatMap(
                     lambda batch_and_extras: example_coder.RecordBatchToExamples(batch_and_extras[0]))
                 | f"Write[{split}]" >> beam.io.WriteToTFRecord(
                     os.path.join(output.split_uri(split), EXAMPLES_FILE_PREFIX), file_name_suffix=".gz"))
    _write_raw_metadata(schema, graph_dir)


def _write_raw_metadata(schema: Any, graph_dir: str) -> None:
    """Stores the raw schema beside the graph, as TFX does, for TFTransformOutput.raw_feature_spec()."""
    import tensorflow_transform as tft
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io

    metadata_io.write_metadata(dataset_metadata.DatasetMetadata(schema),
                               os.path.join(graph_dir, tft.TFTransformOutput.RAW_METADATA_DIR))


@component(name="Transform")
def transform(examples: Input[Examples], schema: Input[Schema], transform_graph: Output[TransformGraph],
              transformed_examples: Output[Examples], module_file: Parameter[UserModule | None] = None,
              preprocessing_fn: Parameter[UserModule | None] = None,
              splits_to_analyze: Parameter[list] = ["train"],  # noqa: B006 - never mutated
              splits_to_transform: Parameter[list | None] = None,
              in_memory_limit_bytes: Parameter[int] = IN_MEMORY_LIMIT_BYTES) -> None:
    """Analyzes the training split with the user's preprocessing_fn and transforms every split.

    Examples totalling at most `in_memory_limit_bytes` on disk, on a local runner, are read and
    written in large batches outside Beam (`components.transform_in_memory`); larger data or a
    cluster runner use TFT's Beam path. Both give the same output; 0 forces Beam.

    Args:
        examples: Raw examples.
        schema: Their schema (the raw feature spec comes from it).
        transform_graph: The TFTransformOutput directory.
        transformed_examples: Transformed tf.Examples per split (TFX layout).
        module_file: A .py file defining `preprocessing_fn(inputs)`.
        preprocessing_fn: Or a reference: `package.module.function` (TFX's dotted form, looked
            up in the project directory) or `package.module:function`.
        splits_to_analyze: Splits the analyzers (vocabularies, means...) see.
        splits_to_transform: Splits to transform (default: all).
        in_memory_limit_bytes: The largest examples (bytes on disk, the splits read) transformed
            with batched I/O outside Beam; 0 always uses Beam.

    Raises:
        ValueError: the function is missing, or it fails; the message names the feature when a
            feature is missing from the schema.
    """
    user_fn = load_function(module_file, preprocessing_fn, "preprocessing_fn", "Transform")
    splits = split_names(examples)
    transform_splits = list(splits_to_transform or splits)
    unknown = sorted((set(splits_to_analyze) | set(transform_splits)) - set(splits))
    if unknown:
        raise ValueError(f"Transform: split '{unknown[0]}' is not in the examples "
                         f"(splits: {', '.join(splits)})")
    read_splits = sorted(set(splits_to_analyze) | set(transform_splits))
    in_memory = fits_in_memory([examples_file_pattern(examples, split) for split in read_splits],
                               in_memory_limit_bytes, beam_args(), None)
    run = _transform_in_memory if in_memory else _transform_on_beam
    try:
        run(_guarded(ByValueFunction(user_fn)), read_schema(schema), examples, list(splits_to_analyze),
            transform_splits, transform_graph.uri, transformed_examples)
    except KeyError as error:
        raise ValueError(f"preprocessing_fn failed: {error.args[0] if error.args else error}") from None
    except Exception as error:
        message = str(error)
        if "is not in the schema" in message:
            raise ValueError(f"preprocessing_fn failed: {message[message.find('feature'):].splitlines()[0]}"
                             ) from None
        raise ValueError(f"preprocessing_fn failed: {type(error).__name__}: "
                         f"{message.splitlines()[0] if message else ''}") from error
    transformed_examples.split_names = transform_splits
    transformed_examples.properties["computed"] = "in memory" if in_memory else "beam"


@node_factory(transform)
def Transform(examples: Channel, schema: Channel, module_file: str | None = None,
              preprocessing_fn: str | None = None, splits_to_analyze: list | None = None,
              splits_to_transform: list | None = None, in_memory_limit_bytes: int = IN_MEMORY_LIMIT_BYTES,
              enable_cache: bool | None = None) -> Node:
    """A Transform node; `preprocessing_fn` may be TFX's dotted `models.preprocessing.preprocessing_fn`.

    A dotted reference is bound to the project directory it resolves in while the pipeline file
    loads, so another project's module of the same name never stands in for it.

    Example:
        >>> Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],  # doctest: +SKIP
        ...           preprocessing_fn="models.preprocessing.preprocessing_fn")
    """
    return transform(examples=examples, schema=schema, module_file=module_file,
                     preprocessing_fn=bind_to_project(preprocessing_fn),
                     splits_to_analyze=list(splits_to_analyze or ["train"]),
                     splits_to_transform=splits_to_transform, in_memory_limit_bytes=in_memory_limit_bytes,
                     enable_cache=enable_cache)
