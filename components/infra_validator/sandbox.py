"""A candidate model served by `starling serve` in its own subprocess, ports and directory."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from components.infra_validator.prepared import (
    LOG_NAME,
    PreparedInterpreter,
    sandbox_environment,
    take_prepared,
)
from pipelines.errors import StarlingError
from pipelines.runner.leftovers import record_directory, record_process_group
from pipelines.warm import WarmProcess, worker_for_spawning

SANDBOX_MODEL_NAME = "candidate"
_SERVE = "from pipelines.cli.main import command; command()"


class SandboxError(Exception):
    """The sandboxed server did not load the model; the message says why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fork_of_warm_worker(arguments: list[str], output_fd: int, env: dict[str, str]) -> WarmProcess | None:
    """The server as a fork of the warm worker this run came from (TensorFlow already imported).

    None outside a warm run, or when that worker has stopped meanwhile (`starling warm stop`).
    """
    socket_path = worker_for_spawning()
    if socket_path is None:
        return None
    try:
        process = WarmProcess(socket_path, arguments, output_fd, env=env)
    except (StarlingError, OSError):
        return None
    print(f"sandbox model server: a fork of the warm worker (pid {process.pid})", file=sys.stderr,
          flush=True)  # the run's log, inside a run
    return process


class SandboxServer:
    """`starling serve` on a private copy of one SavedModel, as version 1 of `candidate`.

    The server runs in its own process (a fork of the warm worker when the run is in one, so it
    skips importing TensorFlow; a new interpreter otherwise) and process group, with its own
    REST and gRPC ports and a temporary model directory; leaving the context stops the whole
    group and removes the directory. Both are recorded on the running execution
    (`pipelines.runner.leftovers`), so that if this process is killed, recovery stops the server
    and removes the directory.

    Example:
        >>> with SandboxServer("model/Format-Serving") as sandbox:   # doctest: +SKIP
        ...     sandbox.wait_until_loaded(max_seconds=300)
    """

    def __init__(self, saved_model_dir: str):
        self.saved_model_dir = saved_model_dir
        self.rest_port = free_port()
        self.grpc_port = free_port()
        self.base = ""
        self.log_path = ""
        self._process: subprocess.Popen[bytes] | WarmProcess | None = None

    @property
    def rest_url(self) -> str:
        """The REST base URL of the candidate model."""
        return f"http://127.0.0.1:{self.rest_port}/v1/models/{SANDBOX_MODEL_NAME}"

    @property
    def grpc_target(self) -> str:
        """host:port of the gRPC API."""
        return f"127.0.0.1:{self.grpc_port}"

    def __enter__(self) -> SandboxServer:
        prepared = take_prepared()
        self.base = prepared.base if prepared else tempfile.mkdtemp(prefix="starling-infra-")
        self.log_path = os.path.join(self.base, LOG_NAME)
        record_directory(self.base, "sandbox model copy")
        try:
            shutil.copytree(self.saved_model_dir, os.path.join(self.base, SANDBOX_MODEL_NAME, "1"))
            self._process = self._start(prepared)
            # if this process dies (kill -9), recovery stops the server's group by this record
            record_process_group(self._process.pid, f"sandbox model server on ports {self.rest_port} "
                                                    f"and {self.grpc_port}")
        except BaseException:
            if prepared is not None and self._process is None:
                prepared.stop()
            self.__exit__()
            raise
        return self

    def _start(self, prepared: PreparedInterpreter | None) -> subprocess.Popen[bytes] | WarmProcess:
        """The server: the prepared interpreter, a fork of the warm worker, or a new interpreter."""
        arguments = ["serve", "--model-base-path", self.base, "--port", str(self.rest_port),
                     "--grpc-port", str(self.grpc_port), "--poll-seconds", "0.5"]
        if prepared is not None:
            try:
                process = prepared.start(arguments)
            except OSError:  # it died while waiting: start afresh, below
                prepared.stop()
            else:
                print(f"sandbox model server: the interpreter prepared during the run (pid {process.pid})",
                      file=sys.stderr, flush=True)  # the run's log, inside a run
                return process
        env = sandbox_environment()
        with open(self.log_path, "ab") as log:
            return (_fork_of_warm_worker(arguments, log.fileno(), env)
                    or subprocess.Popen([sys.executable, "-c", _SERVE, *arguments], stdout=log,
                                        stderr=subprocess.STDOUT, env=env, start_new_session=True))

    def wait_until_loaded(self, max_seconds: float) -> None:
        """Polls the model's status until version 1 is AVAILABLE.

        Raises:
            SandboxError: the server exited, the version failed to load (with the loader's
                message), or `max_seconds` passed.
        """
        import httpx

        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise SandboxError(f"the model server exited with code {self._process.returncode}: "
                                   f"{self.log_tail()}")
            try:
                states = httpx.get(self.rest_url, timeout=2).json().get("model_version_status", [])
            except (httpx.HTTPError, ValueError):
                states = []
            for state in states:
                if state["state"] == "AVAILABLE":
                    return
                if state["state"] == "END" and state["status"]["error_message"]:
                    raise SandboxError(f"the model failed to load: {state['status']['error_message']}")
            time.sleep(0.2)
        raise SandboxError(f"the model was not loaded within max_loading_time_seconds={max_seconds:g}")

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the server wrote."""
        with open(self.log_path, errors="replace") as log:
            return " | ".join(line.strip() for line in log.read().splitlines()[-lines:] if line.strip())

    def __exit__(self, *exc: Any) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        shutil.rmtree(self.base, ignore_errors=True)
