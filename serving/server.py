"""Starts the model server: in the foreground (`starling serve`) or on a background thread."""

from __future__ import annotations

import dataclasses
import threading
import time

from serving.app import DEFAULT_MAX_BODY_BYTES, ServingApp
from serving.batcher import BatchingOptions
from serving.loaded_model import LoadedModel
from serving.repository import ModelRepository
from serving.request_log import RequestLogger


@dataclasses.dataclass
class ServerOptions:
    """Everything `starling serve` takes."""

    model_base_path: str
    model_names: list[str] = dataclasses.field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8501
    poll_seconds: float = 2.0
    keep_versions: int = 2
    batching: BatchingOptions = dataclasses.field(default_factory=BatchingOptions)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    request_log_dir: str | None = None
    request_log_sample_rate: float = 0.1


def warm_up(model: LoadedModel) -> None:
    """Runs one prediction on a synthetic example before a version serves (spec known only)."""
    features = model.feature_spec.features
    if not features:
        return
    defaults = {"float": 0.0, "int": 0, "bytes": ""}
    example = model.feature_spec.to_example_bytes(
        {name: defaults[feature.kind] for name, feature in features.items()}, "warm-up")
    model.predict([example])


def build_app(options: ServerOptions) -> tuple[ServingApp, ModelRepository]:
    """The application and its repository (already scanned once, watcher running)."""
    repository = ModelRepository(options.model_base_path, options.model_names, options.keep_versions,
                                 options.poll_seconds, warmup=warm_up)
    repository.start()
    logger = (RequestLogger(options.request_log_dir, options.request_log_sample_rate)
              if options.request_log_dir else None)
    return ServingApp(repository, options.batching, logger, options.max_body_bytes), repository


def serve_forever(options: ServerOptions) -> None:
    """Serves until interrupted."""
    import uvicorn

    app, repository = build_app(options)
    try:
        uvicorn.run(app.build(), host=options.host, port=options.port, log_level="warning",
                    access_log=False)
    finally:
        repository.stop()


class BackgroundServer:
    """A server on a daemon thread, for tests, notebooks and benchmarks.

    Example:
        >>> with BackgroundServer(ServerOptions("serving", port=0)) as server:   # doctest: +SKIP
        ...     print(server.url)
    """

    def __init__(self, options: ServerOptions):
        self.options = options
        self.url = ""
        self._server = None
        self._thread: threading.Thread | None = None
        self.repository: ModelRepository | None = None
        self.app: ServingApp | None = None

    def __enter__(self) -> BackgroundServer:
        import socket

        import uvicorn

        self.app, self.repository = build_app(self.options)
        # proto IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on such sockets, and without it
        # Nagle's algorithm and delayed ACKs add ~40 ms to every keep-alive response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.options.host, self.options.port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app.build(), log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.time() + 30
        while not self._server.started and time.time() < deadline:
            time.sleep(0.02)
        self.url = f"http://{self.options.host}:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self.repository.stop()
