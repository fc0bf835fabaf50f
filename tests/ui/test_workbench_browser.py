"""The UI as a workbench, in Chromium over the demo store: find, compare and choose models.

Each test asserts a feature in the rendered page: sorting changes the order, a filter hides
rows, an improved loss is marked better, a skipped node is drawn, a file downloads.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from pipelines import Input, LocalRunner, Output, Pipeline, component
from pipelines.artifacts import Examples, Model
from pipelines.runner.run_log import library_output_to, new_log_path
from pipelines.ui import StoreSource, create_app
from tests.ui.browser import serving
from tests.ui.conftest import fail_loudly, numbers
from tests.ui.demo_store import SCRIPT_FEATURE

pytestmark = pytest.mark.e2e


def _run_names(page):
    return page.locator("table.runs tbody tr td:nth-child(2)").all_inner_texts()


def test_runs_table_sorts_filters_and_shows_picked_columns(page, ui_url, demo_store):
    first, second = demo_store[1]
    page.goto(f"{ui_url}/runs")
    assert _run_names(page) == [second.run_id, first.run_id]  # newest first
    page.locator("table.runs th button.sort", has_text="Run").click()
    assert _run_names(page) == [first.run_id, second.run_id]
    page.locator("table.runs th button.sort", has_text="Run").focus()
    page.keyboard.press("Enter")  # keyboard too: reverses
    assert _run_names(page) == [second.run_id, first.run_id]
    page.get_by_label("Outcome").select_option("rejected")
    page.locator("#run-filters button[type=submit]").click()
    page.wait_for_url(re.compile("outcome=rejected"))
    assert _run_names(page) == [second.run_id]
    page.goto(f"{ui_url}/runs")
    page.locator("#run-filters input[name=span]").fill("1")
    page.locator("#run-filters button[type=submit]").click()
    page.wait_for_url(re.compile("span=1"))
    assert _run_names(page) == [first.run_id]
    page.goto(f"{ui_url}/runs")
    page.locator("#column-picker summary").click()
    for column in ("auc", "span", "fixed_model.weight_x"):
        page.locator("#column-picker").get_by_label(column, exact=True).check()
    page.locator("#apply-columns").click()
    page.wait_for_url(re.compile("columns="))
    headers = page.locator("table.runs th.picked").all_inner_texts()
    assert headers == ["span", "auc", "fixed_model.weight_x"]  # in the picker's order
    row = page.locator("table.runs tr", has=page.get_by_role("link", name=first.run_id))
    span, auc, weight = row.locator("td").all_inner_texts()[-3:]
    assert (span, weight) == ("1", "3.0000") and float(auc) > 0.8
    page.locator("table.runs th button.sort", has_text="auc").click()  # lowest AUC first
    assert _run_names(page) == [second.run_id, first.run_id]


def test_compare_marks_an_improved_loss_as_better_and_overlays_learning_curves(page, ui_url,
                                                                               demo_store):
    first, second = demo_store[1]
    page.goto(f"{ui_url}/compare?runs={second.run_id},{first.run_id}")  # day 1's model is better
    loss = page.locator("#metrics tr[data-group='Overall'][data-name='mean_squared_error'] .delta")
    assert float(loss.inner_text()) < 0 and "better" in loss.get_attribute("class").split()
    auc = page.locator("#metrics tr[data-group='Overall'][data-name='auc'] .delta")
    assert float(auc.inner_text()) > 0 and "better" in auc.get_attribute("class").split()
    count = page.locator("#metrics tr[data-group='Overall'][data-name='example_count'] td").first
    assert re.fullmatch(r"[\d,]+", count.inner_text())  # a count, not 112.0000
    assert page.locator("#metrics tr.group th").first.inner_text() == "Overall"
    notes = page.locator("#metrics .note").all_inner_texts()  # from evaluation.json
    assert any("not judged" in note for note in notes) and any("% CI [" in note for note in notes)
    curves = page.locator("#learning-curves figure[data-tag='epoch_loss']")
    assert curves.locator("g.series").count() == 4  # two runs x (train, validation)
    assert curves.locator("ul.chart-legend").inner_text().count("validation") == 2
    weight = page.locator("#parameters tr[data-group='fixed_model'][data-name='weight_x']")
    assert weight.is_visible() and weight.locator("td").all_inner_texts()[0].startswith("1.0000")
    unchanged = page.locator("#parameters tr.same").first
    assert not unchanged.is_visible()
    page.locator("input.show-unchanged[data-table='parameters']").check()
    assert unchanged.is_visible()
    assert page.locator("svg.spans-chart text.x-tick").all_text_contents() == ["1", "2"]
    assert page.locator("svg.spans-chart text.axis-title").all_text_contents() == ["span", "auc"]
    page.locator("#chart-metric").select_option("mean_squared_error")
    page.locator("form:has(#chart-metric) button[type=submit]").click()
    page.wait_for_url(re.compile("metric=mean_squared_error"))
    assert page.locator("svg.spans-chart text.axis-title").all_text_contents() == [
        "span", "mean_squared_error"]
    assert page.dialogs == []


@component
def chatty(examples: Input[Examples], model: Output[Model]):
    """Prints one timestamped line, as TensorFlow's log does, then writes a model."""
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M:%S.%f}: I chatty says hello", flush=True)
    Path(model.path("total.json")).write_text("0")


