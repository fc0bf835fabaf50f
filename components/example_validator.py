"""ExampleValidator: schema anomalies per split, drift since the previous span, training/serving skew."""

from __future__ import annotations

import os
from typing import Any

from components.artifact_io import read_schema
from pipelines import HaltPipeline, Input, Output, Parameter, component, previous_span
from pipelines.artifacts import ExampleAnomalies, ExampleStatistics, Schema
from pipelines.dsl.arguments import node_factory
from pipelines.dsl.node import Channel, Node
from pipelines.reports.anomalies import ANOMALIES_FILE, AnomaliesReport
from pipelines.reports.statistics import load_statistics

SERVING_SPLIT = "serving"


def _schema_with_thresholds(schema: Any, drift: dict | None, skew: dict | None) -> Any:
    """A copy of the schema with per-feature drift/skew comparator thresholds set.

    Categorical features (strings, or integers whose domain is marked categorical) get an
    L-infinity threshold, numeric ones a Jensen-Shannon divergence threshold.
    """
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2

    updated = schema_pb2.Schema()
    updated.CopyFrom(schema)
    for thresholds, field in ((drift or {}, "drift_comparator"), (skew or {}, "skew_comparator")):
        for name, threshold in thresholds.items():
            try:
                feature = tfdv.get_feature(updated, name)
            except ValueError:
                raise ValueError(f"{field}: feature '{name}' is not in the schema") from None
            comparator = getattr(feature, field)
            if feature.type == schema_pb2.BYTES or feature.int_domain.is_categorical:
                comparator.infinity_norm.threshold = float(threshold)
            else:
                comparator.jensen_shannon_divergence.threshold = float(threshold)
    return updated


def _environment(schema: Any, name: str) -> str | None:
    return name if name in schema.default_environment else None


@component(name="ExampleValidator")
def example_validator(statistics: Input[ExampleStatistics], schema: Input[Schema],
                      anomalies: Output[ExampleAnomalies],
                      previous_statistics: Input[ExampleStatistics] | None = None,
                      serving_statistics: Input[ExampleStatistics] | None = None,
                      halt_on_anomalies: Parameter[bool] = False,
                      drift_thresholds: Parameter[dict | None] = None,
                      skew_thresholds: Parameter[dict | None] = None) -> None:
    """Validates each split against the schema, with drift and skew comparisons when given.

    Drift compares each split with the same split of `previous_statistics`; skew compares the
    train split with `serving_statistics`, which are themselves validated in the SERVING
    environment (written as split `serving`). Thresholds come from the schema's comparators.
    """
    import tensorflow_data_validation as tfdv

    contract = _schema_with_thresholds(read_schema(schema), drift_thresholds, skew_thresholds)
    current = load_statistics(statistics.uri)
    previous = load_statistics(previous_statistics.uri) if previous_statistics is not None else {}
    serving = next(iter(load_statistics(serving_statistics.uri).values()), None) \
        if serving_statistics is not None else None
    results = {}
    for split, split_statistics in current.items():
        results[split] = tfdv.validate_statistics(
            split_statistics, contract, environment=_environment(contract, "TRAINING"),
            previous_statistics=previous.get(split),
            serving_statistics=serving if split == "train" else None)
    if serving is not None:
        results[SERVING_SPLIT] = tfdv.validate_statistics(
            serving, contract, environment=_environment(contract, "SERVING"))
    for split, result in results.items():
        os.makedirs(anomalies.split_uri(split))
        with open(os.path.join(anomalies.split_uri(split), ANOMALIES_FILE), "wb") as target:
            target.write(result.SerializeToString())
    anomalies.split_names = list(results)
    if statistics.span is not None:  # the current span, not the previous one's
        anomalies.span = statistics.span
    report = AnomaliesReport(results, f"Anomalies of {statistics.type_name} {statistics.id} "
                                      f"(span {statistics.span})")
    report.save(anomalies.path("report.html"))
    anomalies.properties.update(anomaly_count=report.count, drift_checked=previous_statistics is not None,
                                skew_checked=serving is not None)
    if previous_statistics is not None:
        anomalies.properties["previous_statistics_id"] = previous_statistics.id
    if report.count:  # said on the validator's console line
        anomalies.properties.update(note=f"{report.count} data anomalies: {report.features_text()}",
                                    noted_by="ExampleValidator")
    if halt_on_anomalies and report.count:
        raise HaltPipeline(f"{report.count} data anomalies: {report.describe()}")


@node_factory(example_validator)
def ExampleValidator(statistics: Channel, schema: Channel, serving_statistics: Channel | None = None,
                     halt_on_anomalies: bool = False, drift: bool = True,
                     drift_thresholds: dict | None = None, skew_thresholds: dict | None = None) -> Node:
    """A validator node; drift against the previous span is on whenever one exists.

    The previous span's statistics are resolved from ML Metadata (`previous_span(statistics)`),
    so no path is passed by hand. With `halt_on_anomalies=True`, anomalies stop the run: the
    validator's node fails naming each feature and why, and everything after it is skipped.

    Example:
        >>> validator = ExampleValidator(statistics=stats.outputs["statistics"],   # doctest: +SKIP
        ...                              schema=schema.outputs["schema"], halt_on_anomalies=True)
    """
    previous = previous_span(statistics).outputs["artifact"] if drift else None
    return example_validator(statistics=statistics, schema=schema, previous_statistics=previous,
                             serving_statistics=serving_statistics, halt_on_anomalies=halt_on_anomalies,
                             drift_thresholds=drift_thresholds, skew_thresholds=skew_thresholds)
