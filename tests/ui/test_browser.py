"""The UI in a real browser: Debian's Chromium driven by Playwright over the demo store.

Screenshots of each page go to the test's tmp_path.
"""

from __future__ import annotations

import re
import threading

import pytest

from pipelines.ui import StoreSource, create_app
from tests.ui.browser import serving
from tests.ui.demo_store import NODE_IDS, SCRIPT_FEATURE

pytestmark = pytest.mark.e2e


def _json(page, url):
    return page.request.get(url).json()


def test_runs_to_run_graph_to_evaluation_slice_table(page, ui_url, demo_store, tmp_path):
    day2 = demo_store[1][1]
    page.goto(f"{ui_url}/runs")
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)
    page.get_by_role("link", name=day2.run_id).click()
    page.wait_for_url(re.compile(f"/runs/{day2.run_id}$"))
    graph = page.locator("#run-graph svg")
    for node_id in NODE_IDS:
        assert graph.locator("text.title", has_text=re.compile(f"^{node_id}$")).is_visible(), node_id
    page.locator("#run-graph g[data-key='Evaluator']").click()
    panel = page.locator(f"#node-{day2.nodes['Evaluator'].execution_id}")
    assert panel.is_visible() and "Evaluator" in panel.locator("h2").inner_text()
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    evaluation_id = day2.output("Evaluator", "evaluation").id
    panel.get_by_role("link", name=f"ModelEvaluation #{evaluation_id}").click()
    page.wait_for_url(re.compile(f"/artifacts/{evaluation_id}$"))
    report = page.frame_locator("#report")
    slice_table = report.locator("table", has=report.locator("th", has_text="slice")).first
    assert slice_table.locator("td", has_text="platform=web").is_visible()
    assert slice_table.locator("td", has_text="Overall").is_visible()
    page.screenshot(path=str(tmp_path / "evaluation.png"), full_page=True)


def test_compare_two_days_shows_the_auc_delta(page, ui_url, demo_store, tmp_path):
    first, second = demo_store[1]
    page.goto(f"{ui_url}/runs")
    page.get_by_label(f"select {first.run_id}").check()
    page.get_by_label(f"select {second.run_id}").check()
    page.locator("#compare-selected").click()
    page.wait_for_url(re.compile("/compare"))
    row = page.locator("#metrics tr[data-group='Overall'][data-name='auc']")
    cells = row.locator("td").all_inner_texts()
    before, after = float(cells[0]), float(cells[1].split()[0])
    assert after < before
    metrics = _json(page, f"{ui_url}/api/compare?runs={first.run_id},{second.run_id}")
    auc = next(r for r in metrics["comparison"]["metrics"] if (r["group"], r["name"]) == ("Overall", "auc"))
    assert cells[1].split()[1] == f"{auc['deltas'][1]:+.4f}" and auc["deltas"][1] < -0.05
    assert "worse" in row.locator(".delta").get_attribute("class")  # AUC fell: worse
    assert page.locator("#verdicts").get_by_text("NOT BLESSED").is_visible()
    assert page.locator("svg.spans-chart circle.point").count() == 2
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    page.goto(f"{ui_url}/models")
    assert page.locator("table.models").get_by_text("BLESSED", exact=True).is_visible()
    page.screenshot(path=str(tmp_path / "models.png"), full_page=True)
    model_ids = [result.output("fixed_model", "model").id for result in (first, second)]
    for model_id in reversed(model_ids):
        page.get_by_label(f"select model {model_id}").check()
    page.locator("#compare-selected").click()
    page.wait_for_url(re.compile("/compare\\?models="))
    assert page.locator("#verdicts th").all_inner_texts()[1:] == [f"model #{i}" for i in model_ids]


def test_a_feature_named_like_a_script_shows_as_text(page, ui_url, demo_store, tmp_path):
    first, second = demo_store[1]
    page.goto(f"{ui_url}/compare?runs={first.run_id},{second.run_id}")
    statistics_table = page.locator("#statistics")
    assert statistics_table.get_by_text(f"train: {SCRIPT_FEATURE}").first.is_visible()
    statistics_id = second.output("StatisticsGen", "statistics").id
    page.goto(f"{ui_url}/artifacts/{statistics_id}")
    assert page.frame_locator("#report").get_by_text(SCRIPT_FEATURE).first.is_visible()
    page.screenshot(path=str(tmp_path / "statistics.png"), full_page=True)
    assert page.dialogs == []


