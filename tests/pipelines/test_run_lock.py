"""One run per pipeline and root: a second run waits (or exits 3 with --no-wait); others don't."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from pipelines.metadata.run_lock import RunInProgressError, RunLock
from tests.fixtures.gated_runs import new_gated_pipeline


@pytest.mark.e2e
def test_second_run_waits_then_reuses_the_first_runs_push(gated_pipeline):
    first = gated_pipeline.start()
    gated_pipeline.wait_until_gated(first)
    second = gated_pipeline.start()
    second.wait_for_output("waiting for run ")
    time.sleep(0.5)  # the second run stays put while the first holds the lock
    assert gated_pipeline.pushes() == [] and second.process.poll() is None
    gated_pipeline.open_gate()
    assert first.finish() == 0, first.output()
    assert second.finish() == 0, second.output()

    [run_id] = [line.split()[-1] for line in first.output().splitlines()
                if line.startswith("Running pipeline")]
    out = second.output()
    expected = f"waiting for run {run_id} (pid {first.pid} on {socket.gethostname()}) to finish..."
    assert out.count("waiting for") == 1 and expected in out, out
    assert len(gated_pipeline.pushes()) == 1, gated_pipeline.pushes()
    gated_line = next(line for line in out.splitlines() if " gated " in line)
    assert "CACHED" in gated_line, out


@pytest.mark.e2e
def test_no_wait_exits_3_naming_the_run_in_progress(gated_pipeline):
    first = gated_pipeline.start()
    gated_pipeline.wait_until_gated(first)
    refused = gated_pipeline.start("--no-wait")
    assert refused.finish() == 3, refused.output()
    out = refused.output()
    assert "pipeline 'gated' is already running" in out and f"pid {first.pid}" in out, out
    assert "Running pipeline" not in out
    gated_pipeline.open_gate()
    assert first.finish() == 0, first.output()
    assert len(gated_pipeline.pushes()) == 1


@pytest.mark.e2e
def test_other_pipelines_on_the_same_store_do_not_wait(gated_pipeline, metadata_store_kind,
                                                       request, tmp_path):
    holding = gated_pipeline.start()
    gated_pipeline.wait_until_gated(holding)
    other = new_gated_pipeline(metadata_store_kind, request, tmp_path, "other",
                               root=gated_pipeline.root, metadata=gated_pipeline.metadata)
    other.open_gate()
    free = other.start("--no-wait")
    assert free.finish() == 0, free.output()
    assert holding.process.poll() is None  # still holding its own lock
    assert len(other.pushes()) == 1
    gated_pipeline.open_gate()
    assert holding.finish() == 0, holding.output()


def in_thread(function):
    """Runs `function` on another thread (another thread does not share this one's lock)."""
    outcome: list[object] = []

    def call():
        try:
            outcome.append(function())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, outcome


def test_lock_hands_over_quickly_and_is_reentrant(gated_pipeline):
    config, root = gated_pipeline.metadata, str(gated_pipeline.root)
    holder = RunLock(config, "latency", root)
    holder.acquire()
    try:
        with RunLock(config, "latency", root):  # the same thread may take it again (--watch)
            pass
        refusal_thread, refusal = in_thread(lambda: RunLock(config, "latency", root).acquire(False))
        refusal_thread.join(10)
        assert isinstance(refusal[0], RunInProgressError), refusal
        assert "already running" in str(refusal[0]) and f"pid {os.getpid()}" in str(refusal[0])
        waited: list[object] = []

        def wait_for_it():
            lock = RunLock(config, "latency", root)
            lock.acquire(on_wait=waited.append)
            acquired_at = time.monotonic()
            lock.release()
            return acquired_at

        waiter, acquired = in_thread(wait_for_it)
        time.sleep(0.5)
        assert not acquired and len(waited) == 1
    finally:
        released_at = time.monotonic()
        holder.release()
    waiter.join(10)
    latency = acquired[0] - released_at
    print(f"lock hand-over latency: {latency * 1000:.0f} ms")
    assert latency < 0.5
