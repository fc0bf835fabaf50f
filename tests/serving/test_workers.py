"""`starling serve --workers N`: real server processes sharing one REST and one gRPC port."""

from __future__ import annotations

import os
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from tests.e2e.test_serving_e2e import wait_for
from tests.serving.fixture_model import ROWS, install
from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.e2e
ANNOUNCEMENT = re.compile(r"REST (?P<url>http://\S+), gRPC (?P<grpc>\S+), "
                          r"2 workers \(pids (?P<pids>[\d, ]+)\)")


@pytest.fixture
def two_workers(saved_model, tmp_path) -> Iterator[tuple[ServeProcess, re.Match[str]]]:
    install(saved_model, tmp_path, "ctr", 1)
    serve = ServeProcess("--model-base-path", str(tmp_path), "--port", "0", "--grpc-port", "0",
                         "--workers", "2", "--poll-seconds", "0.2")
    try:
        wait_for(lambda: ANNOUNCEMENT.search(serve.output()) is not None or serve.process.poll() is not None,
                 "the Serving line", seconds=120)
        announced = ANNOUNCEMENT.search(serve.output())
        assert announced, serve.output()
        yield serve, announced
    finally:
        serve.stop()


def pids_answering(url: str, requests: int = 60) -> set[int]:
    """Which worker answers /healthz, each request on a new connection."""
    return {httpx.get(f"{url}/healthz").json()["pid"] for _ in range(requests)}


def replaced(url: str, pids: set[int]) -> bool:
    """Whether a worker not in `pids` answers (connections queued at a killed worker are reset)."""
    try:
        return len(pids_answering(url, 20) - pids) == 1
    except httpx.TransportError:
        return False


def alive(pid: int) -> bool:
    """Whether the process runs (an exited one not yet reaped by its new parent does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_workers_share_both_ports_and_a_dead_worker_is_replaced(two_workers):
    from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc

    serve, announced = two_workers
    url, pids = announced["url"], {int(p) for p in announced["pids"].split(", ")}
    assert len(pids) == 2 and pids_answering(url) == pids  # the kernel spreads connections over both
    for _ in range(6):  # each channel is a new connection, answered by either worker
        with grpc.insecure_channel(announced["grpc"]) as channel:
            status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
                get_model_status_pb2.GetModelStatusRequest(model_spec={"name": "ctr"}), timeout=10)
            assert status.model_version_status[0].version == 1
    killed = min(pids)
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: replaced(url, pids), "a new worker to serve", seconds=120)
    assert killed not in pids_answering(url)
    assert "starting another" in serve.output()
    answers = [httpx.post(f"{url}/v1/models/ctr:predict", json={"instances": ROWS}) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    workers = pids_answering(url)
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=60) == 0
    assert not [pid for pid in workers if alive(pid)]  # no orphaned worker


def test_workers_stop_when_the_supervisor_is_killed(two_workers):
    serve, announced = two_workers
    workers = {int(p) for p in announced["pids"].split(", ")}
    os.kill(serve.process.pid, signal.SIGKILL)  # no chance to stop its workers itself
    serve.process.wait(timeout=10)
    wait_for(lambda: not [pid for pid in workers if alive(pid)], "the orphaned workers to exit", seconds=60)


def test_a_taken_port_fails_naming_it_before_any_serving_line(saved_model, tmp_path):
    install(saved_model, tmp_path, "ctr", 1)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        serve = ServeProcess("--model-base-path", str(tmp_path), "--port", str(port), "--grpc-port", "0",
                             "--workers", "2")
        assert serve.process.wait(timeout=60) == 2
        serve.stop()
    finally:
        taken.close()
    assert f"cannot listen for REST on 127.0.0.1:{port}" in serve.output()
    assert "Serving" not in serve.output()
