"""The REST API, TF Serving's: status, metadata, predict, classify, regress, labels, metrics.

Every answer is JSON; every error is `{"error": "..."}` with the HTTP status TF Serving gives
its status code (400 INVALID_ARGUMENT and FAILED_PRECONDITION, 404 NOT_FOUND, 405, 503
UNAVAILABLE with Retry-After, 504 DEADLINE_EXCEEDED, 500 INTERNAL).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from serving import rest_bodies, status
from serving.errors import ClientError, Overloaded, ServingError
from serving.inference import OFFLOAD_BYTES, Answer, Inference, Target
from serving.metrics import CONTENT_TYPE
from serving.model_config import parse_version
from serving.watchdog import health_report

log = logging.getLogger("starling.serving")
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
BODIES_PER_BUDGET = 4  # by default, bodies held at once may total four of the largest allowed
_MODEL_PATH = re.compile(r"^(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
                         r"(?:(?P<metadata>/metadata)|:(?P<verb>[A-Za-z]+))?$")
_VERBS = ("predict", "classify", "regress")


class JSONBody(Response):
    """A JSON response written by orjson (numpy arrays natively)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serializes `content`."""
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def error_response(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONBody:
    """TF Serving's error body."""
    return JSONBody({"error": message}, status_code=status_code, headers=headers)


