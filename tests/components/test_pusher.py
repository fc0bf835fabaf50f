import json
import os
import threading
from pathlib import Path

from components.pusher import Pusher, existing_versions, push_saved_model
from pipelines import Input, LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import InfraBlessing, Model, ModelBlessing


@component
def fake_trainer(model: Output[Model], weights: Parameter[str] = "w1"):
    """Writes a SavedModel-shaped directory (the Pusher only copies files)."""
    serving = Path(model.path("Format-Serving"))
    (serving / "variables").mkdir(parents=True)
    (serving / "saved_model.pb").write_text(weights)
    (serving / "variables" / "variables.index").write_text(weights)


@component
def verdict(model: Input[Model], blessing: Output[ModelBlessing], blessed: Parameter[bool] = True):
    blessing.blessed = int(blessed)
    Path(blessing.path("BLESSED" if blessed else "NOT_BLESSED")).touch()


def _pipeline(root, serving, weights, blessed):
    train = fake_trainer(weights=weights)
    judge = verdict(model=train.outputs["model"], blessed=blessed)
    push = Pusher(model=train.outputs["model"], model_blessing=judge.outputs["blessing"],
                  serving_base=str(serving), model_name="ctr")
    return Pipeline("push", str(root), [train, judge, push])


def test_blessed_models_get_increasing_versions_and_unblessed_are_not_pushed(tmp_path):
    serving = tmp_path / "serving"
    first = LocalRunner().run(_pipeline(tmp_path / "root", serving, "w1", True))
    pushed = first.output("Pusher", "pushed_model")
    assert pushed.pushed == 1 and pushed.properties["pushed_version"] == 1
    assert (serving / "ctr" / "1" / "saved_model.pb").read_text() == "w1"
    assert pushed.properties["destination"] == str((serving / "ctr" / "1").resolve())

    second = LocalRunner().run(_pipeline(tmp_path / "root", serving, "w2", True))
    assert second.output("Pusher", "pushed_model").properties["pushed_version"] == 2

    before = sorted(os.listdir(serving / "ctr"))
    third = LocalRunner().run(_pipeline(tmp_path / "root", serving, "w3", False))
    record = third.output("Pusher", "pushed_model")
    assert record.pushed == 0 and "destination" not in record.properties
    assert json.loads(Path(record.path("push.json")).read_text())["pushed"] == 0
    assert sorted(os.listdir(serving / "ctr")) == before == ["1", "2"]
    assert (serving / "ctr" / "2" / "saved_model.pb").read_text() == "w2"


def test_missing_saved_model_fails_with_path(tmp_path):
    @component
    def empty_model(model: Output[Model]):
        pass

    train = empty_model()
    judge = verdict(model=train.outputs["model"])
    push = Pusher(model=train.outputs["model"], model_blessing=judge.outputs["blessing"],
                  serving_base=str(tmp_path / "serving"))
    result = LocalRunner().run(Pipeline("p", str(tmp_path / "root"), [train, judge, push]))
    assert "has no Format-Serving/ SavedModel" in result.nodes["Pusher"].error
    assert not (tmp_path / "serving" / "model").exists() or existing_versions(
        str(tmp_path / "serving" / "model")) == []


def test_concurrent_pushes_never_share_a_version(tmp_path):
    source = tmp_path / "saved"
    source.mkdir()
    (source / "saved_model.pb").write_text("x")
    versions = []
    threads = [threading.Thread(target=lambda: versions.append(
        push_saved_model(str(source), str(tmp_path / "base"))[0])) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]
    assert existing_versions(str(tmp_path / "base")) == [1, 2, 3, 4, 5, 6]
    assert [n for n in os.listdir(tmp_path / "base") if n.startswith(".")] == []


@component
def infra_verdict(model: Input[Model], blessing: Output[InfraBlessing], blessed: Parameter[bool] = True):
    blessing.blessed = int(blessed)
    Path(blessing.path("INFRA_BLESSED" if blessed else "INFRA_NOT_BLESSED")).touch()


def test_a_model_that_is_not_infra_blessed_is_refused(tmp_path):
    serving = tmp_path / "serving"
    records = []
    for infra_blessed in (False, True):
        train = fake_trainer(weights="w1")
        judge = verdict(model=train.outputs["model"], blessed=True)
        infra = infra_verdict(model=train.outputs["model"], blessed=infra_blessed)
        push = Pusher(model=train.outputs["model"], model_blessing=judge.outputs["blessing"],
                      infra_blessing=infra.outputs["blessing"], serving_base=str(serving), model_name="ctr")
        root = tmp_path / f"root-{infra_blessed}"
        records.append(LocalRunner().run(Pipeline("push", str(root), [train, judge, infra, push])).output(
            "Pusher", "pushed_model"))
    refused, pushed = records
    assert refused.pushed == 0 and "failed infra validation" in refused.properties["not_pushed_because"]
    assert pushed.pushed == 1 and existing_versions(str(serving / "ctr")) == [1]
