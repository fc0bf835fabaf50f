from pipelines import (
    Input,
    Output,
    Pipeline,
    component,
    latest_blessed_model,
    latest_model,
    previous_span,
)
from pipelines.artifacts import Examples, Model
from pipelines.metadata import DOWNSTREAM, lineage
from tests.pipelines.conftest import bless, fan_pipeline, source, statuses


def test_lineage_of_last_artifact_reaches_the_first(tmp_path, run, store_of):
    result = run(fan_pipeline(tmp_path))
    store = store_of(tmp_path)
    tree = lineage(store, result.output("combine", "model").id)
    ids = tree.artifact_ids()
    assert result.output("source", "examples").id in ids
    assert result.output("scale_left", "scaled").id in ids
    assert [step.execution.node_id for step in tree.steps] == ["combine"]
    # the source Examples is reached twice (diamond) and expanded once
    assert sum(1 for a in tree.artifacts() if a.id == result.output("source", "examples").id) == 2


def test_lineage_ignores_cache_hits_as_producers(tmp_path, run, store_of):
    run(fan_pipeline(tmp_path))
    result = run(fan_pipeline(tmp_path))
    tree = lineage(store_of(tmp_path), result.output("combine", "model").id)
    assert len(tree.steps) == 1 and tree.steps[0].execution.state == "COMPLETE"


def test_downstream_lineage(tmp_path, run, store_of):
    result = run(fan_pipeline(tmp_path))
    tree = lineage(store_of(tmp_path), result.output("source", "examples").id, DOWNSTREAM)
    assert result.output("combine", "model").id in tree.artifact_ids()


@component
def trainer(examples: Input[Examples], model: Output[Model], base_model: Input[Model] = None):
    model.properties["base_model_id"] = base_model.id if base_model is not None else -1


def _continuous(root, span, verdict=True):
    src = source(span=span, count=span + 2)
    base = latest_model(pinned_to=src.outputs["examples"])
    train = trainer(examples=src.outputs["examples"], base_model=base.outputs["model"])
    baseline = latest_blessed_model(pinned_to=src.outputs["examples"])
    verdict_node = bless(model=train.outputs["model"], verdict=verdict)
    previous = previous_span(src.outputs["examples"])
    return Pipeline("ct", str(root), [src, base, train, baseline, verdict_node, previous])


def test_resolvers_find_latest_model_blessed_baseline_and_previous_span(tmp_path, run):
    first = run(_continuous(tmp_path, span=1))
    assert first.output("latest_model", "model") is None
    assert first.output("latest_blessed_model", "model") is None
    assert first.output("previous_span_examples", "artifact") is None
    assert first.output("trainer", "model").properties["base_model_id"] == -1

    second = run(_continuous(tmp_path, span=2, verdict=False))
    model_1 = first.output("trainer", "model")
    assert second.output("latest_model", "model").id == model_1.id
    assert second.output("trainer", "model").properties["base_model_id"] == model_1.id
    assert second.output("latest_blessed_model", "model").id == model_1.id
    assert second.output("previous_span_examples", "artifact").id == first.output("source", "examples").id

    third = run(_continuous(tmp_path, span=3))
    # span 2's model was not blessed: the baseline is still span 1's model
    assert third.output("latest_blessed_model", "model").id == model_1.id
    assert third.output("latest_model", "model").id == second.output("trainer", "model").id
    assert third.output("previous_span_examples", "artifact").span == 2


def test_pinned_resolvers_keep_a_rerun_fully_cached(tmp_path, run):
    run(_continuous(tmp_path, span=1))
    run(_continuous(tmp_path, span=2))
    rerun = run(_continuous(tmp_path, span=2))
    assert set(statuses(rerun).values()) == {"CACHED"}, statuses(rerun)


def test_unpinned_resolver_resolves_every_run(tmp_path, run):
    def build():
        src = source()
        return Pipeline("u", str(tmp_path), [src, latest_model()])
    run(build())
    assert statuses(run(build()))["latest_model"] == "COMPLETE"


def test_required_input_fed_by_an_empty_resolver_fails_clearly(tmp_path, run):
    @component
    def needs_model(model: Input[Model], out: Output[Model]):
        pass

    base = latest_model()
    result = run(Pipeline("e", str(tmp_path), [base, needs_model(model=base.outputs["model"])]))
    assert "input 'model' is empty" in result.nodes["needs_model"].error
