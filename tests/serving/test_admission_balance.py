"""Admission always balances: whatever clients do, every admitted request frees its slot.

Against a real `starling serve` process, with and without batching: random mixes of good
requests, bad inputs, model errors, requests past the deadline, gRPC deadlines and cancels,
and REST clients hanging up; then nothing is in flight, /healthz is ok and a normal request is
answered.
"""

from __future__ import annotations

import concurrent.futures
import random
import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.test_serving_e2e import wait_for
from tests.serving.fixture_model import install
from tests.serving.hostile import (
    GARBAGE,
    GOOD_ROW,
    Clients,
    b64_body,
    example,
    mixed_clients,
    served_with_clients,
)
from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["batching", "no-batching"])
def served(request, saved_model, tmp_path_factory) -> Iterator[tuple[ServeProcess, Clients]]:
    """`ctr` (with its feature spec) and `nospec` (the same model without one) on one server."""
    base = tmp_path_factory.mktemp("balance")
    install(saved_model, base, "ctr", 1)
    shutil.rmtree(install(saved_model, base, "nospec", 1) / "assets.extra")
    flags = ["--request-timeout-ms", "1500", "--batch-timeout-ms", "5"]
    flags += ["--no-batching"] if request.param == "no-batching" else []
    with served_with_clients(base, *flags) as pair:
        yield pair


def settled(process: ServeProcess, clients: Clients) -> None:
    """Nothing in flight any more, /healthz ok, and a normal request answered on both APIs.

    A model call already running cannot be interrupted: a slow one may outlive its request (504)
    by a second or two, so the first normal request may still time out behind it.
    """
    wait_for(lambda: process.health().json()["in_flight"] == 0, "the in-flight count to return to 0",
             seconds=20)
    health = process.health()
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    assert health.json()["reclaimed_slots"] == 0, "slots leaked (the watchdog had to free them)"
    wait_for(lambda: clients.rest({"instances": [GOOD_ROW]}) == 200, "a REST request answered", seconds=10)
    assert clients.grpc(clients.predict_request([example()])) == "OK"


@pytest.mark.parametrize("seed", [22, 2026])
def test_random_mixes_of_every_path_leave_nothing_in_flight(served, seed):
    process, clients = served
    kinds = mixed_clients(clients)
    rng = random.Random(seed)
    names = [rng.choice(sorted(kinds)) for _ in range(120)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda name: (name, kinds[name][0]()), names))
    unexpected = [(name, got) for name, got in outcomes if got not in kinds[name][1]]
    assert not unexpected, unexpected
    settled(process, clients)


def test_grpc_calls_past_their_deadline_free_their_slots(served):
    process, clients = served
    request = clients.predict_request([example()] * 5000)
    codes = [clients.grpc(request, timeout=0.02) for _ in range(60)]
    assert set(codes) <= {"DEADLINE_EXCEEDED", "OK"}
    settled(process, clients)


def test_hundreds_of_failing_requests_do_not_take_the_server_down(served):
    process, clients = served
    codes = {clients.rest(b64_body(GARBAGE)) for _ in range(150)}
    codes |= {clients.rest(b64_body(GARBAGE), model="nospec") for _ in range(150)}
    assert codes == {400}  # every one refused as the client's fault; none leaks its slot
    settled(process, clients)
