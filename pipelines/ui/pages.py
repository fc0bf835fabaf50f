"""The HTML pages: each reads the store once, then renders one template."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse

from pipelines.errors import MetadataError
from pipelines.metadata.lookup import canonical_type_name
from pipelines.runner.outcomes import artifact_outcome
from pipelines.ui import (
    artifact_files,
    artifacts,
    compare,
    ids,
    learning_curves,
    models,
    node_log,
    queries,
    run_columns,
    run_view,
    spans_chart,
)
from pipelines.ui.graph_svg import render_svg
from pipelines.ui.lineage_graph import LINEAGE_FOCUS, lineage_graph
from pipelines.ui.run_filters import OUTCOMES, RUN_STATUSES, RunFilter, day_start_ms

DEFAULT_METRIC = "auc"
MAX_PAGE_SIZE = 500


def int_param(request: Request, name: str) -> int | None:
    """An optional integer query parameter.

    Raises:
        HTTPException: 400 when present but not an integer.
    """
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"query parameter {name!r} must be an integer, got {raw!r}") from None
    return ids.in_range(value, f"query parameter {name!r}")


def page_size(request: Request) -> int:
    """The `limit` query parameter: rows per page, 1 to 500 (default 50).

    Raises:
        HTTPException: 400 when out of range.
    """
    limit = int_param(request, "limit") or queries.DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise HTTPException(400, f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    return limit


def list_param(request: Request, name: str) -> list[str]:
    """A repeatable or comma-separated query parameter, blanks dropped."""
    return [item.strip() for raw in request.query_params.getlist(name)
            for item in raw.split(",") if item.strip()]


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    html = request.app.state.templates.get_template(template).render(
        location=request.app.state.ui.source.location, **context)
    return HTMLResponse(html)


def read(request: Request, query: Any) -> Any:
    """Runs `query(store)` on the app's store (one request at a time)."""
    return request.app.state.ui.source.read(query)


def run_filter(request: Request) -> RunFilter:
    """The runs filters of the query: pipeline, status, outcome, since and until (YYYY-MM-DD).

    Raises:
        HTTPException: 400 for a date that is not YYYY-MM-DD.
    """
    params = request.query_params
    try:
        since, until = day_start_ms(params.get("since")), day_start_ms(params.get("until"), end=True)
    except ValueError:
        raise HTTPException(400, "since and until must be dates, YYYY-MM-DD") from None
    return RunFilter(params.get("pipeline") or None, params.get("status") or None,
                     params.get("outcome") or None, since, until)


def runs_listing(request: Request) -> queries.RunsPage:
    """The page of runs the query parameters ask for (filters, before, limit)."""
    filters = run_filter(request)
    before = int_param(request, "before")
    limit = page_size(request)
    return read(request, lambda store: queries.list_runs(store, before=before, limit=limit,
                                                         filters=filters))


def artifacts_listing(request: Request) -> tuple[list[Any], int | None, str]:
    """The artifacts, cursor and stored type name the query asks for (type, before, limit).

    The type matches in any case: `type=pushedmodel` lists PushedModel artifacts.

    Raises:
        HTTPException: 400 for an unknown type, listing the known ones.
    """
    given = request.query_params.get("type") or ""
    before = int_param(request, "before")
    limit = page_size(request)

    def query(store: Any) -> tuple[list[Any], int | None, str]:
        try:
            type_name = canonical_type_name(store, given) if given else ""
        except MetadataError as unknown:
            raise HTTPException(400, str(unknown)) from None
        return (*artifacts.list_artifacts(store, type_name or None, before, limit), type_name)

    return read(request, query)


def runs_page(request: Request) -> HTMLResponse:
    """Runs, newest first, filtered, with the metric and parameter columns the user picked."""
    filters = run_filter(request)
    before, limit, columns = int_param(request, "before"), page_size(request), list_param(request, "columns")

    span = int_param(request, "span")

    def query(store: Any) -> tuple[queries.RunsPage, dict[int, dict[str, Any]], list[str]]:
        page = queries.list_runs(store, before=before, limit=limit, filters=filters)
        if span is not None:
            page.runs = run_columns.runs_of_span(store, page.runs, span)
        return (page, run_columns.column_values(store, page.runs, columns),
                run_columns.offered_columns(store, page.runs))

    page, values, offered = read(request, query)
    running = any(run.status == "RUNNING" for run in page.runs)
    kept = [(key, value) for key, value in request.query_params.multi_items()
            if key not in ("before", "limit")]
    return _render(request, "runs.html", page=page, filters=filters, statuses=RUN_STATUSES,
                   outcomes=OUTCOMES, running=running, limit=limit, columns=columns,
                   values=values, offered=[c for c in offered if c not in columns],
                   since=request.query_params.get("since") or "", span="" if span is None else span,
                   until=request.query_params.get("until") or "",
                   older_query=urlencode([*kept, ("limit", limit), ("before", page.next_before or "")]))


def run_page(request: Request) -> HTMLResponse:
    """One run: its graph, parameters, timeline, and a panel per node."""
    name = request.path_params["name"]
    detail = read(request, lambda store: queries.run_detail(store, name))
    return _render(request, "run.html", detail=detail, run=detail.summary,
                   graph=run_view.run_graph_svg(detail), parameters=run_view.run_parameters(detail),
                   timeline=run_view.timeline(detail))


