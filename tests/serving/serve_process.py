"""`starling serve` as a user starts it: a real server process for the tests, and its output."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import httpx

from tests.e2e.test_serving_e2e import wait_for

SERVE = [sys.executable, "-c", "import sys; from pipelines.cli.main import main; sys.exit(main())", "serve"]
SERVING = re.compile(r"REST (?P<url>http://\S+?)(?:,|\s)(?: gRPC (?P<grpc>[\d.:]+))?")


class ServeProcess:
    """`starling serve` in its own process group; its output lines collected as they come."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""
        self.grpc_target = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def output(self) -> str:
        """Everything the process printed so far."""
        return "\n".join(self.lines)

    def wait_serving(self, seconds: float = 120.0) -> ServeProcess:
        """Waits for the `Serving` line; keeps the REST URL and the gRPC target it names."""
        wait_for(lambda: SERVING.search(self.output()) is not None or self.process.poll() is not None,
                 "the Serving line", seconds=seconds)
        announced = SERVING.search(self.output())
        assert announced, self.output()
        self.url, self.grpc_target = announced["url"], announced["grpc"] or ""
        return self

    def health(self) -> httpx.Response:
        """GET /healthz."""
        return httpx.get(f"{self.url}/healthz", timeout=30)

    def stop(self) -> None:
        """Kills the process group and collects the last of its output."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)  # every line the process wrote is in `lines`


def serve(base: object, *args: str) -> ServeProcess:
    """A serving `starling serve --model-base-path base` on free ports (REST and gRPC)."""
    process = ServeProcess("--model-base-path", str(base), "--port", "0", "--grpc-port", "0", *args)
    try:
        return process.wait_serving()
    except BaseException:
        process.stop()
        raise
