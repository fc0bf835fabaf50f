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


@pytest.fixture(scope="module")
def store_root(tmp_path_factory):
    """A generated store of 1,000 executions, in memory when the machine has /dev/shm (SQLite's
    syncs cost nothing there)."""
    shm = os.path.isdir("/dev/shm")
    root = (Path(tempfile.mkdtemp(prefix="starling-ui-", dir="/dev/shm")) if shm
            else tmp_path_factory.mktemp("large"))
    generate_store(root, EXECUTIONS)
    try:
        yield root
    finally:
        if shm:
            shutil.rmtree(root, ignore_errors=True)


def test_runs_page_lists_fifty_runs_fast_and_pages_through_all(store_root):
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


def test_the_workbench_pages_work_in_chromium_on_the_large_store(store_root, page):
    """Sorting, filtering, the run's graph and timeline, lineage zoom: on 100 runs' worth."""
    import re

    from tests.ui.browser import serving

    with serving(create_app(StoreSource.from_root(str(store_root)))) as url:
        page.goto(f"{url}/runs")
        names = page.locator("table.runs tbody tr td:nth-child(2)")
        newest_first = names.all_inner_texts()
        assert len(newest_first) == 50 and newest_first == sorted(newest_first, reverse=True)
        page.locator("table.runs th button.sort", has_text="Run").click()
        assert names.all_inner_texts() == sorted(newest_first)
        page.get_by_label("Status").select_option("FAILED")
        page.locator("#run-filters button[type=submit]").click()
        page.wait_for_url(re.compile("status=FAILED"))
        assert names.count() == 0 and page.get_by_text("No runs match these filters").is_visible()
        page.goto(f"{url}/runs/{newest_first[0]}")
        assert page.locator("#run-graph g[data-key]").count() == 10
        assert page.locator("#timeline .timeline-bar").count() == 10
        output = page.locator(".node-panel:visible a", has_text="Examples #").first
        output.click()
        page.wait_for_url(re.compile("/artifacts/"))
        svg = page.locator("#lineage-graph svg")
        width = float(svg.get_attribute("width"))
        page.locator(".zoom[data-target='lineage-graph'] .zoom-out").click()
        assert float(svg.get_attribute("width")) < width
