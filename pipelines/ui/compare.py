"""Side-by-side comparison of runs (or of models, through the runs that evaluated them)."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from pipelines.metadata import MetadataStore
from pipelines.ui import metric_kinds
from pipelines.ui.queries import NotFound, RunDetail, event_port, run_detail
from pipelines.ui.run_columns import node_parameters

EVALUATION_FILE = "evaluation.json"
COMPARED_STATISTICS = ("mean", "std", "missing_pct", "unique")


@dataclasses.dataclass
class CompareRow:
    """One compared quantity: its values per subject and the change from the first subject."""

    group: str
    name: str
    values: list[Any]
    deltas: list[float | None]
    differs: bool
    count: bool = False  # printed as an integer (example_count)
    judgements: list[str] = dataclasses.field(default_factory=list)  # better, worse, changed, ""
    notes: list[str] = dataclasses.field(default_factory=list)  # n/a, not judged, interval

    @property
    def cells(self) -> list[tuple[str, str, str, str]]:
        """Per subject: (value, change, judgement, note) as text, formatted by the metric's kind."""
        return [(metric_kinds.format_number(value, self.count),
                 metric_kinds.format_change(delta, self.count), judgement, note)
                for value, delta, judgement, note in zip(
                    self.values, self.deltas, self.judgements or [""] * len(self.values),
                    self.notes or [""] * len(self.values), strict=True)]


@dataclasses.dataclass
class Comparison:
    """Everything the Compare page shows, for two or more subjects (runs)."""

    runs: list[str]
    labels: list[str]
    blessed: list[bool | None]
    parameters: list[CompareRow]
    metrics: list[CompareRow]
    statistics: list[CompareRow]
    model_runs: list[list[str]] = dataclasses.field(default_factory=list)  # ModelRun uris per run


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
        metrics=_metric_rows(evaluations),
        statistics=_rows_of([_statistics(detail) for detail in details]),
        model_runs=[[ref.uri for ref in _outputs_of_type(detail, "ModelRun")] for detail in details])


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
        values.update(node_parameters(node.node_id, node.properties))
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


def _metric_rows(evaluations: list[dict[str, Any] | None]) -> list[CompareRow]:
    """Metric rows, each judged by its direction and annotated with the evaluation's own notes."""
    rows = _rows_of([_metrics(e) for e in evaluations])
    notes = [_metric_notes(e) for e in evaluations]
    for row in rows:
        row.count = metric_kinds.is_count(row.name)
        row.judgements = [metric_kinds.judge(row.name, delta) for delta in row.deltas]
        row.notes = [found.get((row.group, row.name), "") for found in notes]
    return rows


def _metric_notes(summary: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    """What the evaluation says beside a value: n/a, not judged, failed, the delta's interval."""
    if summary is None:
        return {}
    return {(item["slice"], metric): _note(values)
            for item in summary.get("slices", [])
            for metric, values in item.get("metrics", {}).items() if _note(values)}


def _note(values: dict[str, Any]) -> str:
    parts = []
    if values.get("na"):
        parts.append(f"n/a ({values['na']})")
    if values.get("not_judged"):
        parts.append(f"not judged: {values['not_judged']}")
    interval = values.get("interval")
    if interval and isinstance(values.get("diff"), int | float):
        parts.append(f"vs baseline {values['diff']:+.4f}, {interval['confidence']:.0%} CI "
                     f"[{interval['low']:+.4f}, {interval['high']:+.4f}]")
    if values.get("failed"):
        parts.append("fails its gate")
    return "; ".join(parts)


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
    group_order = {group: index for index, group in enumerate(dict.fromkeys(g for g, _ in keys))}
    keys.sort(key=lambda key: group_order[key[0]])  # stable: each group's rows together
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
