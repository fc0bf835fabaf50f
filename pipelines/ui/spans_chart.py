"""A metric over spans for one pipeline (AUC per day), marking which evaluated models were pushed."""

from __future__ import annotations

import dataclasses
import json
import os

from pipelines.metadata import MetadataStore
from pipelines.metadata.store import PIPELINE_CONTEXT
from pipelines.ui.compare import EVALUATION_FILE
from pipelines.ui.line_chart import Point, Series
from pipelines.ui.line_chart import chart_svg as chart_svg_of
from pipelines.ui.models import pushed_versions
from pipelines.ui.queries import event_port

OVERALL = "Overall"


@dataclasses.dataclass
class SpanPoint:
    """One evaluation: the span it was evaluated on, the overall metric, verdict and push."""

    span: int | None
    value: float | None
    evaluation_id: int
    model_id: int | None
    blessed: bool
    pushed_version: int | None


def metric_over_spans(store: MetadataStore, pipeline: str, metric: str = "auc") -> list[SpanPoint]:
    """Every ModelEvaluation of the pipeline in span order, with the candidate's overall metric."""
    from ml_metadata import errors
    from ml_metadata.proto import metadata_store_pb2

    context = store.mlmd.get_context_by_type_and_name(PIPELINE_CONTEXT, pipeline)
    try:
        evaluation_type = store.mlmd.get_artifact_type("ModelEvaluation")
    except errors.NotFoundError:  # nothing was ever evaluated in this store
        return []
    if context is None:
        return []
    evaluation_ids = [a.id for a in store.mlmd.get_artifacts_by_context(context.id)
                      if a.type_id == evaluation_type.id]
    if not evaluation_ids:
        return []
    events = store.events_of_artifacts(evaluation_ids)
    producer = {e.artifact_id: e.execution_id for e in events
                if e.type == metadata_store_pb2.Event.OUTPUT}
    spans = _examples_spans(store, set(producer.values()))
    pushed = {push.model_id: push.version for pushes in pushed_versions(store).values()
              for push in pushes if push.pushed}
    points = []
    for evaluation in store.artifacts_by_id(evaluation_ids):
        summary = _summary(evaluation.uri)
        if summary is None:
            continue
        model_id = summary.get("candidate_model_id")
        points.append(SpanPoint(spans.get(producer.get(int(evaluation.id or 0), -1)),
                                _overall(summary, metric), int(evaluation.id or 0), model_id,
                                bool(summary.get("blessed")), pushed.get(model_id)))
    return sorted(points, key=lambda p: (p.span is None, p.span or 0, p.evaluation_id))


def _examples_spans(store: MetadataStore, execution_ids: set[int]) -> dict[int, int | None]:
    from ml_metadata.proto import metadata_store_pb2

    inputs = [e for e in store.events_of_executions(sorted(execution_ids))
              if e.type == metadata_store_pb2.Event.INPUT and event_port(e) == "examples"]
    artifacts = {a.id: a for a in store.artifacts_by_id({e.artifact_id for e in inputs})}
    return {e.execution_id: _int_or_none(artifacts[e.artifact_id].properties.get("span"))
            for e in inputs if e.artifact_id in artifacts}


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _summary(uri: str) -> dict | None:
    path = os.path.join(uri, EVALUATION_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as source:
        return dict(json.load(source))


def _overall(summary: dict, metric: str) -> float | None:
    for item in summary.get("slices", []):
        if item.get("slice") == OVERALL:
            value = item.get("metrics", {}).get(metric, {}).get("candidate")
            return None if value is None else float(value)
    return None


def chart_svg(points: list[SpanPoint], metric: str) -> str:
    """The metric by span: pushed models filled green (with their version), unblessed ones red.

    Points sit at their span on the x axis (two evaluations of one span share its tick).
    """
    drawn = [p for p in points if p.value is not None]
    marks = []
    for index, point in enumerate(drawn):
        fill = "#2e9e4a" if point.pushed_version is not None else (
            "#ffffff" if point.blessed else "#d0454a")
        note = (f"pushed v{point.pushed_version}" if point.pushed_version is not None
                else "blessed, not pushed" if point.blessed else "not blessed")
        x = float(point.span) if point.span is not None else float(index)
        marks.append(Point(x, float(point.value or 0.0),
                           f"span {point.span}: {metric} {point.value:.4f}, {note}", fill,
                           f"v{point.pushed_version}" if point.pushed_version is not None else ""))
    return chart_svg_of([Series(metric, marks)], "span", metric, "spans-chart")
