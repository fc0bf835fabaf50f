"""UI routes over a store written by two real days of the demo pipeline (TFDV, TFMA, Pusher)."""

from __future__ import annotations

import pytest

from tests.ui.demo_store import NODE_IDS, SCRIPT_FEATURE

pytestmark = pytest.mark.e2e

ESCAPED_FEATURE = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _run_names(demo_store):
    return [result.run_id for result in demo_store[1]]


def _evaluation_id(result):
    return result.output("Evaluator", "evaluation").id


def test_run_graph_draws_every_node_and_the_resolver_apart(demo_store, demo_client):
    page = demo_client.get(f"/runs/{_run_names(demo_store)[1]}").text
    svg = page[page.index("<svg"):page.index("</svg>")]
    for node_id in NODE_IDS:
        assert f">{node_id}</text>" in svg
    resolver = svg[svg.index("<g class='resolver"):]
    assert "data-key='latest_blessed_model'" in resolver[:200]
    assert svg.count("<g class='resolver") == 1


def test_example_gen_panel_shows_its_driver_facts(demo_store, demo_client):
    run = demo_client.get(f"/api/runs/{_run_names(demo_store)[1]}").json()
    example_gen = next(node for node in run["nodes"] if node["node_id"] == "CsvExampleGen")
    assert example_gen["driver_facts"]["span"] == 2
    assert "driver_facts" not in example_gen["properties"]
    page = demo_client.get(f"/runs/{_run_names(demo_store)[1]}").text
    panel = page[page.index(f'id="node-{example_gen["execution_id"]}"'):]
    assert "<th>driver: span</th><td><code>2</code>" in panel[:panel.index("</section>")]


def test_evaluation_artifact_embeds_the_sliced_report(demo_store, demo_client):
    evaluation_id = _evaluation_id(demo_store[1][1])
    page = demo_client.get(f"/artifacts/{evaluation_id}").text
    assert f'src="/artifacts/{evaluation_id}/report"' in page
    report = demo_client.get(f"/artifacts/{evaluation_id}/report").text
    assert "Metrics by slice" in report and "platform=web" in report and "NOT BLESSED" in report


def test_statistics_report_and_compare_show_the_script_feature_as_text(demo_store, demo_client):
    statistics_id = demo_store[1][0].output("StatisticsGen", "statistics").id
    for url in (f"/artifacts/{statistics_id}/report",
                "/compare?runs=" + ",".join(_run_names(demo_store))):
        page = demo_client.get(url).text
        assert ESCAPED_FEATURE in page and SCRIPT_FEATURE not in page, url


def test_compare_two_days_gives_auc_deltas_verdicts_and_statistics(demo_store, demo_client):
    comparison = demo_client.get("/api/compare", params={"runs": ",".join(_run_names(demo_store))}).json()
    result = comparison["comparison"]
    assert result["blessed"] == [True, False]
    overall_auc = next(r for r in result["metrics"] if (r["group"], r["name"]) == ("Overall", "auc"))
    assert overall_auc["deltas"][1] == pytest.approx(overall_auc["values"][1] - overall_auc["values"][0])
    assert overall_auc["deltas"][1] < -0.05 and overall_auc["differs"]
    x_mean = next(r for r in result["statistics"] if (r["group"], r["name"]) == ("train: x", "mean"))
    assert x_mean["differs"] and x_mean["values"][0] != x_mean["values"][1]
    parameters = {(r["group"], r["name"]): r for r in result["parameters"]}
    assert parameters[("CsvExampleGen", "driver: span")]["values"] == [1, 2]
    assert not any(name in ("pid", "host") for _, name in parameters)
    spans = [(p["span"], p["blessed"], p["pushed_version"]) for p in comparison["over_spans"]]
    assert spans == [(1, True, 1), (2, False, None)]


def test_compare_models_uses_the_runs_that_evaluated_them(demo_store, demo_client):
    model_ids = [r.output("fixed_model", "model").id for r in demo_store[1]]
    result = demo_client.get("/api/compare", params={"models": f"{model_ids[0]},{model_ids[1]}"}).json()
    assert result["comparison"]["labels"] == [f"model #{i}" for i in model_ids]
    assert result["comparison"]["runs"] == _run_names(demo_store)


def test_models_page_with_a_real_model_server(demo_store, demo_client):
    from starlette.testclient import TestClient

    from pipelines.ui import StoreSource, create_app
    from serving.server import BackgroundServer, ServerOptions

    pushes = demo_client.get("/api/models").json()["models"]["clicks"]
    assert [(p["version"], p["pushed"], p["blessed"]) for p in pushes] == [
        (None, False, False), (1, True, True)]
    serving_base = demo_store[0].parent / "serving"
    with BackgroundServer(ServerOptions(str(serving_base), port=0, poll_seconds=0.2)) as server:
        client = TestClient(create_app(StoreSource.from_root(str(demo_store[0])), server.url))
        states = {p["version"]: p["serving_state"]
                  for p in client.get("/api/models").json()["models"]["clicks"]}
        assert states == {None: None, 1: "AVAILABLE"}
        assert "AVAILABLE" in client.get("/models").text
    down = TestClient(create_app(StoreSource.from_root(str(demo_store[0])), server.url))
    assert "cannot read" in down.get("/api/models").json()["serving_errors"]["clicks"]
