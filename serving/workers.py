"""`starling serve --workers N`: N whole model servers sharing one REST and one gRPC port.

Each worker is a complete server (model repository, batcher, concurrency limit, both APIs) in
its own process, so N event loops parse HTTP and JSON on N cores; the kernel spreads incoming
connections across them (SO_REUSEPORT). This supervisor holds the ports (bound, never
listening, so a port in use fails before anything starts), starts the workers, waits until every
one serves, replaces a worker that dies, and stops them all on SIGINT or SIGTERM.

Each worker keeps its own metrics, batches and limit: `/monitoring/prometheus/metrics` answers
for the worker that took the connection (its `pid` is in `/healthz`), and every worker loads its
own copy of each model.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
import os
import queue
import signal
import socket
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from serving.model_config import ConfigError
from serving.server import ServerOptions, bind, check_options, serve_forever

log = logging.getLogger("starling.serving")
QUICK_DEATH_SECONDS = 30.0  # a worker dying this soon after starting counts towards giving up
MAX_QUICK_DEATHS = 3


@dataclasses.dataclass
class _Ports:
    """The supervisor's hold on the shared ports (sockets bound with SO_REUSEPORT, not listening)."""

    rest: socket.socket
    grpc: socket.socket | None

    def close(self) -> None:
        self.rest.close()
        if self.grpc is not None:
            self.grpc.close()


def _hold_ports(options: ServerOptions) -> tuple[_Ports, ServerOptions]:
    """Binds both ports for the workers to share; returns the options with the ports bound."""
    rest = bind(options.host, options.port, "REST", reuse_port=True, listen=False)
    grpc = None
    if options.grpc_port is not None:
        try:
            grpc = bind(options.host, options.grpc_port, "gRPC", reuse_port=True, listen=False)
        except ConfigError:
            rest.close()
            raise
    shared = dataclasses.replace(
        options, port=int(rest.getsockname()[1]), reuse_port=True,
        grpc_port=int(grpc.getsockname()[1]) if grpc is not None else None)
    return _Ports(rest, grpc), shared


def _follow_parent(parent_pid: int) -> None:
    """Stops this worker once its supervisor is gone, even after a `kill -9` of the supervisor.

    SIGTERM to itself: uvicorn shuts down cleanly (before it runs, the default action ends it).
    """
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker_main(options: ServerOptions, events: Any, parent_pid: int) -> None:
    """A worker process: one whole server; reports ("ready", pid) or ("error", message)."""
    threading.Thread(target=_follow_parent, args=(parent_pid,), name="follow-supervisor",
                     daemon=True).start()
    try:
        serve_forever(options, lambda _: events.put(("ready", os.getpid())))
    except ConfigError as error:
        events.put(("error", str(error)))
        raise SystemExit(2) from None


class Supervisor:
    """Starts, watches and stops the worker processes of one `starling serve --workers N`."""

    def __init__(self, options: ServerOptions, workers: int):
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        check_options(options)
        self.ports, self.options = _hold_ports(options)
        self.workers = workers
        self._context = multiprocessing.get_context("spawn")  # no forked TensorFlow or event loop
        self._events = self._context.Queue()
        self._processes: list[BaseProcess] = []
        self._started: dict[int, float] = {}
        self._quick_deaths = 0

    def _start_one(self) -> BaseProcess:
        process = self._context.Process(target=_worker_main, args=(self.options, self._events, os.getpid()),
                                        name="starling-serve-worker", daemon=False)
        process.start()
        self._started[id(process)] = time.monotonic()
        return process

    def start(self) -> None:
        """Starts every worker and waits until each serves (call `stop` afterwards in any case).

        Raises:
            ConfigError: a worker could not start (its message).
        """
        self._processes = [self._start_one() for _ in range(self.workers)]
        ready: set[int] = set()
        while len(ready) < self.workers:
            try:
                kind, value = self._events.get(timeout=0.5)
            except queue.Empty:
                dead = [p for p in self._processes if p.exitcode is not None]
                if dead:
                    raise ConfigError(f"a worker exited with code {dead[0].exitcode} before serving "
                                      "(its output above says why)") from None
                continue
            if kind == "error":
                raise ConfigError(str(value))
            ready.add(int(value))

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [p.pid for p in self._processes if p.pid is not None and p.exitcode is None]

    def watch(self, should_stop: Callable[[], bool]) -> int:
        """Replaces workers that die until `should_stop()`; 1 if workers keep dying at start."""
        while not should_stop():
            sentinels = [p.sentinel for p in self._processes]
            multiprocessing.connection.wait(sentinels, timeout=0.5)
            for index, process in enumerate(self._processes):
                if process.exitcode is None or should_stop():
                    continue
                lived = time.monotonic() - self._started.pop(id(process), 0.0)
                self._quick_deaths = self._quick_deaths + 1 if lived < QUICK_DEATH_SECONDS else 0
                if self._quick_deaths >= MAX_QUICK_DEATHS:
                    log.error("workers keep exiting right after they start; stopping")
                    return 1
                log.warning("worker %s exited with code %s after %.0f s; starting another",
                            process.pid, process.exitcode, lived)
                self._processes[index] = self._start_one()
        return 0

    def stop(self, grace_seconds: float = 15.0) -> None:
        """Stops every worker (SIGTERM, then SIGKILL past the grace period) and frees the ports."""
        for process in self._processes:
            if process.exitcode is None:
                process.terminate()
        deadline = time.monotonic() + grace_seconds
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join()
        self.ports.close()


def serve_with_workers(options: ServerOptions, workers: int,
                       on_ready: Callable[[ServerOptions, list[int]], None]) -> int:
    """Serves with `workers` processes until SIGINT or SIGTERM; `on_ready` runs once all serve.

    Returns:
        0 after a requested stop, 1 when workers keep dying as they start.

    Raises:
        ConfigError: a missing base path, a port in use, or a worker that could not start.
    """
    supervisor = Supervisor(options, workers)
    stop_requested = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.start()
        on_ready(supervisor.options, supervisor.pids)
        return supervisor.watch(lambda: stop_requested)
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
