"""UI routes on a store written by real runs of a tiny pure-Python pipeline (no TensorFlow)."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipelines import LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import HyperParameters
from pipelines.ui import StoreSource, create_app
from tests.ui.conftest import RELEASE, SCRIPT, STARTED, downstream, hold, numbers, tiny_pipeline

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
# src=/href= pointing off the site, url(...) other than a same-document #fragment, or @import.
EXTERNAL_LOAD = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\((?!#)|@import""", re.I)


def _runs(client, **params):
    response = client.get("/api/runs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _newest_run(client):
    return _runs(client)["runs"][0]


def test_runs_newest_first_with_node_counts(client):
    runs = _runs(client)["runs"]
    assert [run["status"] for run in runs] == ["FAILED", "COMPLETE", "COMPLETE"]
    assert runs[0]["id"] > runs[1]["id"] > runs[2]["id"]
    assert runs[1]["counts"] == {"complete": 0, "cached": 2, "failed": 0, "skipped": 0}
    assert runs[0]["counts"] == {"complete": 2, "cached": 0, "failed": 1, "skipped": 1}
    page = client.get("/runs").text
    assert page.index(runs[0]["name"]) < page.index(runs[2]["name"])
    assert "data-refresh-url" not in page  # nothing is running


def test_runs_filters_and_pages(client):
    assert [r["status"] for r in _runs(client, status="FAILED")["runs"]] == ["FAILED"]
    assert len(_runs(client, pipeline="tiny")["runs"]) == 3
    assert _runs(client, pipeline="no-such-pipeline")["runs"] == []
    assert _runs(client, status="' OR 1=1 --")["runs"] == []
    first = _runs(client, limit=2)
    assert len(first["runs"]) == 2 and first["next_before"] == first["runs"][-1]["id"]
    rest = _runs(client, limit=2, before=first["next_before"])
    assert len(rest["runs"]) == 1 and rest["next_before"] is None
    page = client.get("/runs", params={"limit": 2}).text
    assert f"before={first['next_before']}" in page and first["runs"][0]["name"] in page
    assert first["runs"][0]["name"] not in client.get(
        "/runs", params={"before": first["next_before"]}).text
    assert client.get("/api/runs", params={"before": "x"}).status_code == 400


def test_run_graph_has_every_node_edges_and_statuses(client):
    failed = _newest_run(client)
    detail = client.get(f"/api/runs/{failed['name']}").json()
    statuses = {node["node_id"]: node["status"] for node in detail["nodes"]}
    assert statuses == {"numbers": "COMPLETE", "total": "COMPLETE", "fail_loudly": "FAILED"}
    assert sorted(map(tuple, detail["edges"])) == [("numbers", "fail_loudly", "Examples"),
                                                   ("numbers", "total", "Examples")]
    page = client.get(f"/runs/{failed['name']}").text
    svg = page[page.index("<svg"):page.index("</svg>")]
    for node_id in statuses:
        assert f">{node_id}</text>" in svg
    assert "status-failed" in svg and "status-complete" in svg
    skipped_note = page[page.index('id="skipped-note"'):]
    assert skipped_note.startswith('id="skipped-note">1 node(s) were skipped')
    assert "no earlier run names them: each is drawn as an unnamed box" in skipped_note
    assert "data-key='skipped-1'" in svg and ">skipped node 1</text>" in svg  # drawn all the same
    cached = _runs(client)["runs"][1]
    assert "status-cached" in client.get(f"/runs/{cached['name']}").text


def test_skipped_nodes_are_drawn_as_an_earlier_run_ran_them(tmp_path):
    LocalRunner().run(tiny_pipeline(tmp_path, failing=True, fail=False))
    LocalRunner().run(tiny_pipeline(tmp_path, count=4, failing=True))
    client = TestClient(create_app(StoreSource.from_root(str(tmp_path))))
    earlier, failed = _runs(client)["runs"][1], _runs(client)["runs"][0]
    detail = client.get(f"/api/runs/{failed['name']}").json()
    assert detail["missing"] == ["downstream"] and detail["missing_as_in"] == earlier["name"]
    assert detail["missing_status"] == "SKIPPED"
    assert ["fail_loudly", "downstream", "Model"] in detail["edges"]
    page = client.get(f"/runs/{failed['name']}").text
    assert "class='node status-skipped' data-key='downstream'" in page
    assert f'drawn as in run <a href="/runs/{earlier["name"]}">' in page


def test_node_panel_shows_error_cache_key_and_links(client):
    failed = _newest_run(client)
    detail = client.get(f"/api/runs/{failed['name']}").json()
    broken = next(node for node in detail["nodes"] if node["node_id"] == "fail_loudly")
    assert broken["error"].startswith(f"ValueError: {SCRIPT}") and len(broken["cache_key"]) == 64
    assert [ref["type"] for ref in broken["inputs"]] == ["Examples"]
    page = client.get(f"/runs/{failed['name']}").text
    panel = page[page.index(f'id="node-{broken["execution_id"]}"'):]
    panel = panel[:panel.index("</section>")]
    assert f"ValueError: {ESCAPED}" in panel and broken["cache_key"] in panel
    assert "Traceback (most recent call last)" in panel and "parameters" in panel
    assert f'href="/artifacts/{broken["inputs"][0]["id"]}"' in panel


def test_every_user_string_is_escaped(client):
    failed = _newest_run(client)
    examples_id = client.get(f"/api/runs/{failed['name']}").json()["nodes"][0]["outputs"][0]["id"]
    for url in (f"/runs/{failed['name']}", f"/artifacts/{examples_id}", "/artifacts"):
        page = client.get(url).text
        assert SCRIPT not in page, url
    assert ESCAPED in client.get(f"/artifacts/{examples_id}").text  # the note property, as text
    assert client.get(f"/api/artifacts/{examples_id}").json()["properties"]["note"] == SCRIPT


def test_artifact_page_producer_consumers_and_lineage(client):
    first_run = _runs(client)["runs"][-1]
    nodes = {n["node_id"]: n for n in client.get(f"/api/runs/{first_run['name']}").json()["nodes"]}
    examples_id = nodes["numbers"]["outputs"][0]["id"]
    model_id = nodes["total"]["outputs"][0]["id"]
    detail = client.get(f"/api/artifacts/{examples_id}").json()
    assert [(p["node_id"], p["status"]) for p in detail["producers"]] == [
        ("numbers", "COMPLETE"), ("numbers", "CACHED")]  # made in run 1, reused in run 2
    assert {c["node_id"] for c in detail["consumers"]} == {"total"}
    assert detail["producers"][0]["run"] == first_run["name"]
    graph = client.get(f"/api/lineage/{model_id}").json()
    keys = {node["key"] for node in graph["nodes"]}
    assert {f"a{model_id}", f"a{examples_id}", f"e{nodes['total']['execution_id']}"} <= keys
    assert [f"a{examples_id}", f"e{nodes['total']['execution_id']}", "examples"] in [
        [e["source"], e["target"], e["label"]] for e in graph["edges"]]
    page = client.get(f"/artifacts/{model_id}").text
    assert "class='graph lineage'" in page and f"href='/artifacts/{examples_id}'" in page
    assert "<iframe" not in page  # a Model has no report


def test_compare_runs_without_evaluations(client):
    names = [run["name"] for run in _runs(client)["runs"]][::-1]
    page = client.get("/compare", params={"runs": f"{names[0]},{names[2]}"})
    assert page.status_code == 200, page.text
    assert "No evaluation in these runs" in page.text
    assert "auc over spans" in page.text and "Statistics by feature" in page.text
    picker = client.get("/compare").text
    assert all(f'value="{name}"' in picker for name in names)


@component
def tune(best_hyperparameters: Output[HyperParameters], learning_rate: Parameter[float] = 0.1):
    """Writes hyperparameters as the Tuner does (a KerasTuner config with its values)."""
    Path(best_hyperparameters.path("hyperparameters.json")).write_text(
        json.dumps({"space": [], "values": {"learning_rate": learning_rate, "units": 8}}))


def test_compare_shows_hyperparameters_side_by_side(tmp_path):
    for rate in (0.1, 0.25):
        LocalRunner().run(Pipeline("tuned", str(tmp_path), [tune(learning_rate=rate)]))
    client = TestClient(create_app(StoreSource.from_root(str(tmp_path))))
    names = [run["name"] for run in _runs(client)["runs"]][::-1]
    rows = {(r["group"], r["name"]): r for r in client.get(
        "/api/compare", params={"runs": ",".join(names)}).json()["comparison"]["parameters"]}
    rate = rows[("tune hyperparameters", "learning_rate")]
    assert rate["values"] == [0.1, 0.25] and rate["deltas"][1] == pytest.approx(0.15)
    assert rows[("tune hyperparameters", "units")]["differs"] is False


def test_unknown_ids_and_bad_parameters(client):
    assert client.get("/artifacts/99999").status_code == 404
    assert "no artifact with id 99999" in client.get("/api/artifacts/99999").json()["error"]
    assert client.get("/runs/no-such-run").status_code == 404
    assert client.get("/api/compare", params={"runs": "only-one"}).status_code == 400
    assert client.get("/compare", params={"models": "x"}).status_code == 400
    assert client.post("/runs").status_code == 405  # read-only: no route writes
    assert client.get("/api/no-such-endpoint").json() == {"error": "Not Found"}
    injected = client.get("/api/artifacts", params={"type": "Model' OR 1=1 --"})
    assert injected.status_code == 400  # an unknown type, named as such; never spliced into a query
    assert injected.json()["error"].startswith("unknown artifact type 'Model' OR 1=1 --'; known types")


def test_pages_load_nothing_from_elsewhere(client):
    failed = _newest_run(client)
    for url in ("/runs", f"/runs/{failed['name']}", "/artifacts", "/models", "/compare"):
        page = client.get(url).text
        assert not EXTERNAL_LOAD.search(page), url
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
            assert client.get(asset).status_code == 200


def test_missing_store_says_so_then_works_once_created(tmp_path):
    client = TestClient(create_app(StoreSource.from_root(str(tmp_path / "root"))))
    response = client.get("/runs")
    assert response.status_code == 503
    assert "no metadata store at" in response.text and "Traceback" not in response.text
    assert client.get("/api/runs").json()["error"].startswith("no metadata store at")
    LocalRunner().run(Pipeline("late", str(tmp_path / "root"), [numbers()]))
    assert client.get("/api/runs").json()["runs"][0]["pipeline"] == "late"


def test_corrupt_store_says_so(tmp_path):
    (tmp_path / "metadata.sqlite").write_bytes(b"this is not a database" * 100)
    response = TestClient(create_app(StoreSource.from_root(str(tmp_path)))).get("/runs")
    assert response.status_code == 503
    assert "cannot" in response.text and "metadata.sqlite" in response.text


def test_store_is_opened_read_only(tiny_root):
    before = sqlite3.connect(tiny_root / "metadata.sqlite").execute(
        "select count(*) from Execution").fetchone()
    client = TestClient(create_app(StoreSource.from_root(str(tiny_root))))
    assert client.get("/runs").status_code == 200
    config = client.app.state.ui.source.config  # type: ignore[attr-defined]
    assert config.sqlite.connection_mode == config.sqlite.READONLY
    after = sqlite3.connect(tiny_root / "metadata.sqlite").execute(
        "select count(*) from Execution").fetchone()
    assert before == after


def test_a_run_ended_by_a_crash_gets_its_counts_from_its_executions(tmp_path):
    from pipelines.metadata import MetadataStore, sqlite_config

    store = MetadataStore(sqlite_config(tmp_path / "metadata.sqlite"))
    contexts = [store.pipeline_context("crashed"),
                store.create_run_context("crashed-1", {"pipeline_name": "crashed",
                                                       "status": "RUNNING"})]
    for node_id, state in (("first", "COMPLETE"), ("second", "FAILED")):
        properties = {"node_id": node_id, "run_id": "crashed-1"}
        execution_id = store.start_execution(node_id, properties, {}, contexts)
        store.finish_execution(execution_id, node_id, state, properties, {}, contexts)
    store.update_context(contexts[1], {"status": "FAILED"})  # as recovery leaves it: no counts
    client = TestClient(create_app(StoreSource.from_root(str(tmp_path))))
    assert _newest_run(client)["counts"] == {"complete": 1, "cached": 0, "failed": 1,
                                             "skipped": None}


def test_running_run_counts_pending_nodes_and_auto_refresh(tmp_path):
    source = numbers()
    held = hold(examples=source.outputs["examples"])
    pipeline = Pipeline("slow", str(tmp_path), [source, held, downstream(model=held.outputs["model"])])
    RELEASE.set()
    LocalRunner().run(pipeline)
    STARTED.clear()
    RELEASE.clear()
    thread = threading.Thread(target=LocalRunner().run, args=(pipeline,),
                              kwargs={"enable_cache": False})
    thread.start()
    try:
        assert STARTED.wait(30)
        client = TestClient(create_app(StoreSource.from_root(str(tmp_path))))
        run = _newest_run(client)
        assert run["status"] == "RUNNING" and run["counts"]["complete"] == 1
        assert 'data-refresh-url="/api/runs?status=RUNNING' in client.get("/runs").text
        page = client.get(f"/runs/{run['name']}").text
        assert "status-running" in page and "data-refresh-url" in page
        detail = client.get(f"/api/runs/{run['name']}").json()
        assert (detail["missing"], detail["missing_status"]) == (["downstream"], "PENDING")
        assert "class='node status-pending' data-key='downstream'" in page
        assert "Not reached yet: downstream" in page
    finally:
        RELEASE.set()
        thread.join(30)
    assert _newest_run(client)["status"] == "COMPLETE"


def test_node_panel_says_why_a_node_ran_or_what_it_reused(client):
    """The third run's new count reruns `numbers` (the key's parameter changed); nothing of the
    key's material or the file manifest is dumped as a raw property."""
    newest = _newest_run(client)
    page = client.get(f"/runs/{newest['name']}").text
    detail = client.get(f"/api/runs/{newest['name']}").json()
    source = next(node for node in detail["nodes"] if node["node_id"] == "numbers")
    assert source["reason"] == "parameter count 3 → 5"
    panel = page[page.index(f'id="node-{source["execution_id"]}"'):]
    panel = panel[:panel.index("</section>")]
    assert "<th>Why</th><td>parameter count 3 → 5</td>" in panel
    assert "cache_material" not in panel and "output_manifest" not in panel
    second = client.get("/api/runs").json()["runs"][1]
    cached = client.get(f"/api/runs/{second['name']}").json()["nodes"]
    assert all(node["reason"].startswith("reused execution ") for node in cached)
