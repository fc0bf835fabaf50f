"""The HTTP API, compatible with TF Serving's REST API (predict, model status) plus /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving.batcher import Batcher, BatchingOptions
from serving.errors import ClientError, Overloaded
from serving.feature_spec import columns_to_instances
from serving.loaded_model import rows
from serving.repository import ModelRepository
from serving.request_log import RequestLogger

log = logging.getLogger("starling.serving")
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _version(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise ClientError(f"version '{text}' is not a number")
    return int(text)


class ServingApp:
    """Holds the repository, batcher and logger behind the routes."""

    def __init__(self, repository: ModelRepository, batching: BatchingOptions,
                 request_logger: RequestLogger | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.repository = repository
        self.batcher = Batcher(batching)
        self.request_logger = request_logger
        self.max_body_bytes = max_body_bytes

    def build(self) -> Starlette:
        """The Starlette application."""
        routes = [
            Route("/healthz", self.health, methods=["GET"]),
            Route("/v1/models/{name}", self.status, methods=["GET"]),
            Route("/v1/models/{name}/versions/{version}", self.status, methods=["GET"]),
            Route("/v1/models/{name}:predict", self.predict, methods=["POST"]),
            Route("/v1/models/{name}/versions/{version}:predict", self.predict, methods=["POST"]),
        ]
        return Starlette(routes=routes, lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.batcher.start()
        try:
            yield
        finally:
            await self.batcher.stop()
            if self.request_logger is not None:
                self.request_logger.close()

    async def health(self, request: Request) -> JSONResponse:
        """200 when at least one model version serves, else 503."""
        serving = {name: max(m.loaded) for name, m in self.repository.models.items() if m.loaded}
        return JSONResponse({"status": "ok" if serving else "no model loaded", "models": serving},
                            status_code=200 if serving else 503)

    async def status(self, request: Request) -> JSONResponse:
        """TF Serving's model status: one entry per known version."""
        try:
            served = self.repository.model(request.path_params["name"])
            wanted = _version(request.path_params.get("version"))
            states = [s for s in served.status() if wanted is None or s.version == wanted]
            if wanted is not None and not states:
                served.get(wanted)  # raises NotFound with the available versions
        except ClientError as error:
            return _error(error.status, str(error))
        return JSONResponse({"model_version_status": [
            {"version": str(s.version), "state": s.state,
             "status": {"error_code": "OK" if s.state == "AVAILABLE" else "UNKNOWN",
                        "error_message": s.reason}} for s in states]})

    async def predict(self, request: Request) -> JSONResponse:
        """Predicts for `{"instances": [...]}` (rows) or `{"inputs": {...}}` (columns)."""
        try:
            model = self.repository.model(request.path_params["name"]).get(
                _version(request.path_params.get("version")))
            body = await self._json_body(request)
            instances, columnar = self._instances(body)
            examples = [model.feature_spec.to_example_bytes(instance, f"instances[{i}]")
                        for i, instance in enumerate(instances)]
            outputs = await self.batcher.predict(model, examples)
        except ClientError as error:
            return _error(error.status, str(error))
        except Overloaded as error:
            return _error(503, f"server overloaded: {error}; retry shortly", {"Retry-After": "1"})
        except Exception as error:  # the model itself failed: a server-side error
            log.exception("prediction failed")
            return _error(500, f"prediction failed: {type(error).__name__}: {error}")
        if self.request_logger is not None:
            asyncio.get_running_loop().run_in_executor(None, self.request_logger.log, model.name, examples)
        if columnar:
            return JSONResponse({"outputs": {name: array.tolist() for name, array in outputs.items()},
                                 "model_version": str(model.version)})
        return JSONResponse({"predictions": rows(outputs, len(examples)),
                             "model_version": str(model.version)})

    async def _json_body(self, request: Request) -> Any:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            raise ClientError(f"request body of {length} bytes exceeds the {self.max_body_bytes}-byte limit")
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > self.max_body_bytes:
                raise ClientError(f"request body exceeds the {self.max_body_bytes}-byte limit")
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ClientError(f"malformed JSON: {error}") from None

    @staticmethod
    def _instances(body: Any) -> tuple[list[Any], bool]:
        if not isinstance(body, dict) or ("instances" in body) == ("inputs" in body):
            raise ClientError("expected a JSON object with either 'instances' (rows) or 'inputs' (columns)")
        if "inputs" in body:
            return columns_to_instances(body["inputs"]), True
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise ClientError("'instances': expected a non-empty list of objects")
        return instances, False
