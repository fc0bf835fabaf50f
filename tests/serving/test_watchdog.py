"""/healthz says when the server cannot serve, and the watchdog repairs what it can.

Faults a client cannot cause (a leaked admission slot, stopped batch workers) are injected into
a real server running on a thread, on its own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from serving.server import BackgroundServer, ServerOptions
from tests.e2e.test_serving_e2e import wait_for
from tests.serving.fixture_model import ROWS, install

pytestmark = pytest.mark.e2e


def on_loop(server: BackgroundServer, action: Callable[[], Any]) -> Any:
    """Runs `action` on the server's event loop and returns its result."""
    assert server.server is not None and server.server.loop is not None

    async def call() -> Any:
        return action()

    return asyncio.run_coroutine_threadsafe(call(), server.server.loop).result(timeout=10)


@pytest.fixture
def server(saved_model, tmp_path) -> Iterator[BackgroundServer]:
    """A server whose watchdog never runs by itself (the tests call its repair)."""
    install(saved_model, tmp_path, "ctr", 1)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, watchdog_seconds=3600)) as running:
        yield running


def health(server: BackgroundServer) -> httpx.Response:
    return httpx.get(f"{server.url}/healthz", timeout=10)


def test_a_leaked_slot_makes_healthz_fail_until_the_watchdog_frees_it(server):
    assert health(server).json()["status"] == "ok"
    on_loop(server, lambda: server.inference.limiter.acquire("grpc_predict ctr", timeout=-10))
    unhealthy = health(server)
    assert unhealthy.status_code == 503 and unhealthy.json()["status"] == "unhealthy"
    assert unhealthy.json()["in_flight"] == 1
    [problem] = unhealthy.json()["problems"]
    assert problem.startswith("1 admission slots held more than 5 s past their deadline (oldest: "
                              "grpc_predict ctr")
    assert server.server is not None
    assert on_loop(server, server.server.watchdog.repair) == 1
    healthy = health(server).json()
    assert (healthy["status"], healthy["in_flight"], healthy["reclaimed_slots"]) == ("ok", 0, 1)
    metrics = httpx.get(f"{server.url}/monitoring/prometheus/metrics").text
    assert 'starling_watchdog_repairs_total{kind="slot"} 1.0' in metrics


def test_stopped_batch_workers_are_reported_and_restarted(server):
    batcher = server.inference.batcher
    on_loop(server, lambda: [worker.cancel() for worker in batcher._workers])
    wait_for(lambda: batcher.alive_workers == 0, "the workers to stop")
    unhealthy = health(server)
    assert unhealthy.status_code == 503 and unhealthy.json()["problems"] == ["2 of 2 batch workers stopped"]
    assert server.server is not None
    assert on_loop(server, server.server.watchdog.repair) == 2
    assert health(server).status_code == 200
    assert httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS}).status_code == 200


def test_without_an_available_model_healthz_fails(tmp_path):
    with BackgroundServer(ServerOptions(str(tmp_path), port=0)) as empty:
        response = health(empty)
    assert response.status_code == 503 and response.json()["problems"] == ["no model version is AVAILABLE"]


def test_the_watchdog_runs_by_itself(saved_model, tmp_path):
    install(saved_model, tmp_path, "ctr", 1)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, watchdog_seconds=0.1)) as running:
        on_loop(running, lambda: running.inference.limiter.acquire("rest_predict ctr", timeout=-10))
        wait_for(lambda: health(running).json()["reclaimed_slots"] == 1, "the watchdog to free the slot")
        assert health(running).status_code == 200
