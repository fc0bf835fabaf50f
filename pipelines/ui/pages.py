"""The HTML pages: each reads the store once, then renders one template."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pipelines.errors import MetadataError
from pipelines.metadata.lookup import canonical_type_name
from pipelines.runner.outcomes import artifact_outcome
from pipelines.ui import artifacts, compare, ids, models, queries, spans_chart
from pipelines.ui.graph_svg import GraphEdge, GraphNode, render_svg
from pipelines.ui.lineage_graph import lineage_graph
from pipelines.ui.templating import format_seconds

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


def runs_listing(request: Request) -> queries.RunsPage:
    """The page of runs the query parameters ask for (pipeline, status, before, limit)."""
    pipeline = request.query_params.get("pipeline") or None
    status = request.query_params.get("status") or None
    before = int_param(request, "before")
    limit = page_size(request)
    return read(request, lambda store: queries.list_runs(store, pipeline, status, before, limit))


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
    """Runs, newest first, filtered by pipeline and status, 50 to a page."""
    page = runs_listing(request)
    running = any(run.status == "RUNNING" for run in page.runs)
    return _render(request, "runs.html", page=page,
                   pipeline=request.query_params.get("pipeline") or "",
                   status=request.query_params.get("status") or "",
                   statuses=queries.RUN_STATUSES, running=running, limit=page_size(request))


def run_graph_svg(detail: queries.RunDetail) -> str:
    """The run's pipeline graph: one box per node, coloured by status, resolvers dashed."""
    nodes = []
    for node in detail.nodes:
        subtitle = node.shown_status.lower()
        if node.status == "CACHED" and node.shown_status != "CACHED":
            subtitle = f"cached · {subtitle}"
        elif node.status not in ("CACHED", "RUNNING"):
            subtitle += f" · {format_seconds(node.duration_s)}"
        nodes.append(GraphNode(node.node_id, node.node_id, subtitle, node.shown_status,
                               resolver=node.is_resolver, data_id=str(node.execution_id)))
    status = detail.missing_status
    nodes += [GraphNode(node_id, node_id, status.lower(), status) for node_id in detail.missing]
    edges = [GraphEdge(source, target, label) for source, target, label in detail.edges]
    return render_svg(nodes, edges)


def run_page(request: Request) -> HTMLResponse:
    """One run: its graph, properties and a panel per node."""
    name = request.path_params["name"]
    detail = read(request, lambda store: queries.run_detail(store, name))
    return _render(request, "run.html", detail=detail, run=detail.summary,
                   graph=run_graph_svg(detail))


def artifacts_page(request: Request) -> HTMLResponse:
    """Artifacts, newest first, optionally of one type."""
    found, next_before, type_name = artifacts_listing(request)
    return _render(request, "artifacts.html", artifacts=found, next_before=next_before,
                   type_name=type_name, limit=page_size(request), outcome=artifact_outcome)


def artifact_page(request: Request) -> HTMLResponse:
    """One artifact: what it is, who made and used it, its report and its lineage graph."""
    artifact_id = request.path_params["artifact_id"]

    def query(store: Any) -> tuple[Any, Any]:
        return (artifacts.artifact_detail(store, artifact_id),
                lineage_graph(store, artifact_id))

    detail, graph = read(request, query)
    return _render(request, "artifact.html", artifact=detail, truncated=graph.truncated,
                   lineage=render_svg(graph.nodes, graph.edges, css_class="graph lineage"))


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
    return _render(request, "compare.html", chart=chart, recent=recent, **data)


def models_page(request: Request) -> HTMLResponse:
    """Pushed versions per model name; with --serving-url, which the server has AVAILABLE."""
    versions = read(request, models.pushed_versions)
    serving_url = request.app.state.ui.serving_url
    errors = models.with_serving_states(versions, serving_url)
    return _render(request, "models.html", versions=versions, serving_url=serving_url or "",
                   serving_errors=errors)
