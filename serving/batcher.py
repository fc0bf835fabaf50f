"""Server-side batching: concurrent requests merge into one model call on a thread pool.

A worker takes the first waiting request and everything queued behind it (up to the batch
size). It waits for company only while others keep arriving: a lone request runs at once, so
light traffic pays no batching delay. A request whose deadline passed before its batch ran is
answered DEADLINE_EXCEEDED without running; one whose caller gave up (cancelled) is dropped.

Isolation: a batch the model rejects or fails on is split in halves and each half retried, down
to single requests, so only the requests that cause the failure hear of it. An unexpected error
in a worker fails only the requests of the batch at hand; the worker carries on, and a worker
that died anyway is restarted by `ensure_workers` (the watchdog calls it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

import numpy as np

from serving.errors import ClientError, DeadlineExceeded, PredictionFailed, ServingError
from serving.loaded_model import LoadedModel

log = logging.getLogger("starling.serving")
T = TypeVar("T")


@dataclasses.dataclass
class BatchingOptions:
    """How requests are merged.

    Attributes:
        enabled: Merge concurrent requests (False: each request is its own model call).
        max_batch_size: Most examples in one model call.
        max_wait_ms: How long a batch that already has company waits for more.
        threads: Model calls that may run at once.
    """

    enabled: bool = True
    max_batch_size: int = 64
    max_wait_ms: float = 1.0
    threads: int = 2


class OutputShapeError(PredictionFailed):
    """The model's outputs are not one row per example: the model's fault, whatever the input."""


class Prediction(NamedTuple):
    """A request's outputs and how long it queued behind full batches before its batch ran.

    A request whose batch was not full waited only for the event loop to schedule the worker,
    not for the model; that wait counts as zero, so the concurrency limit reacts to queueing in
    front of the model and not to a busy event loop (which shedding cannot relieve).
    """

    outputs: dict[str, np.ndarray]
    queue_seconds: float


@dataclasses.dataclass
class _Request:
    model: LoadedModel
    signature: str
    examples: list[bytes]
    future: asyncio.Future
    deadline: float
    enqueued: float
    queue_seconds: float = 0.0


class Batcher:
    """Queues requests and runs them through their model in batches on a thread pool."""

    def __init__(self, options: BatchingOptions, on_batch: Callable[[str, int], None] | None = None):
        self.options = options
        self.on_batch = on_batch
        self._queue: asyncio.Queue[_Request] | None = None
        self._pool = ThreadPoolExecutor(options.threads, thread_name_prefix="predict")
        self._workers: list[asyncio.Task] = []
        self._lag_probe: asyncio.Task | None = None
        self.loop_lag = 0.0

    async def start(self) -> None:
        """Starts the batch workers (and the event-loop lag probe) on the running event loop."""
        self._queue = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.options.threads)]
        self._lag_probe = asyncio.create_task(self._probe_lag())

    def ensure_workers(self) -> int:
        """Replaces batch workers that ended (they never should); returns how many were replaced."""
        if not self.options.enabled or self._queue is None:
            return 0
        replaced = 0
        for index, worker in enumerate(self._workers):
            if worker.done():
                reason = "cancelled" if worker.cancelled() else repr(worker.exception())
                log.error("batch worker %d had stopped (%s); starting another", index, reason)
                self._workers[index] = asyncio.create_task(self._work())
                replaced += 1
        return replaced

    async def _probe_lag(self, interval: float = 0.01) -> None:
        """Keeps `loop_lag`: how late a timer fires, smoothed (the event loop's own queueing)."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(interval)
            late = max(loop.time() - started - interval, 0.0)
            self.loop_lag = 0.7 * self.loop_lag + 0.3 * late

    async def stop(self) -> None:
        """Stops the workers."""
        for worker in [*self._workers, *([self._lag_probe] if self._lag_probe else [])]:
            worker.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def alive_workers(self) -> int:
        """Workers still running (all of them unless stopped)."""
        return sum(not worker.done() for worker in self._workers)

    @property
    def expected_workers(self) -> int:
        """Workers there should be (none without batching)."""
        return self.options.threads if self.options.enabled else 0

    async def predict(self, model: LoadedModel, signature: str, examples: list[bytes],
                      deadline: float) -> Prediction:
        """Runs `examples` through a signature of `model`, batched with other requests.

        Args:
            model: The loaded version to run.
            signature: The signature's name.
            examples: Serialized tf.Examples.
            deadline: The event loop's time by which the answer is due.

        Raises:
            DeadlineExceeded: the deadline passed first.
            ServingError: the model rejected or failed on the batch.
        """
        loop = asyncio.get_running_loop()
        if not self.options.enabled:
            call = loop.run_in_executor(self._pool, _call_model, model, examples, signature)
            return Prediction(await before_deadline(call, deadline, loop), 0.0)
        assert self._queue is not None, "Batcher.start() was not called"
        request = _Request(model, signature, examples, loop.create_future(), deadline, loop.time())
        self._queue.put_nowait(request)
        return Prediction(await before_deadline(request.future, deadline, loop), request.queue_seconds)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect(loop)
            for group in _by_signature(batch):
                try:
                    await self._run(loop, group)
                except Exception as error:  # never let a worker die: fail this group, go on
                    log.exception("batch of %d requests failed unexpectedly", len(group))
                    _fail(group, PredictionFailed(f"prediction failed: {type(error).__name__}: {error}"))

    async def _collect(self, loop: asyncio.AbstractEventLoop) -> list[_Request]:
        assert self._queue is not None
        batch = [await self._queue.get()]
        size = len(batch[0].examples)
        deadline = loop.time() + self.options.max_wait_ms / 1000
        while size < self.options.max_batch_size:
            if self._queue.empty():
                remaining = deadline - loop.time()
                if len(batch) == 1 or remaining <= 0:
                    break  # alone, or the wait is over: run now
                try:
                    request = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            else:
                request = self._queue.get_nowait()
            batch.append(request)
            size += len(request.examples)
        return batch

    async def _run(self, loop: asyncio.AbstractEventLoop, group: list[_Request]) -> None:
        now = loop.time()
        expired = [r for r in group if r.deadline <= now]
        _fail(expired, DeadlineExceeded("the request's deadline passed while it was queued"))
        live = [r for r in group if not r.future.done()]
        if not live:
            return
        examples = [example for request in live for example in request.examples]
        if len(examples) >= self.options.max_batch_size:  # demand beyond a batch: real queueing
            for request in live:
                request.queue_seconds = now - request.enqueued
        if self.on_batch is not None:
            self.on_batch(live[0].model.name, len(examples))
        try:
            outputs = await loop.run_in_executor(self._pool, _call_model, live[0].model, examples,
                                                 live[0].signature)
        except OutputShapeError as error:
            _fail(live, error)
            return
        except (ClientError, PredictionFailed) as error:
            if len(live) == 1:
                _fail(live, error)
                return
            half = len(live) // 2  # someone's input broke the batch: find whose, spare the rest
            log.info("a batch of %d requests failed (%s); retrying it in halves", len(live), error)
            await self._run(loop, live[:half])
            await self._run(loop, live[half:])
            return
        start = 0
        for request in live:
            end = start + len(request.examples)
            if not request.future.done():
                request.future.set_result({name: array[start:end] for name, array in outputs.items()})
            start = end


def _call_model(model: LoadedModel, examples: list[bytes], signature: str) -> dict[str, np.ndarray]:
    """One model call on the thread pool; any failure becomes a ServingError.

    That is a ClientError (400) when TensorFlow rejected the input, else PredictionFailed (500).
    """
    try:
        outputs = model.predict(examples, signature)
    except ServingError:
        raise
    except Exception as error:  # the model failed on these examples
        raise PredictionFailed(f"prediction failed: {type(error).__name__}: {error}") from None
    _check_batch_dimension(outputs, len(examples))
    return outputs


def _check_batch_dimension(outputs: dict[str, np.ndarray], count: int) -> None:
    for name, array in outputs.items():
        if array.ndim == 0 or array.shape[0] != count:
            raise OutputShapeError(f"output '{name}' has shape {list(array.shape)}, not one row per "
                                   f"example ({count})")


def _fail(requests: list[_Request], error: Exception) -> None:
    for request in requests:
        if not request.future.done():
            request.future.set_exception(error)


async def before_deadline(awaitable: asyncio.Future[T], deadline: float,
                          loop: asyncio.AbstractEventLoop | None = None) -> T:
    """The awaitable's result, or DeadlineExceeded once the event loop's clock passes `deadline`.

    The awaitable is cancelled at the deadline (a queued request is then dropped unrun).
    """
    loop = loop or asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(awaitable, max(deadline - loop.time(), 0.0))
    except TimeoutError:
        raise DeadlineExceeded("the request's deadline passed before it was answered") from None


def _by_signature(batch: list[_Request]) -> list[list[_Request]]:
    groups: dict[tuple[int, str], list[_Request]] = {}
    for request in batch:
        groups.setdefault((id(request.model), request.signature), []).append(request)
    return list(groups.values())