class EarlyShedding:
    """ASGI wrapper answering 503 to inference requests while the concurrency limit is reached.

    It runs before routing and before the body is read, so a refused request costs as little as
    the server can make it.
    """

    BODY = orjson.dumps({"error": "the server is at its concurrency limit; retry shortly"})
    HEADERS = [(b"content-type", b"application/json"), (b"retry-after", b"1")]

    def __init__(self, app: Any, inference: Inference):
        self.app = app
        self.inference = inference

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Sheds, or passes the request on."""
        if scope["type"] == "http" and scope["method"] == "POST":
            head, _, verb = scope["path"].rpartition(":")
            if verb in _VERBS and head.startswith("/v1/models/") and self.inference.shed_early(
                    f"rest_{verb}", head[len("/v1/models/"):].split("/")[0]):
                await send({"type": "http.response.start", "status": 503, "headers": self.HEADERS})
                await send({"type": "http.response.body", "body": self.BODY})
                return
        await self.app(scope, receive, send)


class RestApi:
    """The Starlette application over one shared Inference core."""

    def __init__(self, inference: Inference, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
                 max_buffered_bytes: int | None = None):
        self.inference = inference
        self.max_body_bytes = max_body_bytes
        self.bodies = BodyBudget(max_buffered_bytes or BODIES_PER_BUDGET * max_body_bytes)
        self._lifespan_factory = lifespan

    def build(self) -> EarlyShedding:
        """The ASGI application: Starlette's routes behind early shedding."""
        routes = [
            Route("/healthz", self.health, methods=["GET"]),
            Route("/monitoring/prometheus/metrics", self.metrics, methods=["GET"]),
            Route("/v1/models/{path:path}", self.models, methods=["GET", "POST"]),
        ]
        return EarlyShedding(Starlette(routes=routes, lifespan=self._lifespan,
                                       exception_handlers={HTTPException: self._http_error}), self.inference)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self._lifespan_factory is None:
            yield
            return
        async with self._lifespan_factory():
            yield

    async def _http_error(self, request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        detail = ("method not allowed" if error.status_code == 405
                  else f"no such endpoint: {request.method} {request.url.path}")
        return error_response(error.status_code, detail)

    async def health(self, request: Request) -> Response:
        """200 when the server can serve, else 503 naming the problems (see serving/watchdog.py)."""
        status_code, body = health_report(self.inference)
        return JSONBody(body, status_code=status_code)

    async def metrics(self, request: Request) -> Response:
        """Prometheus text format."""
        return Response(self.inference.metrics.text(), media_type=CONTENT_TYPE)

    async def models(self, request: Request) -> Response:
        """Dispatches `/v1/models/...` by its tail: status, metadata, or a verb."""
        match = _MODEL_PATH.match(request.path_params["path"])
        if match is None:
            return error_response(404, f"no such endpoint: {request.url.path}")
        verb = match["verb"]
        if verb is not None and verb not in _VERBS:
            return error_response(404, f"unknown method ':{verb}' (expected one of "
                                       f"{', '.join(':' + v for v in _VERBS)})")
        wants_post = verb is not None
        if (request.method == "POST") != wants_post:
            allowed = "POST" if wants_post else "GET"
            return error_response(405, f"{request.method} is not allowed on {request.url.path}; "
                                       f"use {allowed}", {"Allow": allowed})
        handler: Callable[[Request, re.Match[str]], Awaitable[Response]]
        handler = self._infer if wants_post else (self._metadata if match["metadata"] else self._status)
        try:
            return await handler(request, match)
        except ClientDisconnect:  # gone before its body arrived (or timed out): nobody to answer
            return Response(status_code=499)
        except ServingError as error:
            return error_response(error.status, str(error), error.headers or None)
        except Exception as error:  # a bug of ours: still JSON, and logged with its trace
            log.exception("request to %s failed", request.url.path)
            return error_response(500, f"internal error: {type(error).__name__}: {error}")

    async def _status(self, request: Request, match: re.Match[str]) -> Response:
        served = self.inference.repository.model(match["name"])
        response = status.status_response(served, parse_version(match["version"]), match["label"])
        return JSONBody(status.status_json(response))

    async def _metadata(self, request: Request, match: re.Match[str]) -> Response:
        served = self.inference.repository.model(match["name"])
        model = served.get(parse_version(match["version"]), match["label"])
        return JSONBody(status.metadata_json(model))

    async def _infer(self, request: Request, match: re.Match[str]) -> Response:
        async with self._body(request) as data:
            heavy = len(data) > OFFLOAD_BYTES  # parsed, built and answered off the event loop
            body = (await self.inference.offload(rest_bodies.parse_json, data) if heavy
                    else rest_bodies.parse_json(data))
            verb = match["verb"]
            target = Target(match["name"], parse_version(match["version"]), match["label"],
                            rest_bodies.signature_name(body))
            if verb == "predict":
                answer = await self.inference.run(
                    "rest_predict", target, verb,
                    lambda model, signature: rest_bodies.predict_examples(body, model, signature),
                    heavy=heavy)
            else:
                answer = await self.inference.run(
                    f"rest_{verb}", target, verb,
                    lambda model, _: rest_bodies.inference_examples(body, model), heavy=heavy)
            columnar = "inputs" in body
            return await self.inference.offload(_answer_body, verb, answer, columnar) if heavy else (
                _answer_body(verb, answer, columnar))

    @contextlib.asynccontextmanager
    async def _body(self, request: Request) -> AsyncIterator[bytes]:
        """The request's body, its bytes counted against the budget until the answer is made."""
        reserved = 0
        try:
            length = request.headers.get("content-length")
            if length is not None and length.isdigit():
                if int(length) > self.max_body_bytes:
                    raise ClientError(f"request body of {length} bytes exceeds the "
                                      f"{self.max_body_bytes}-byte limit")
                reserved = self.bodies.reserve(int(length))
            chunks, size = [], 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise ClientError(f"request body exceeds the {self.max_body_bytes}-byte limit")
                if size > reserved:  # no Content-Length (chunked), or more than it said
                    reserved += self.bodies.reserve(size - reserved)
                chunks.append(chunk)
            yield b"".join(chunks)
        finally:
            self.bodies.release(reserved)


class BodyBudget:
    """Bytes of request bodies held at once (being read, parsed or served), bounded.

    Past the budget a request is refused with 503 and Retry-After before its body is read, so
    clients sending large bodies together cannot take the server's memory.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.held = 0

    def reserve(self, size: int) -> int:
        """Counts `size` more bytes; returns `size`.

        Raises:
            Overloaded: the budget would be exceeded.
        """
        if self.held + size > self.limit:
            raise Overloaded(f"{self.held} bytes of request bodies are being read or served and "
                             f"{size} more would pass the {self.limit}-byte budget; retry shortly")
        self.held += size
        return size

    def release(self, size: int) -> None:
        """Gives back bytes counted by `reserve`."""
        self.held -= size


def _answer_body(verb: str, answer: Answer, columnar: bool) -> JSONBody:
    """TF Serving's answer to a predict, classify or regress request (rendered JSON)."""
    if verb == "predict":
        return JSONBody(rest_bodies.predict_response(answer.outputs, answer.count, columnar,
                                                     answer.model.version))
    results = (rest_bodies.classify_results(answer.outputs) if verb == "classify"
               else rest_bodies.regress_results(answer.outputs))
    return JSONBody({"results": results})
