"""SchemaGen (infer a schema from training statistics) and ImportSchemaGen (a curated one)."""

from __future__ import annotations

import os

from components.artifact_io import write_schema
from components.example_gen.contract import load_schema_file
from pipelines import Input, Output, Parameter, UserModule, component
from pipelines.artifacts import ExampleStatistics, Schema
from pipelines.reports.statistics import load_statistics


@component(name="SchemaGen")
def schema_gen(statistics: Input[ExampleStatistics], schema: Output[Schema],
               infer_feature_shape: Parameter[bool] = True, split: Parameter[str] = "train") -> None:
    """Infers a schema (types, presence, domains) from one split's statistics with TFDV.

    Args:
        statistics: ExampleStatistics (StatisticsGen's output).
        schema: Receives `schema.pbtxt`.
        infer_feature_shape: Record fixed shapes for always-present single-valued features (as
            TFX does by default), so Transform and Trainer read them as dense tensors.
        split: The split to infer from.
    """
    import tensorflow_data_validation as tfdv

    by_split = load_statistics(statistics.uri)
    if split not in by_split:
        raise ValueError(f"ExampleStatistics {statistics.id} has no split '{split}' "
                         f"(splits: {', '.join(by_split)})")
    write_schema(tfdv.infer_schema(by_split[split], infer_feature_shape=infer_feature_shape), schema)


@component(name="ImportSchemaGen")
def import_schema_gen(schema: Output[Schema], schema_file: Parameter[UserModule]) -> None:
    """Imports a curated schema.pbtxt (the reviewed data contract); its contents are in the cache key.

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is empty, does not parse as a Schema, or declares no features (the
            message names the file).
    """
    if not os.path.isfile(schema_file):
        raise FileNotFoundError(f"schema file not found: {schema_file}")
    write_schema(load_schema_file(str(schema_file)), schema)


SchemaGen = schema_gen
ImportSchemaGen = import_schema_gen
