"""The JSON API under /api/: the same queries the pages use, for scripts and the pages' script."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from pipelines.ui import artifacts as artifact_queries
from pipelines.ui import models as model_queries
from pipelines.ui import queries
from pipelines.ui.lineage_graph import lineage_graph
from pipelines.ui.pages import (
    DEFAULT_METRIC,
    artifacts_listing,
    comparison,
    read,
    runs_listing,
)


def _json(value: Any) -> JSONResponse:
    return JSONResponse(_plain(value))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name))
                for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def runs(request: Request) -> JSONResponse:
    """GET /api/runs?pipeline=&status=&before=&limit=: a page of runs, newest first."""
    return _json(runs_listing(request))


def run(request: Request) -> JSONResponse:
    """GET /api/runs/NAME: the run, its nodes (executions, inputs, outputs) and edges."""
    name = request.path_params["name"]
    return _json(read(request, lambda store: queries.run_detail(store, name)))


def artifacts(request: Request) -> JSONResponse:
    """GET /api/artifacts?type=&before=&limit=: a page of artifacts, newest first."""
    found, next_before, _ = artifacts_listing(request)
    return _json({"artifacts": [artifact_queries.artifact_summary(a) for a in found],
                  "next_before": next_before})


def artifact(request: Request) -> JSONResponse:
    """GET /api/artifacts/ID: the artifact, its producers and consumers."""
    artifact_id = request.path_params["artifact_id"]
    return _json(read(request, lambda store: artifact_queries.artifact_detail(store, artifact_id)))


def lineage(request: Request) -> JSONResponse:
    """GET /api/lineage/ID: the artifact's up- and downstream graph (nodes and edges)."""
    artifact_id = request.path_params["artifact_id"]
    return _json(read(request, lambda store: lineage_graph(store, artifact_id)))


def compare(request: Request) -> JSONResponse:
    """GET /api/compare?runs=A,B (or models=ID,ID)&metric=auc: side by side, and over spans."""
    metric = request.query_params.get("metric") or DEFAULT_METRIC
    data = read(request, lambda store: comparison(request, store, metric))
    if data is None:
        raise HTTPException(400, "compare needs at least two runs (runs=A,B) or models (models=ID,ID)")
    return _json(data)


def models(request: Request) -> JSONResponse:
    """GET /api/models: pushed versions per model name (with serving states given --serving-url)."""
    versions = read(request, model_queries.pushed_versions)
    errors = model_queries.with_serving_states(versions, request.app.state.ui.serving_url)
    return _json({"models": versions, "serving_errors": errors})
