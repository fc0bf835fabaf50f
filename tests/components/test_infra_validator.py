"""InfraValidator against a real `starling serve` subprocess: a good model, one that cannot load,
and one whose signature rejects the examples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components import Pusher
from components.infra_validator import InfraValidator
from pipelines import LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model
from tests.serving.conftest import saved_model  # noqa: F401  (the shared fixture SavedModel)
from tests.serving.fixture_model import ROWS

pytestmark = pytest.mark.e2e
_SOURCE: dict[str, str] = {}


def write_tfrecords(path: Path, records: list[bytes]) -> None:
    """Gzipped TFRecords written with TensorFlow's own writer."""
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for record in records:
            writer.write(record)


@component
def candidate(model: Output[Model], broken: Parameter[bool] = False):
    """The fixture SavedModel as a Model artifact, or a corrupt one."""
    target = Path(model.path("Format-Serving"))
    if broken:
        target.mkdir()
        (target / "saved_model.pb").write_bytes(b"not a SavedModel")
    else:
        shutil.copytree(_SOURCE["saved_model"], target)


@component
def eval_examples(examples: Output[Examples], drop_feature: Parameter[str] = ""):
    """Three tf.Examples of the fixture's features (one feature left out if asked)."""
    from serving.feature_spec import FeatureSpec

    spec = FeatureSpec.load(_SOURCE["saved_model"]) if not drop_feature else FeatureSpec(None)
    rows = [{k: v for k, v in row.items() if k != drop_feature} for row in ROWS]
    split = Path(examples.split_uri("eval"))
    split.mkdir(parents=True)
    write_tfrecords(split / "data_tfrecord-00000.gz", [spec.to_example_bytes(r, "row") for r in rows])
    examples.split_names = ["eval"]


def run(tmp_path, name, broken=False, drop_feature=""):
    model = candidate(broken=broken)
    data = eval_examples(drop_feature=drop_feature)
    infra = InfraValidator(model=model.outputs["model"], examples=data.outputs["examples"],
                           max_loading_time_seconds=120, num_tries=1)
    push = Pusher(model=model.outputs["model"], infra_blessing=infra.outputs["blessing"],
                  serving_base=str(tmp_path / "serving"), model_name="ctr")
    result = LocalRunner().run(Pipeline(name, str(tmp_path / name), [model, data, infra, push]))
    assert result.status == "COMPLETE", result.nodes
    return result.output("InfraValidator", "blessing"), result.output("Pusher", "pushed_model")


def test_a_servable_model_is_blessed_and_pushed(saved_model, tmp_path, capfd):  # noqa: F811
    _SOURCE["saved_model"] = str(saved_model)
    blessing, pushed = run(tmp_path, "good")
    assert blessing.blessed == 1 and Path(blessing.path("INFRA_BLESSED")).exists()
    assert blessing.properties["validation_mode"] == "LOAD_AND_QUERY"
    assert pushed.pushed == 1
    # its upstream nodes executed, so the run prepared the server's interpreter meanwhile
    assert "sandbox model server: the interpreter prepared during the run" in capfd.readouterr().err


def test_a_model_that_cannot_load_is_not_blessed(saved_model, tmp_path):  # noqa: F811
    _SOURCE["saved_model"] = str(saved_model)
    blessing, pushed = run(tmp_path, "broken", broken=True)
    reason = Path(blessing.path("INFRA_NOT_BLESSED")).read_text()
    assert blessing.blessed == 0 and "the model failed to load" in reason
    assert pushed.pushed == 0 and not (tmp_path / "serving" / "ctr").exists()


def test_a_signature_that_rejects_the_examples_is_not_blessed(saved_model, tmp_path):  # noqa: F811
    _SOURCE["saved_model"] = str(saved_model)
    blessing, pushed = run(tmp_path, "rejects", drop_feature="hour")
    reason = Path(blessing.path("INFRA_NOT_BLESSED")).read_text()
    assert blessing.blessed == 0
    assert "REST predict on signature 'serving_default' answered 400" in reason and "hour" in reason
    assert pushed.pushed == 0
