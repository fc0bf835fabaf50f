"""Side-by-side comparison of runs (or of models, through the runs that evaluated them)."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from pipelines.metadata import MetadataStore
from pipelines.ui.queries import NotFound, RunDetail, event_port, run_detail

EVALUATION_FILE = "evaluation.json"
COMPARED_STATISTICS = ("mean", "std", "missing_pct", "unique")
PROCESS_PROPERTIES = ("pid", "host")  # where an execution ran: differs every run, not a parameter


@dataclasses.dataclass
class CompareRow:
    """One compared quantity: its values per subject and the change from the first subject."""

    group: str
    name: str
    values: list[Any]
    deltas: list[float | None]
    differs: bool


@dataclasses.dataclass
class Comparison:
    """Everything the Compare page shows, for two or more subjects (runs)."""

    runs: list[str]
    labels: list[str]
    blessed: list[bool | None]
    parameters: list[CompareRow]
    metrics: list[CompareRow]
    statistics: list[CompareRow]


def compare_runs(store: MetadataStore, run_names: list[str], labels: list[str] | None = None,
                 ) -> Comparison:
    """Parameters, evaluation metrics per slice and feature statistics of runs, side by side.

    Deltas are each run's value minus the first run's.

    Raises:
        NotFound: a run does not exist.
    """
    details = [run_detail(store, name) for name in run_names]
    evaluations = [_evaluation_summary(detail) for detail in details]
    return Comparison(
        runs=run_names, labels=labels or run_names,
        blessed=[None if e is None else bool(e.get("blessed")) for e in evaluations],
        parameters=_rows_of([_parameters(detail) for detail in details]),
        metrics=_rows_of([_metrics(e) for e in evaluations]),
        statistics=_rows_of([_statistics(detail) for detail in details]))


def runs_evaluating_models(store: MetadataStore, model_ids: list[int]) -> list[tuple[str, str]]:
    """(run name, label) of the run whose Evaluator judged each model as its candidate.

    Raises:
        NotFound: a model was never evaluated.
    """
    from ml_metadata.proto import metadata_store_pb2

    found = []
    for model_id in model_ids:
        consumers = [e.execution_id for e in store.events_of_artifacts([model_id])
                     if e.type == metadata_store_pb2.Event.INPUT and event_port(e) == "model"]
        evaluators = [e for e in store.executions_by_id(consumers) if e.component == "Evaluator"]
        if not evaluators:
            raise NotFound(f"model {model_id} was never evaluated as a candidate")
        run = str(evaluators[-1].properties.get("run_id", ""))
        found.append((run, f"model #{model_id}"))
    return found


def _outputs_of_type(detail: RunDetail, type_name: str) -> list[Any]:
    return [ref for node in detail.nodes for ref in node.outputs if ref.type == type_name]


def _evaluation_summary(detail: RunDetail) -> dict[str, Any] | None:
    for ref in _outputs_of_type(detail, "ModelEvaluation"):
        path = os.path.join(ref.uri, EVALUATION_FILE)
        if os.path.isfile(path):
            with open(path) as source:
                return dict(json.load(source))
    return None


def _parameters(detail: RunDetail) -> dict[tuple[str, str], Any]:
    values: dict[tuple[str, str], Any] = {}
    for node in detail.nodes:
        for name, value in node.properties.items():
            if name not in PROCESS_PROPERTIES:
                values[(node.node_id, name)] = value
        for name, value in node.driver_facts.items():
            values[(node.node_id, f"driver: {name}")] = value
        for ref in node.outputs:
            if ref.type == "HyperParameters":
                values.update(_hyperparameters(ref.uri, node.node_id))
    return values


def _hyperparameters(uri: str, node_id: str) -> dict[tuple[str, str], Any]:
    for name in sorted(os.listdir(uri)) if os.path.isdir(uri) else []:
        if name.endswith(".json"):
            with open(os.path.join(uri, name)) as source:
                content = json.load(source)
            values = content.get("values", content) if isinstance(content, dict) else {}
            return {(f"{node_id} hyperparameters", key): value for key, value in values.items()}
    return {}


def _metrics(summary: dict[str, Any] | None) -> dict[tuple[str, str], Any]:
    if summary is None:
        return {}
    return {(item["slice"], metric): values.get("candidate")
            for item in summary.get("slices", [])
            for metric, values in item.get("metrics", {}).items()}


def _statistics(detail: RunDetail) -> dict[tuple[str, str], Any]:
    from pipelines.reports.statistics import feature_rows, load_statistics

    values: dict[tuple[str, str], Any] = {}
    for ref in _outputs_of_type(detail, "ExampleStatistics")[:1]:
        for split, statistics in load_statistics(ref.uri).items():
            for dataset in statistics.datasets:
                for row in feature_rows(dataset):
                    for name in COMPARED_STATISTICS:
                        if name in row:
                            values[(f"{split}: {row['feature']}", name)] = row[name]
    return values


def _rows_of(per_subject: list[dict[tuple[str, str], Any]]) -> list[CompareRow]:
    keys = list(dict.fromkeys(key for values in per_subject for key in values))
    rows = []
    for group, name in keys:
        values = [values.get((group, name)) for values in per_subject]
        rows.append(CompareRow(group, name, values, _deltas(values),
                               any(_differ(values[0], value) for value in values[1:])))
    return rows


def _deltas(values: list[Any]) -> list[float | None]:
    first = values[0]
    return [value - first if _numeric(first) and _numeric(value) else None for value in values]


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _differ(first: Any, other: Any) -> bool:
    if _numeric(first) and _numeric(other):
        return abs(float(other) - float(first)) > 1e-12
    return bool(first != other)
