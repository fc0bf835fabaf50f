"""Inputs recorded exactly: one artifact on two ports, and MLMD errors inside a node."""

import json
from pathlib import Path

from pipelines import Input, LocalRunner, Output, Pipeline, component, latest_blessed_model
from pipelines.artifacts import Examples, Model, ModelBlessing, ModelEvaluation
from pipelines.dsl.node import Node
from pipelines.resolvers import ResolverComponent
from tests.pipelines.conftest import bless, source, statuses


@component
def train(examples: Input[Examples], model: Output[Model]):
    Path(model.path("w.json")).write_text("1")


@component
def evaluate(model: Input[Model], evaluation: Output[ModelEvaluation],
             baseline_model: Input[Model] = None):
    same = baseline_model is not None and baseline_model.id == model.id
    Path(evaluation.path("e.json")).write_text(json.dumps({"baseline_is_candidate": same}))


def _tfx_style_wiring(root):
    """TFX's taxi wiring: the baseline is the latest blessed model, not pinned to the data."""
    data = source()
    trainer = train(examples=data.outputs["examples"])
    baseline = latest_blessed_model()
    evaluator = evaluate(model=trainer.outputs["model"], baseline_model=baseline.outputs["model"])
    blessing = bless(model=trainer.outputs["model"])
    return Pipeline("taxi_like", str(root), [data, trainer, baseline, evaluator, blessing])


def test_one_artifact_on_two_ports_is_one_event_naming_both(tmp_path, store_of):
    LocalRunner().run(_tfx_style_wiring(tmp_path)).raise_for_status()
    # second run: the cached candidate is now also the latest blessed model
    second = LocalRunner().run(_tfx_style_wiring(tmp_path))
    assert second.status == "COMPLETE", second.failed_nodes
    assert statuses(second)["train"] == "CACHED" and statuses(second)["evaluate"] == "COMPLETE"
    evaluation = second.output("evaluate", "evaluation")
    assert json.loads(Path(evaluation.path("e.json")).read_text()) == {"baseline_is_candidate": True}
    store = store_of(tmp_path)
    execution_id = second.nodes["evaluate"].execution_id
    inputs = store.execution_artifacts(execution_id, "INPUT")
    assert set(inputs) == {"model", "baseline_model"}
    assert inputs["model"].id == inputs["baseline_model"].id
    [event] = [e for e in store.events_of_executions([execution_id]) if e.type == e.INPUT]
    assert [step.key for step in event.path.steps if step.HasField("key")] == [
        "model", "baseline_model"]


class _BrokenQuery(ResolverComponent):
    def __init__(self):
        super().__init__("broken_query", ModelBlessing, "blessing", {}, "an invalid MLMD query")

    def resolve(self, store, pipeline_name, inputs, node):
        return store.query_artifacts("type = = 'Model'")[0]


def test_an_mlmd_error_inside_a_node_fails_that_node_in_one_line(tmp_path):
    broken = Node(_BrokenQuery(), {}, {})
    result = LocalRunner().run(Pipeline("mlmd_error", str(tmp_path), [source(), broken]))
    assert statuses(result) == {"source": "COMPLETE", "broken_query": "FAILED"}
    error = result.nodes["broken_query"].error
    assert error.startswith("metadata store get_artifacts failed (") and "\n" not in error
