"""The Starlette app of `starling ui`: read-only pages and a JSON API over one MLMD store."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipelines.hosts import AllowedHosts, HostCheck
from pipelines.ui import api, pages  # pages imports ids, which registers `{...:store_id}`
from pipelines.ui.queries import NotFound
from pipelines.ui.source import StoreSource, StoreUnavailable
from pipelines.ui.templating import environment

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


@dataclasses.dataclass
class UiSettings:
    """What every request shares: the store, the templates, and the serving URL if any."""

    source: StoreSource
    serving_url: str | None = None


def create_app(source: StoreSource, serving_url: str | None = None,
               allowed_hosts: Sequence[str] = ()) -> Starlette:
    """The UI app over one store.

    It answers only requests whose Host is a loopback name, an IP address, one of
    `allowed_hosts` or a name in `$STARLING_ALLOWED_HOSTS` (a DNS rebinding guard; see
    pipelines/hosts.py); ids too long to be store ids are 404s (see ids.py).

    Example:
        >>> from pipelines.ui import StoreSource, create_app
        >>> app = create_app(StoreSource.from_root("runs/demo"))
        >>> app.state.ui.source.location.endswith("metadata.sqlite")
        True
    """
    routes = [
        Route("/", lambda request: RedirectResponse("/runs")),
        Route("/runs", pages.runs_page),
        Route("/runs/{name}", pages.run_page),
        Route("/runs/{name}/log", pages.run_node_log),
        Route("/artifacts", pages.artifacts_page),
        Route("/artifacts/{artifact_id:store_id}", pages.artifact_page),
        Route("/artifacts/{artifact_id:store_id}/report", pages.artifact_report),
        Route("/artifacts/{artifact_id:store_id}/download", pages.artifact_download),
        Route("/compare", pages.compare_page),
        Route("/models", pages.models_page),
        Route("/api/runs", api.runs),
        Route("/api/runs/{name}", api.run),
        Route("/api/artifacts", api.artifacts),
        Route("/api/artifacts/{artifact_id:store_id}", api.artifact),
        Route("/api/lineage/{artifact_id:store_id}", api.lineage),
        Route("/api/compare", api.compare),
        Route("/api/models", api.models),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    handlers = {StoreUnavailable: _store_error, HTTPException: _http_error}
    app = Starlette(routes=routes, exception_handlers=handlers,
                    middleware=[Middleware(HostCheck, allowed=AllowedHosts(allowed_hosts), flag=None)])
    app.state.ui = UiSettings(source, serving_url)
    app.state.templates = environment()
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _store_error(request: Request, error: Exception) -> Response:
    status = 404 if isinstance(error, NotFound) else 503
    title = "Not found" if isinstance(error, NotFound) else "Metadata store unavailable"
    return error_response(request, status, title, str(error))


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return error_response(request, error.status_code, HTTPStatus(error.status_code).phrase,
                          str(error.detail))


def error_response(request: Request, status: int, title: str, message: str) -> Response:
    """An error as JSON for the API, else as a page in the UI's layout."""
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    html = request.app.state.templates.get_template("error.html").render(
        title=title, message=message, location=request.app.state.ui.source.location)
    return HTMLResponse(html, status_code=status)