def test_run_page_draws_skipped_nodes_a_timeline_parameters_and_the_node_log(page, tmp_path):
    root = tmp_path / "root"
    source = numbers(count=4, span=4)
    broken = fail_loudly(examples=source.outputs["examples"])
    talk = chatty(examples=source.outputs["examples"])
    from tests.ui.conftest import downstream

    pipeline = Pipeline("first_failure", str(root),
                        [source, talk, broken, downstream(model=broken.outputs["model"])])
    with library_output_to(new_log_path(str(root))):
        result = LocalRunner().run(pipeline)
    with serving(create_app(StoreSource.from_root(str(root)))) as url:
        page.goto(f"{url}/runs/{result.run_id}")
        skipped = page.locator("#run-graph g[data-key='skipped-1']")
        assert skipped.is_visible() and "status-skipped" in skipped.get_attribute("class")
        assert page.locator("#run-graph text.edge-label").first.is_visible()
        assert page.locator("#timeline .timeline-bar").count() == 3
        assert page.locator("#parameters td", has_text=re.compile("^count$")).is_visible()
        assert page.locator("#run-graph g[data-key='fail_loudly']").get_attribute("class").endswith(
            "selected")  # opened on the failed node
        chatty_id = result.nodes["chatty"].execution_id
        page.locator(f"#timeline .timeline-bar[data-id='{chatty_id}']").click()
        panel = page.locator(f"#node-{chatty_id}")
        panel.locator("details.node-log summary").click()
        page.wait_for_function("id => !document.querySelector(id + ' pre.log-lines')"
                               ".textContent.startsWith('loading')",
                               arg=f"#node-{chatty_id}")
        assert "chatty says hello" in panel.locator("pre.log-lines").inner_text()
        assert page.dialogs == []


def test_artifact_files_download_and_nothing_outside_the_artifact(page, ui_url, demo_store, tmp_path):
    second = demo_store[1][1]
    schema_id = second.output("SchemaGen", "schema").id
    page.goto(f"{ui_url}/artifacts/{schema_id}")
    assert page.locator("#schema td", has_text=SCRIPT_FEATURE).is_visible()  # as text
    assert page.locator("#schema tr", has_text="platform").locator("td").last.inner_text() == "ios, web"
    with page.expect_download() as download:
        page.locator("#files a.download", has_text="download").first.click()
    saved = tmp_path / "schema.pbtxt"
    download.value.save_as(saved)
    assert 'name: "platform"' in saved.read_text()
    for escape in ("../../metadata.sqlite", "/etc/passwd"):
        response = page.request.get(f"{ui_url}/artifacts/{schema_id}/download?path={escape}")
        assert response.status == 404
    examples_id = second.output("CsvExampleGen", "examples").id
    page.goto(f"{ui_url}/artifacts/{examples_id}")
    page.locator("#files a", has_text="Split-train/").click()
    page.wait_for_url(re.compile("dir=Split-train"))
    assert page.locator("#files a.download").count() >= 1
    assert page.dialogs == []


def test_lineage_zooms_labels_ports_and_focuses_one_side(page, ui_url, demo_store):
    second = demo_store[1][1]
    model_id = second.output("fixed_model", "model").id
    page.goto(f"{ui_url}/artifacts/{model_id}")
    labels = page.locator("#lineage-graph text.edge-label").all_text_contents()
    assert {"model", "model_blessing"} <= set(labels)  # port names, not artifact types
    svg = page.locator("#lineage-graph svg")
    width = float(svg.get_attribute("width"))
    page.locator(".zoom[data-target='lineage-graph'] .zoom-in").click()
    assert float(svg.get_attribute("width")) > width
    page.locator("#lineage-graph").focus()
    page.keyboard.press("-")
    assert float(svg.get_attribute("width")) == pytest.approx(width, abs=1)
    assert page.locator("#lineage-graph text.title", has_text="Pusher").count() == 1
    page.locator("#focus-upstream").click()
    page.wait_for_url(re.compile("focus=upstream"))
    assert page.locator("#lineage-graph text.title", has_text="Pusher").count() == 0


def test_models_page_lists_versions_with_metrics_span_and_the_latest(page, ui_url, demo_store):
    page.goto(f"{ui_url}/models")
    table = page.locator("table.models[data-model='clicks']")
    headers = table.locator("th").all_inner_texts()
    assert "auc" in headers and "Span" in headers
    pushed = table.locator("tbody tr", has=page.locator(".badge", has_text="latest"))
    cells = pushed.locator("td").all_inner_texts()
    assert cells[1].startswith("1") and cells[3] == "1"
    assert float(cells[headers.index("auc")]) > 0.8