def test_runs_page_refreshes_itself_when_a_running_run_finishes(page, tmp_path):
    from pipelines import LocalRunner, Pipeline
    from tests.ui.conftest import RELEASE, STARTED, hold, numbers

    source = numbers()
    pipeline = Pipeline("slow", str(tmp_path / "root"),
                        [source, hold(examples=source.outputs["examples"])])
    STARTED.clear()
    RELEASE.clear()
    thread = threading.Thread(target=LocalRunner().run, args=(pipeline,))
    thread.start()
    try:
        assert STARTED.wait(30)
        with serving(create_app(StoreSource.from_root(str(tmp_path / "root")))) as url:
            page.goto(f"{url}/runs")
            assert page.locator("table.runs .badge").first.inner_text() == "RUNNING"
            assert page.locator("#auto-refresh").is_visible()
            RELEASE.set()
            thread.join(30)
            page.locator("table.runs .badge.complete").wait_for(timeout=15_000)  # no reload by hand
            assert page.locator("#auto-refresh").count() == 0
            page.screenshot(path=str(tmp_path / "runs_refreshed.png"), full_page=True)
    finally:
        RELEASE.set()
        thread.join(30)


def test_a_rejected_run_is_shown_as_rejected_and_opens_on_its_evaluator(page, ui_url, demo_store,
                                                                         tmp_path):
    first, second = demo_store[1]
    page.goto(f"{ui_url}/runs")
    for result, verdict in ((first, "pushed"), (second, "rejected")):
        row = page.locator("table.runs tr", has=page.get_by_role("link", name=result.run_id))
        assert row.locator(f".badge.{verdict}").inner_text() == verdict
    page.get_by_role("link", name=second.run_id).click()
    page.wait_for_url(re.compile(f"/runs/{second.run_id}$"))
    evaluator = page.locator("#run-graph g[data-key='Evaluator']")
    assert "status-not-blessed" in evaluator.get_attribute("class")
    assert "selected" in evaluator.get_attribute("class")  # opened on it, no click needed
    assert "not blessed" in evaluator.locator("text.sub").text_content()
    assert "status-not-pushed" in page.locator("#run-graph g[data-key='Pusher']").get_attribute("class")
    panel = page.locator(f"#node-{second.nodes['Evaluator'].execution_id}")
    assert panel.is_visible() and panel.locator(".outcome.not-blessed").is_visible()
    assert page.locator(".node-panel:visible").count() == 1
    page.screenshot(path=str(tmp_path / "rejected_run.png"), full_page=True)


def test_the_evaluation_report_is_shown_at_its_full_height(page, ui_url, demo_store, tmp_path):
    evaluation_id = demo_store[1][1].output("Evaluator", "evaluation").id
    page.set_viewport_size({"width": 1400, "height": 400})  # a report taller than the window
    page.goto(f"{ui_url}/artifacts/{evaluation_id}")
    frame = page.locator("#report")
    report = page.frame_locator("#report")
    failing = report.get_by_text("Failing thresholds")
    failing.wait_for()
    page.wait_for_function("() => parseInt(document.getElementById('report').style.height) > 0")
    content_height = frame.evaluate("f => f.contentDocument.documentElement.scrollHeight")
    frame_height = frame.evaluate("f => f.getBoundingClientRect().height")
    assert content_height > 400 and frame_height >= content_height  # no inner scrolling, no cut-off
    assert frame.evaluate("f => f.contentWindow.innerHeight >= "
                          "f.contentDocument.documentElement.scrollHeight")
    page.screenshot(path=str(tmp_path / "evaluation_full.png"), full_page=True)


def test_a_halted_run_shows_halted_and_opens_on_the_halting_node(page, tmp_path):
    from pipelines import LocalRunner
    from pipelines.dsl.loading import load_pipeline
    from tests.ui.test_outcome_routes import PIPELINE_FILE

    params = {"root": str(tmp_path / "root"), "serving_base": str(tmp_path / "serving")}
    LocalRunner().run(load_pipeline(PIPELINE_FILE, {**params, "span": 1}))
    halted = LocalRunner().run(load_pipeline(PIPELINE_FILE, {**params, "span": 2, "halt": True}))
    with serving(create_app(StoreSource.from_root(params["root"]))) as url:
        page.goto(f"{url}/runs")
        row = page.locator("table.runs tr", has=page.get_by_role("link", name=halted.run_id))
        assert row.locator(".badge.halted").inner_text() == "HALTED"
        row.get_by_role("link", name=halted.run_id).click()
        page.wait_for_url(re.compile(f"/runs/{halted.run_id}$"))
        assert page.locator("#run-status").inner_text() == "HALTED"
        node = page.locator("#run-graph g[data-key='make_data']")
        assert {"status-halted", "selected"} <= set(node.get_attribute("class").split())
        panel = page.locator(f"#node-{halted.nodes['make_data'].execution_id}")
        assert panel.is_visible() and "values out of range" in panel.locator(".error-message").inner_text()
        page.screenshot(path=str(tmp_path / "halted_run.png"), full_page=True)
