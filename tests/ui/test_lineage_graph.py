"""The artifact page's lineage graph: both directions, bounded over a long warm-start history."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from pipelines import Input, LocalRunner, Output, Parameter, Pipeline, component, latest_model
from pipelines.artifacts import Model
from pipelines.ui import StoreSource, create_app
from pipelines.ui.lineage_graph import lineage_graph


@component
def grow(model: Output[Model], base: Input[Model] = None, day: Parameter[int] = 1):
    """A model warm-started from the previous day's: its lineage reaches every earlier day."""
    previous = json.loads(Path(base.path("days.json")).read_text()) if base is not None else []
    Path(model.path("days.json")).write_text(json.dumps([*previous, day]))


def _days(root: Path, count: int) -> list:
    results = []
    for day in range(1, count + 1):
        base = latest_model()
        results.append(LocalRunner().run(Pipeline("growing", str(root), [
            base, grow(base=base.outputs["model"], day=day)])))
    return results


def test_lineage_goes_up_the_warm_start_chain_and_down_to_later_days(tmp_path):
    results = _days(tmp_path, 4)
    models = [result.output("grow", "model").id for result in results]
    client = TestClient(create_app(StoreSource.from_root(str(tmp_path))))
    graph = client.get(f"/api/lineage/{models[1]}").json()
    keys = {node["key"] for node in graph["nodes"]}
    assert {f"a{model_id}" for model_id in models} <= keys  # day 1 upstream, days 3-4 downstream
    grow_day3 = results[2].nodes["grow"].execution_id
    assert [f"a{models[1]}", f"e{grow_day3}", "base"] in [
        [e["source"], e["target"], e["label"]] for e in graph["edges"]]
    assert graph["truncated"] is False
    page = client.get(f"/artifacts/{models[1]}").text
    assert "lineage-truncated" not in page and f"href='/artifacts/{models[0]}'" in page


def test_a_long_history_is_cut_at_the_bound_and_says_so(tmp_path):
    results = _days(tmp_path, 6)
    newest = results[-1].output("grow", "model").id
    with StoreSource.from_root(str(tmp_path)).reading() as store:
        bounded = lineage_graph(store, newest, max_nodes=5)
        whole = lineage_graph(store, newest)
    assert bounded.truncated and len(bounded.nodes) == 5
    assert not whole.truncated and len(whole.nodes) == 12  # six models, six executions
