"""The local Flink cluster for the `flink` test layer: `make flink-up` once per session, then down."""

import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _make(target: str, timeout_s: int) -> None:
    done = subprocess.run(["make", "-s", target], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout_s)
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def flink_cluster():
    """A running local Flink cluster (REST on 127.0.0.1:8081), stopped after the session."""
    _make("flink-up", timeout_s=900)
    try:
        yield "127.0.0.1:8081"
    finally:
        _make("flink-down", timeout_s=120)
