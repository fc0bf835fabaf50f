"""Starts the model server (REST and gRPC on one event loop): in the foreground or on a thread."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from pipelines import storage
from pipelines.hosts import AllowedHosts, HostCheck
from serving.admission import AdaptiveLimiter, LimiterOptions
from serving.app import DEFAULT_MAX_BODY_BYTES, RestApi
from serving.batcher import Batcher, BatchingOptions
from serving.connections import ConnectionLimits, bounded_protocol
from serving.inference import Inference
from serving.loaded_model import LoadedModel
from serving.metrics import ServerMetrics
from serving.model_config import ConfigError, ModelConfig, VersionPolicy
from serving.repository import ModelRepository
from serving.request_log import RequestLogger
from serving.watchdog import Watchdog


@dataclasses.dataclass
class ServerOptions:
    """Everything `starling serve` takes.

    Attributes:
        grpc_port: TF Serving's gRPC API port (0: any free port; None: no gRPC).
        request_timeout_ms: A request not answered by then gets 504 / DEADLINE_EXCEEDED.
        configs: Models from a TF Serving config file (then `model_base_path` is not scanned).
        reuse_port: Share the ports with other worker processes (SO_REUSEPORT; see workers.py).
        watchdog_seconds: How often the watchdog frees leaked slots (see watchdog.py).
        connections: Read timeouts and the connection cap (see connections.py).
        allowed_hosts: Host names served besides loopback names and IP addresses (see hosts.py).
        max_buffered_bytes: Request bodies held at once may total this (None: four times
            `max_body_bytes`); past it, 503 (see app.BodyBudget).
    """

    model_base_path: str
    model_names: list[str] = dataclasses.field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8501
    grpc_port: int | None = None
    poll_seconds: float = 2.0
    policy: VersionPolicy = dataclasses.field(default_factory=VersionPolicy)
    labels: dict[str | None, dict[str, int]] = dataclasses.field(default_factory=dict)
    configs: list[ModelConfig] = dataclasses.field(default_factory=list)
    batching: BatchingOptions = dataclasses.field(default_factory=BatchingOptions)
    limiter: LimiterOptions = dataclasses.field(default_factory=LimiterOptions)
    request_timeout_ms: float = 10_000.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_buffered_bytes: int | None = None
    request_log_dir: str | None = None
    request_log_sample_rate: float = 0.1
    reuse_port: bool = False
    watchdog_seconds: float = 1.0
    connections: ConnectionLimits = dataclasses.field(default_factory=ConnectionLimits)
    allowed_hosts: list[str] = dataclasses.field(default_factory=list)


def warm_up(model: LoadedModel) -> None:
    """Runs one prediction on a synthetic example before a version serves (spec known only)."""
    features = model.feature_spec.features
    if not features:
        return
    defaults = {"float": 0.0, "int": 0, "bytes": ""}
    example = model.feature_spec.to_example_bytes(
        {name: defaults[feature.kind] for name, feature in features.items()}, "warm-up")
    model.predict([example])


def check_options(options: ServerOptions) -> None:
    """Fails early, before anything is served, on a base path that is not there.

    Raises:
        ConfigError: naming the missing path.
    """
    paths = [c.base_path for c in options.configs] or [options.model_base_path]
    for path in paths:
        if not storage.is_url(path) and not os.path.isdir(path):  # a URL is mirrored when scanned
            raise ConfigError(f"model base path {path} does not exist (expected <base>/<model>/<version>/)")


def bind(host: str, port: int, what: str, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A bound TCP socket, listening unless `listen=False`.

    TCP_NODELAY is set (asyncio needs IPPROTO_TCP to keep it); with `reuse_port`, other processes
    may bind the same port likewise (the workers of `--workers N`).

    Raises:
        ConfigError: the port is taken or cannot be bound (names it).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        if listen:
            sock.listen(2048)  # early connections wait in the backlog until the server accepts
    except OSError as error:
        sock.close()
        raise ConfigError(f"cannot listen for {what} on {host}:{port}: {error.strerror}") from None
    return sock


class ModelServer:
    """The repository, the shared inference core, and both front ends of one server."""

    def __init__(self, options: ServerOptions, on_ready: Callable[[ModelServer], None] | None = None):
        check_options(options)
        self.options = options
        self.on_ready = on_ready
        # a worker sharing the port listens only once it serves (uvicorn starts listening after
        # the models are loaded), so the kernel never queues connections at a worker still loading
        self.rest_socket = bind(options.host, options.port, "REST", options.reuse_port,
                                listen=not options.reuse_port)
        self.grpc_port: int | None = None
        if options.grpc_port is not None:  # a clear error before serving
            probe = bind(options.host, options.grpc_port, "gRPC", options.reuse_port, listen=False)
            self.grpc_port = int(probe.getsockname()[1])
            probe.close()
        self.repository = ModelRepository(options.model_base_path, options.model_names, options.policy,
                                          options.labels, options.poll_seconds, warmup=warm_up,
                                          configs=options.configs or None)
        self.metrics = ServerMetrics(lambda: {n: m.loaded for n, m in self.repository.models.items()})
        self.inference = Inference(
            self.repository,
            Batcher(options.batching,
                    lambda model, size: self.metrics.batch_size.labels(model).observe(size)),
            AdaptiveLimiter(options.limiter), self.metrics, options.request_timeout_ms,
            RequestLogger(options.request_log_dir, options.request_log_sample_rate)
            if options.request_log_dir else None)
        self.watchdog = Watchdog(self.inference, options.watchdog_seconds)
        self.rest = RestApi(self.inference, options.max_body_bytes, self._running, options.max_buffered_bytes)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        """The REST port actually bound."""
        return int(self.rest_socket.getsockname()[1])

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        import grpc

        from serving.grpc_service import add_services

        self.loop = asyncio.get_running_loop()
        await self.inference.batcher.start()
        watchdog = asyncio.create_task(self.watchdog.run())
        grpc_server = None
        if self.grpc_port is not None:
            limits = self.options.connections
            grpc_server = grpc.aio.server(
                options=[("grpc.so_reuseport", int(self.options.reuse_port)), *limits.grpc_options()],
                maximum_concurrent_rpcs=limits.max_connections)
            add_services(grpc_server, self.inference)
            grpc_server.add_insecure_port(f"{self.options.host}:{self.grpc_port}")
            await grpc_server.start()
        if self.on_ready is not None:
            self.on_ready(self)
        try:
            yield
        finally:
            watchdog.cancel()
            if grpc_server is not None:
                await grpc_server.stop(grace=1.0)
            await self.inference.batcher.stop()
            if self.inference.request_logger is not None:
                self.inference.request_logger.close()

    def uvicorn_server(self) -> Any:
        """A uvicorn server for the REST app (run it with `sockets=[self.rest_socket]`)."""
        import uvicorn

        app = HostCheck(self.rest.build(), AllowedHosts(self.options.allowed_hosts))
        config = uvicorn.Config(app, log_level="warning", access_log=False,
                                http=bounded_protocol(self.options.connections))
        return uvicorn.Server(config)


def serve_forever(options: ServerOptions, on_ready: Callable[[ModelServer], None]) -> None:
    """Serves until interrupted; `on_ready` runs once both APIs listen.

    Raises:
        ConfigError: a missing base path or a port in use, before anything is served.
    """
    server = ModelServer(options, on_ready)
    server.repository.start()
    try:
        server.uvicorn_server().run(sockets=[server.rest_socket])
    finally:
        server.repository.stop()


class BackgroundServer:
    """A server on a daemon thread, for tests, notebooks and benchmarks.

    Example:
        >>> with BackgroundServer(ServerOptions("serving", port=0, grpc_port=0)) as server:  # doctest: +SKIP
        ...     print(server.url, server.grpc_target)
    """

    def __init__(self, options: ServerOptions):
        self.options = options
        self.url = ""
        self.grpc_target = ""
        self.server: ModelServer | None = None
        self._ready = threading.Event()
        self._uvicorn: Any = None
        self._thread: threading.Thread | None = None

    @property
    def inference(self) -> Inference:
        """The running server's inference core."""
        assert self.server is not None
        return self.server.inference

    @property
    def repository(self) -> ModelRepository:
        """The running server's model repository."""
        assert self.server is not None
        return self.server.repository

    def __enter__(self) -> BackgroundServer:
        self.server = ModelServer(self.options, lambda _: self._ready.set())
        self.server.repository.start()
        self._uvicorn = self.server.uvicorn_server()
        self._thread = threading.Thread(target=self._uvicorn.run, daemon=True,
                                        kwargs={"sockets": [self.server.rest_socket]})
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the background model server did not start within 30 s")
        self.url = f"http://{self.options.host}:{self.server.port}"
        self.grpc_target = f"{self.options.host}:{self.server.grpc_port}" if self.server.grpc_port else ""
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None and self._thread is not None
        self._uvicorn.should_exit = True
        self._thread.join(timeout=15)
        self.server.repository.stop()
