"""A metric over spans for one pipeline (AUC per day), marking which evaluated models were pushed."""

from __future__ import annotations

import dataclasses
import json
import os
from html import escape

from pipelines.metadata import MetadataStore
from pipelines.metadata.store import PIPELINE_CONTEXT
from pipelines.ui.compare import EVALUATION_FILE
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


def chart_svg(points: list[SpanPoint], metric: str, width: int = 640, height: int = 240) -> str:
    """A line chart of the metric by span: pushed models filled green, unblessed ones red."""
    drawn = [p for p in points if p.value is not None]
    if not drawn:
        return ""
    low = min(p.value or 0.0 for p in drawn)
    high = max(p.value or 0.0 for p in drawn)
    low, high = (low - 0.05, high + 0.05) if high - low < 1e-9 else (low, high)
    left, top, plot_w, plot_h = 56, 16, width - 80, height - 56
    step = plot_w / max(len(drawn) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return left + index * step, top + plot_h * (high - value) / (high - low)

    coords = [xy(i, p.value or 0.0) for i, p in enumerate(drawn)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [f"<polyline points='{line}' fill='none' stroke='#4a7bd0' stroke-width='2'/>",
             f"<text x='4' y='{top + 8}' font-size='11'>{high:.3f}</text>",
             f"<text x='4' y='{top + plot_h}' font-size='11'>{low:.3f}</text>"]
    for (x, y), point in zip(coords, drawn, strict=True):
        fill = "#2e9e4a" if point.pushed_version is not None else (
            "#ffffff" if point.blessed else "#d0454a")
        note = (f"pushed v{point.pushed_version}" if point.pushed_version is not None
                else "blessed, not pushed" if point.blessed else "not blessed")
        parts.append(
            f"<circle class='point' cx='{x:.1f}' cy='{y:.1f}' r='6' fill='{fill}' stroke='#1d2433'>"
            f"<title>span {escape(str(point.span))}: {escape(metric)} {point.value:.4f}, "
            f"{escape(note)}</title></circle>"
            f"<text x='{x:.1f}' y='{top + plot_h + 18}' font-size='11' text-anchor='middle'>"
            f"{escape(str(point.span))}</text>")
        if point.pushed_version is not None:
            parts.append(f"<text x='{x:.1f}' y='{y - 10:.1f}' font-size='11' text-anchor='middle'>"
                         f"v{point.pushed_version}</text>")
    parts.append(f"<text x='{left + plot_w / 2:.0f}' y='{height - 6}' font-size='12' "
                 f"text-anchor='middle'>span</text>")
    return (f"<svg class='spans-chart' width='{width}' height='{height}' role='img' "
            f"aria-label='{escape(metric)} by span'>{''.join(parts)}</svg>")
