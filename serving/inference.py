"""The path every inference request takes, whatever its API (REST or gRPC).

Resolve the model version and signature (cheap, before admission) → admit or shed → build the
serialized examples → batch with other requests under a deadline → record metrics, traffic and
the request log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from serving.admission import AdaptiveLimiter, Slot
from serving.batcher import Batcher, before_deadline
from serving.errors import Overloaded, ServingError
from serving.loaded_model import LoadedModel, Signature
from serving.metrics import ServerMetrics
from serving.repository import ModelRepository
from serving.request_log import RequestLogger
from serving.traffic import TrafficWatch

log = logging.getLogger("starling.serving")
T = TypeVar("T")
OFFLOAD_BYTES = 256 * 1024  # a request this large is parsed, built and answered off the event loop


@dataclasses.dataclass(frozen=True)
class Target:
    """What a request addresses: a model, optionally a version or label, and a signature."""

    model: str
    version: int | None = None
    label: str | None = None
    signature: str | None = None


@dataclasses.dataclass
class Answer:
    """A served request: the version and signature that answered, and the outputs."""

    model: LoadedModel
    signature: Signature
    outputs: dict[str, np.ndarray]
    count: int


class Inference:
    """Shared by the REST and gRPC front ends: one repository, batcher, limiter and metrics."""

    def __init__(self, repository: ModelRepository, batcher: Batcher, limiter: AdaptiveLimiter,
                 metrics: ServerMetrics, request_timeout_ms: float,
                 request_logger: RequestLogger | None = None, traffic: TrafficWatch | None = None):
        self.repository = repository
        self.batcher = batcher
        self.limiter = limiter
        self.metrics = metrics
        self.request_timeout = request_timeout_ms / 1000
        self.request_logger = request_logger
        self.traffic = traffic or TrafficWatch()
        self.request_log_error: str | None = None
        self._offload_pool = ThreadPoolExecutor(1, thread_name_prefix="offload")

    def resolve(self, target: Target, method: str) -> tuple[LoadedModel, Signature]:
        """The model version and signature a request addresses (raises NotFound or ClientError)."""
        model = self.repository.model(target.model).get(target.version, target.label)
        return model, model.signature(target.signature, method)

    async def run(self, api: str, target: Target, method: str,
                  build_examples: Callable[[LoadedModel, Signature], list[bytes]],
                  timeout: float | None = None, heavy: bool = False) -> Answer:
        """Serves one request; `build_examples` runs only once the request is admitted.

        The admission slot is released on every way out: an answer, an error of ours or the
        model's, the deadline, or the caller's cancellation (a gRPC client's deadline or cancel).

        Args:
            api: The API name for metrics (e.g. `rest_predict`, `grpc_classify`).
            target: The model, version or label, and signature addressed.
            method: `predict`, `classify` or `regress`.
            build_examples: Makes (and checks) the serialized tf.Examples from the request.
            timeout: Seconds the caller allows (e.g. a gRPC deadline); the server's own
                `--request-timeout-ms` caps it. The clock starts at admission.
            heavy: A large request: `build_examples` runs on the offload thread, so the event
                loop keeps serving small requests meanwhile.

        Raises:
            ServingError: with TF Serving's status code (the request is counted under it).
        """
        model_name, version = target.model, str(target.version or "")
        started = time.perf_counter()
        slot: Slot | None = None
        code, queued, clients_deadline = "INTERNAL", None, False
        try:
            model, signature = self.resolve(target, method)
            version = str(model.version)
            allowed = self.request_timeout
            if timeout is not None and timeout < allowed:
                allowed, clients_deadline = max(timeout, 0.0), True
            slot = self._admit(api, model_name, allowed)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + allowed
            if heavy:
                examples = await before_deadline(self.offload(build_examples, model, signature), deadline)
            else:
                examples = build_examples(model, signature)
            outputs, queued = await self.batcher.predict(model, signature.name, examples, deadline)
            code = "OK"
        except ServingError as error:
            code = error.code
            raise
        except asyncio.CancelledError:  # the caller gave up: a gRPC cancel or deadline
            code = "CANCELLED"
            raise
        finally:
            gave_up = code == "CANCELLED" or (code == "DEADLINE_EXCEEDED" and clients_deadline)
            self._finish(api, model_name, version, code, started, slot, queued, gave_up)
        self._log_request(model_name, examples)
        return Answer(model, signature, outputs, len(examples))

    def offload(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Runs CPU-heavy request work on the one offload thread.

        A large body's parsing, its examples and its answer go there: the event loop stays free
        for small requests, and one such job runs at a time.
        """
        return asyncio.get_running_loop().run_in_executor(self._offload_pool, function, *args)

    def shed_early(self, api: str, model_name: str) -> bool:
        """True (and counted) when a request would be refused now: callers answer 503 at once."""
        if not self.limiter.full:
            return False
        self.limiter.shed += 1
        self.metrics.shed.labels(model_name).inc()
        self.metrics.requests.labels(model_name, "", api, "UNAVAILABLE").inc()
        self.traffic.record(model_name, False)
        return True

    def _admit(self, api: str, model_name: str, timeout: float) -> Slot:
        try:
            return self.limiter.acquire(f"{api} {model_name}", timeout)
        except Overloaded:
            self.metrics.shed.labels(model_name).inc()
            raise
        finally:
            self.metrics.concurrency_limit.set(int(self.limiter.limit))
            self.metrics.queue_depth.set(self.limiter.in_flight)
            self.metrics.loop_lag.set(self.batcher.loop_lag)

    def _finish(self, api: str, model_name: str, version: str, code: str, started: float,
                slot: Slot | None, queued: float | None, client_gave_up: bool) -> None:
        """Counts an answer and frees its slot.

        The limiter hears the queueing delay (all the time, on failure) and whether the server
        failed, unless the client gave up first (a cancel, or its own shorter deadline): that
        is no sign of overload.
        """
        elapsed = time.perf_counter() - started
        server_failure = code in ("INTERNAL", "DEADLINE_EXCEEDED") and not client_gave_up
        if slot is not None:
            delay = None if client_gave_up else elapsed if queued is None else queued
            self.limiter.release(slot, delay, not server_failure)
            self.metrics.queue_depth.set(self.limiter.in_flight)
            self.metrics.latency.labels(model_name, api).observe(elapsed)
        self.metrics.requests.labels(model_name, version, api, code).inc()
        self.traffic.record(model_name, server_failure)

    def _log_request(self, model_name: str, examples: list[bytes]) -> None:
        if self.request_logger is None:
            return
        loop = asyncio.get_running_loop()
        pending = loop.run_in_executor(None, self.request_logger.log, model_name, examples)
        pending.add_done_callback(self._request_logged)

    def _request_logged(self, done: asyncio.Future) -> None:
        error = done.exception()
        if error is None:
            return
        self.metrics.request_log_errors.inc()
        message = f"{type(error).__name__}: {error}"
        if message != self.request_log_error:  # each new kind of failure is logged once
            log.error("request log write failed: %s", message)
        self.request_log_error = message
