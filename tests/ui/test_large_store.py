"""A store of many runs lists quickly, a page at a time (the benchmark does 10,000 executions)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from benchmarks.ui import generate_store
from pipelines.ui import StoreSource, create_app

pytestmark = pytest.mark.e2e

EXECUTIONS = 1_000


def _timed_get(client, url):
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.text[-500:]
    return response, time.perf_counter() - started


@pytest.fixture
def store_root(tmp_path):
    """A directory in memory when the machine has /dev/shm (SQLite's syncs cost nothing there)."""
    if not os.path.isdir("/dev/shm"):
        yield tmp_path
        return
    root = Path(tempfile.mkdtemp(prefix="starling-ui-", dir="/dev/shm"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_runs_page_lists_fifty_runs_fast_and_pages_through_all(store_root):
    generate_store(store_root, EXECUTIONS)
    client = TestClient(create_app(StoreSource.from_root(str(store_root))))
    page, seconds = _timed_get(client, "/runs")
    assert page.text.count('class="pick"') == 50 and seconds < 1.0
    seen, before = [], None
    while True:
        response, seconds = _timed_get(client, "/api/runs" + (f"?before={before}" if before else ""))
        assert seconds < 1.0
        body = response.json()
        seen += [run["name"] for run in body["runs"]]
        before = body["next_before"]
        if before is None:
            break
    assert len(seen) == len(set(seen)) == EXECUTIONS // 10
    assert seen == sorted(seen, reverse=True)
    _, seconds = _timed_get(client, f"/runs/{seen[0]}")
    assert seconds < 1.0
