"""The local Flink cluster for the `flink` test layer: `make flink-up` once per session, then down."""


import pytest

from tests.fixtures.make_targets import run_make_target


@pytest.fixture(scope="session")
def flink_cluster():
    """A running local Flink cluster (REST on 127.0.0.1:8081), stopped after the session."""
    run_make_target("flink-up", timeout_s=900)
    try:
        yield "127.0.0.1:8081"
    finally:
        run_make_target("flink-down", timeout_s=120)