def run_node_log(request: Request) -> PlainTextResponse:
    """GET /runs/NAME/log?node=EXECUTION_ID: the lines of the run's log written while it ran."""
    name = request.path_params["name"]
    execution_id = int_param(request, "node")
    detail = read(request, lambda store: queries.run_detail(store, name, infer_missing=False))
    node = next((n for n in detail.nodes if n.execution_id == execution_id), None)
    if node is None:
        raise HTTPException(404, f"run {name} has no execution {execution_id}")
    if node.log_path and os.path.isfile(node.log_path):  # the node's own log: all of it
        return PlainTextResponse("\n".join(node_log.own_lines(node.log_path)))
    if not detail.log_path or not os.path.isfile(detail.log_path):
        return PlainTextResponse("(this run's log is not on this machine)")
    lines = node_log.node_lines(detail.log_path, node.started_at_ms,
                                int(node.started_at_ms + node.duration_s * 1000))
    return PlainTextResponse("\n".join(lines) or "(no timestamped log lines while this node ran)")


def artifacts_page(request: Request) -> HTMLResponse:
    """Artifacts, newest first, optionally of one type."""
    found, next_before, type_name = artifacts_listing(request)
    return _render(request, "artifacts.html", artifacts=found, next_before=next_before,
                   type_name=type_name, limit=page_size(request), outcome=artifact_outcome)


def artifact_page(request: Request) -> HTMLResponse:
    """One artifact: what it is, who made and used it, its files, report and lineage graph."""
    artifact_id = request.path_params["artifact_id"]
    directory = request.query_params.get("dir") or ""
    direction = request.query_params.get("focus") or ""
    if direction not in ("", *LINEAGE_FOCUS):
        raise HTTPException(400, f"focus must be one of {', '.join(LINEAGE_FOCUS)}")

    def query(store: Any) -> tuple[Any, Any]:
        return (artifacts.artifact_detail(store, artifact_id),
                lineage_graph(store, artifact_id, direction=direction or None))

    detail, graph = read(request, query)
    try:
        files, files_error = artifact_files.list_directory(detail.uri, directory), ""
    except queries.NotFound as error:
        files, files_error = [], str(error)
    schema = artifact_files.schema_rows(detail.uri) if detail.type == "Schema" else []
    return _render(request, "artifact.html", artifact=detail, truncated=graph.truncated,
                   lineage=render_svg(graph.nodes, graph.edges, css_class="graph lineage"),
                   files=files, files_error=files_error, directory=directory, schema=schema,
                   focus=direction)


def artifact_download(request: Request) -> FileResponse:
    """One file of the artifact (`?path=` relative to its uri; nothing outside it)."""
    artifact_id = request.path_params["artifact_id"]
    relative = request.query_params.get("path") or ""
    detail = read(request, lambda store: artifacts.artifact_detail(store, artifact_id))
    path = artifact_files.file_to_download(detail.uri, relative)
    return FileResponse(path, filename=os.path.basename(path),
                        content_disposition_type="attachment")


def artifact_report(request: Request) -> HTMLResponse:
    """The artifact's report page (statistics, anomalies or sliced evaluation), self-contained."""
    artifact_id = request.path_params["artifact_id"]
    return HTMLResponse(read(request,
                             lambda store: artifacts.artifact_report_html(store, artifact_id)))


def compare_subjects(request: Request, store: Any) -> tuple[list[str], list[str]]:
    """The run names and labels to compare, from `runs=` or `models=` (model artifact ids)."""
    model_ids = list_param(request, "models")
    if model_ids:
        if not all(item.isdigit() for item in model_ids):
            raise HTTPException(400, f"models must be artifact ids, got {model_ids}")
        pairs = compare.runs_evaluating_models(store, [ids.in_range(int(item), "models")
                                                       for item in model_ids])
        return [run for run, _ in pairs], [label for _, label in pairs]
    names = list_param(request, "runs")
    return names, names


def comparison(request: Request, store: Any, metric: str) -> dict[str, Any] | None:
    """The compared runs or models and the metric over spans of their pipeline (None for < 2)."""
    names, labels = compare_subjects(request, store)
    if len(names) < 2:
        return None
    result = compare.compare_runs(store, names, labels)
    pipeline = queries.run_detail(store, names[0], infer_missing=False).summary.pipeline
    return {"comparison": result, "pipeline": pipeline, "metric": metric,
            "over_spans": spans_chart.metric_over_spans(store, pipeline, metric)}


def compare_page(request: Request) -> HTMLResponse:
    """Two or more runs (or models) side by side, and a metric over spans of their pipeline."""
    metric = request.query_params.get("metric") or DEFAULT_METRIC
    data, recent = read(request, lambda store: (comparison(request, store, metric),
                                                queries.list_runs(store, limit=30).runs))
    data = data or {"comparison": None, "pipeline": "", "metric": metric, "over_spans": []}
    chart = spans_chart.chart_svg(data["over_spans"], metric)
    found = data["comparison"]
    curves = learning_curves.curve_charts(found.labels, found.model_runs) if found else []
    return _render(request, "compare.html", chart=chart, recent=recent, curves=curves, **data)


def models_page(request: Request) -> HTMLResponse:
    """Pushed versions per model name; with --serving-url, which the server has AVAILABLE."""
    versions = read(request, models.pushed_versions)
    serving_url = request.app.state.ui.serving_url
    errors = models.with_serving_states(versions, serving_url)
    return _render(request, "models.html", versions=versions, serving_url=serving_url or "",
                   serving_errors=errors, metric_names=models.metric_names)
