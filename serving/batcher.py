"""Server-side batching: concurrent requests merge into one model call, bounded by a queue."""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from serving.errors import Overloaded
from serving.loaded_model import LoadedModel


@dataclasses.dataclass
class BatchingOptions:
    """How requests are merged.

    Attributes:
        enabled: Merge concurrent requests (False: each request is its own model call).
        max_batch_size: Most examples in one model call.
        max_wait_ms: How long the first request of a batch waits for company.
        max_queued_requests: Requests waiting beyond this are refused (503).
        threads: Model calls that may run at once.
    """

    enabled: bool = True
    max_batch_size: int = 64
    max_wait_ms: float = 2.0
    max_queued_requests: int = 256
    threads: int = 2


@dataclasses.dataclass
class _Request:
    model: LoadedModel
    examples: list[bytes]
    future: asyncio.Future


class Batcher:
    """Queues requests and runs them through the model in batches on a thread pool."""

    def __init__(self, options: BatchingOptions):
        self.options = options
        self._queue: asyncio.Queue[_Request] | None = None
        self._pool = ThreadPoolExecutor(options.threads, thread_name_prefix="predict")
        self._workers: list[asyncio.Task] = []
        self.pending = 0

    async def start(self) -> None:
        """Starts the batch workers on the running event loop."""
        self._queue = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.options.threads)]

    async def stop(self) -> None:
        """Stops the workers."""
        for worker in self._workers:
            worker.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def predict(self, model: LoadedModel, examples: list[bytes]) -> dict[str, np.ndarray]:
        """Runs `examples` through `model`, batched with other requests.

        Raises:
            Overloaded: the queue is full.
        """
        if self.pending >= self.options.max_queued_requests:
            raise Overloaded(f"{self.pending} requests are queued")
        self.pending += 1
        try:
            if not self.options.enabled:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._pool, model.predict, examples)
            future = asyncio.get_running_loop().create_future()
            self._queue.put_nowait(_Request(model, examples, future))
            return await future
        finally:
            self.pending -= 1

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect(loop)
            for model_batch in _by_model(batch):
                await self._run(loop, model_batch)

    async def _collect(self, loop: asyncio.AbstractEventLoop) -> list[_Request]:
        first = await self._queue.get()
        batch, size = [first], len(first.examples)
        deadline = loop.time() + self.options.max_wait_ms / 1000
        while size < self.options.max_batch_size:
            try:
                request = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    request = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            batch.append(request)
            size += len(request.examples)
        return batch

    async def _run(self, loop: asyncio.AbstractEventLoop, batch: list[_Request]) -> None:
        examples = [example for request in batch for example in request.examples]
        try:
            outputs = await loop.run_in_executor(self._pool, batch[0].model.predict, examples)
        except Exception as error:  # the model failed on this batch: every caller hears why
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error)
            return
        start = 0
        for request in batch:
            end = start + len(request.examples)
            if not request.future.done():
                request.future.set_result({name: array[start:end] for name, array in outputs.items()})
            start = end


def _by_model(batch: list[_Request]) -> list[list[_Request]]:
    groups: dict[int, list[_Request]] = {}
    for request in batch:
        groups.setdefault(id(request.model), []).append(request)
    return list(groups.values())

