"""The UI shows outcomes as they are: shipped, rejected (NOT BLESSED, nothing pushed) and halted runs.

The store comes from real runs of tests/fixtures/outcome_pipeline.py (the real Pusher behind a
judge writing a ModelBlessing); the pages are read through the app.
"""

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipelines import LocalRunner
from pipelines.dsl.loading import load_pipeline
from pipelines.ui import StoreSource, create_app

PIPELINE_FILE = str(Path(__file__).resolve().parents[1] / "fixtures" / "outcome_pipeline.py")


@pytest.fixture(scope="module")
def outcome_runs(tmp_path_factory):
    """{name: RunResult} of a shipped, a rejected and a halted run (twice: the second reuses the
    halting node's outputs), and the app over their store."""
    base = tmp_path_factory.mktemp("ui_outcomes")
    results = {}
    for name, params in (("shipped", {"span": 1}), ("rejected", {"span": 2, "auc": 0.5}),
                         ("halted", {"span": 3, "halt": True}), ("halted_again", {"span": 3, "halt": True})):
        pipeline = load_pipeline(PIPELINE_FILE, {"root": str(base / "root"),
                                                 "serving_base": str(base / "serving"), **params})
        results[name] = LocalRunner().run(pipeline)
    app = create_app(StoreSource.from_root(str(base / "root")))
    return results, TestClient(app, base_url="http://127.0.0.1")


def _graph_classes(page: str) -> dict[str, str]:
    """{node id: status class} of the run graph's boxes."""
    return {key: status for status, key in
            re.findall(r"<g class='(?:node|resolver) status-([a-z-]+)' data-key='([^']+)'", page)}


def test_runs_list_tells_shipped_rejected_and_halted_apart(outcome_runs):
    results, client = outcome_runs
    page = client.get("/runs").text
    for name, status, verdict in (("shipped", "COMPLETE", "pushed"), ("rejected", "COMPLETE", "rejected"),
                                  ("halted", "HALTED", None)):
        row = re.search(rf"<tr class=\"status-[a-z-]+\">(?:(?!</tr>).)*{results[name].run_id}"
                        r"(?:(?!</tr>).)*</tr>", page, re.DOTALL).group(0)
        assert f'<span class="badge {status.lower()}">{status}</span>' in row, row
        if verdict:
            assert f'<span class="badge {verdict}">{verdict}</span>' in row, row
        else:
            assert "pushed" not in row and "rejected" not in row
    api = {run["name"]: run for run in client.get("/api/runs").json()["runs"]}
    assert api[results["halted"].run_id]["status"] == "HALTED"
    assert api[results["rejected"].run_id]["verdict"] == "rejected"


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "HALTED"}, {"halted", "halted_again"}), ({"status": "FAILED"}, set()),
    ({"outcome": "halted"}, {"halted", "halted_again"}), ({"outcome": "pushed"}, {"shipped"}),
    ({"outcome": "rejected"}, {"rejected"}), ({"status": "COMPLETE"}, {"shipped", "rejected"}),
])
def test_runs_filter_by_status_and_outcome_halted_apart_from_failed(outcome_runs, params, expected):
    results, client = outcome_runs
    names = {run["name"] for run in client.get("/api/runs", params=params).json()["runs"]}
    assert names == {results[name].run_id for name in expected}
    page = client.get("/runs", params=params).text
    assert all(results[name].run_id in page for name in expected)


def test_rejected_run_opens_on_the_node_that_rejected_its_model(outcome_runs):
    results, client = outcome_runs
    rejected = results["rejected"]
    page = client.get(f"/runs/{rejected.run_id}").text
    judge_id = rejected.nodes["judge"].execution_id
    assert f'data-focus="{judge_id}"' in page
    assert f'id="node-{judge_id}" data-id="{judge_id}">' in page  # open, not hidden
    assert re.search(rf'id="node-{rejected.nodes["make_data"].execution_id}" data-id="\d+" hidden>', page)
    assert _graph_classes(page) == {"make_data": "complete", "train": "complete",
                                    "judge": "not-blessed", "Pusher": "not-pushed"}
    assert "NOT BLESSED: platform=web: auc 0.5 (needs &gt;= 0.55)" in page
    assert re.search(r"NOT PUSHED: model not blessed \(ModelBlessing #\d+\)", page)
    assert '<span class="badge rejected" id="run-verdict">rejected</span>' in page


@pytest.mark.parametrize("name", ["halted", "halted_again"])
def test_halted_run_shows_halted_and_opens_on_the_halting_node(outcome_runs, name):
    results, client = outcome_runs
    halted = results[name]
    page = client.get(f"/runs/{halted.run_id}").text
    assert '<span class="badge halted" id="run-status">HALTED</span>' in page
    assert f'data-focus="{halted.nodes["make_data"].execution_id}"' in page
    assert _graph_classes(page)["make_data"] == "halted"
    assert "1 data anomalies: feature &#39;hour&#39;" in page


def test_shipped_run_shows_the_pushed_version(outcome_runs):
    results, client = outcome_runs
    shipped = results["shipped"]
    page = client.get(f"/runs/{shipped.run_id}").text
    assert _graph_classes(page) == {"make_data": "complete", "train": "complete", "judge": "blessed",
                                    "Pusher": "pushed"}
    assert "PUSHED: version 1 of clicks" in page


def test_artifact_type_filter_is_case_insensitive_and_names_unknown_types(outcome_runs):
    _, client = outcome_runs
    page = client.get("/artifacts?type=pushedmodel")
    assert page.status_code == 200 and "<h1>Artifacts of type PushedModel</h1>" in page.text
    assert '<span class="badge pushed">PUSHED</span> version 1 of clicks' in page.text
    assert re.search(r'<span class="badge not-pushed">NOT PUSHED</span> model not blessed', page.text)
    unknown = client.get("/artifacts?type=PushedModels")
    assert unknown.status_code == 400
    assert "unknown artifact type &#39;PushedModels&#39;; known types: ExampleAnomalies" in unknown.text
    api = client.get("/api/artifacts?type=pushedmodels")
    assert api.status_code == 400 and "PushedModel, Schema" in api.json()["error"]
    assert {a["type"] for a in client.get("/api/artifacts?type=MODEL").json()["artifacts"]} == {"Model"}


def test_failed_run_opens_on_the_failed_node(client):
    failed = client.get("/api/runs").json()["runs"][0]
    assert failed["status"] == "FAILED"
    detail = client.get(f"/api/runs/{failed['name']}").json()
    broken = next(node for node in detail["nodes"] if node["status"] == "FAILED")
    page = client.get(f"/runs/{failed['name']}").text
    assert f'data-focus="{broken["execution_id"]}"' in page
    assert f'id="node-{broken["execution_id"]}" data-id="{broken["execution_id"]}">' in page
    assert page.count('class="node-panel"') - page.count(" hidden>") == 1
