"""A minute of mixed clients against a real `starling serve`: afterwards nothing is held.

Eight threads send, for `STARLING_SOAK_SECONDS` (default 60), a random mix of good requests
(half of them), bad inputs, model errors, requests past their deadline, gRPC deadlines and
cancels, REST clients hanging up mid-body, and slowloris sockets. Every answer must be one its kind allows;
then nothing is in flight, no slot needed the watchdog, /healthz is ok and a normal request is
answered on both APIs.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import random
import shutil
import socket
import time

import pytest

from tests.serving.fixture_model import install
from tests.serving.hostile import Clients, mixed_clients
from tests.serving.serve_process import serve
from tests.serving.test_admission_balance import settled

pytestmark = pytest.mark.e2e
SECONDS = float(os.environ.get("STARLING_SOAK_SECONDS", "60"))
HEADER_SECONDS = 1.0


def slowloris(clients: Clients) -> str:
    """Half a request head, then silence: the server must close the socket in time."""
    started = time.monotonic()
    with socket.create_connection((clients.host, clients.port), timeout=HEADER_SECONDS + 10) as sock:
        sock.sendall(f"POST /v1/models/ctr:predict HTTP/1.1\r\nHost: {clients.host}\r\nContent-".encode())
        try:
            while sock.recv(4096):
                pass
        except (ConnectionResetError, TimeoutError):
            return "held"
    return "closed" if time.monotonic() - started < HEADER_SECONDS + 5 else "held"


def test_a_minute_of_mixed_clients_leaves_the_server_as_it_was(saved_model, tmp_path):
    install(saved_model, tmp_path, "ctr", 1)
    shutil.rmtree(install(saved_model, tmp_path, "nospec", 1) / "assets.extra")
    process = serve(tmp_path, "--request-timeout-ms", "1500", "--batch-timeout-ms", "5",
                    "--header-timeout-ms", str(HEADER_SECONDS * 1000), "--max-connections", "256")
    clients = Clients(process.url, process.grpc_target)
    try:
        kinds = {**mixed_clients(clients), "slowloris": (lambda: slowloris(clients), {"closed"})}
        bad = sorted(set(kinds) - {"rest ok", "grpc ok"})
        choices = [*bad, *["rest ok", "grpc ok"] * (len(bad) // 2)]
        deadline = time.monotonic() + SECONDS

        def client(seed: int) -> list[tuple[str, object]]:
            rng, seen = random.Random(seed), []
            while time.monotonic() < deadline:
                name = rng.choice(choices)
                seen.append((name, kinds[name][0]()))
            return seen

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outcomes = [o for seen in pool.map(client, range(8)) for o in seen]
        counts = collections.Counter(outcomes)
        print(f"{len(outcomes)} requests in {SECONDS:.0f} s:",
              ", ".join(f"{name} {got}: {n}" for (name, got), n in sorted(counts.items(), key=str)))
        unexpected = {key: n for key, n in counts.items() if key[1] not in kinds[key[0]][1]}
        assert not unexpected, unexpected
        assert counts[("rest ok", 200)] and counts[("grpc ok", "OK")]
        stopped = time.monotonic()
        settled(process, clients)
        print(f"settled {time.monotonic() - stopped:.1f} s after the last client")
    finally:
        clients.close()
        process.stop()
