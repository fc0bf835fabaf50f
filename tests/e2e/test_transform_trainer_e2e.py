"""Transform and Trainer with real TFT and tf_keras: one featurization for training and serving."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from components import CsvExampleGen, ImportSchemaGen, Trainer, Transform, load_base_weights
from pipelines import LocalRunner, Pipeline, latest_model
from tests.components.conftest import read_examples

REPO = Path(__file__).resolve().parents[2]
CTR = REPO / "templates" / "ctr"
sys.path.insert(0, str(CTR))

from data_generator import CtrDataConfig, write_days  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("ctr")
    write_days(root, [1, 2], CtrDataConfig(rows_per_day=2500))
    return root


def _pipeline(root, data, span, preprocessing, model_module, base=True, steps=20):
    gen = CsvExampleGen(input_base=str(data), pattern="day-{SPAN}/*.csv", span=span)
    schema = ImportSchemaGen(schema_file=str(REPO / "schemas" / "ctr.pbtxt"))
    # a str is a TFX-style reference (`package.module.function`), a Path a module file
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          **({"preprocessing_fn": preprocessing} if isinstance(preprocessing, str)
                             else {"module_file": str(preprocessing)}))
    nodes = [gen, schema, transform]
    base_model = None
    if base:
        resolver = latest_model(pinned_to=gen.outputs["examples"])
        nodes.append(resolver)
        base_model = resolver.outputs["model"]
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
                      **({"run_fn": model_module} if isinstance(model_module, str)
                         else {"module_file": str(model_module)}),
                      base_model=base_model, train_steps=steps, eval_steps=2,
                      hyperparameters={"batch_size": 64})
    return Pipeline("tt", str(root), [*nodes, trainer])


def _serving_predictions(model_dir, serialized):
    import tensorflow as tf

    signature = tf.saved_model.load(str(model_dir)).signatures["serving_default"]
    [output] = signature(examples=tf.constant(serialized)).values()
    return output.numpy().reshape(-1)


def test_serving_signature_equals_keras_model_on_transform_output_and_warm_start(tmp_path, data):
    import tensorflow as tf
    import tensorflow_transform as tft
    sys.path.insert(0, str(CTR))
    from model import build_model

    first = LocalRunner().run(_pipeline(tmp_path, data, 1, CTR / "preprocessing.py", CTR / "model.py"))
    assert first.status == "COMPLETE", {k: v.error for k, v in first.nodes.items()}
    model_artifact = first.output("Trainer", "model")
    serving_dir = Path(model_artifact.path("Format-Serving"))

    # the trained Keras model, rebuilt and given the trained weights, on Transform's own output
    graph = tft.TFTransformOutput(first.output("Transform", "transform_graph").uri)
    keras_model = build_model(graph)
    assert load_base_weights(keras_model, str(serving_dir))
    transformed = read_examples(first.output("Transform", "transformed_examples"), "eval")
    features = {name: np.array([row[name][0] for row in transformed]) for name in keras_model.input_names}
    from_transform_output = keras_model.predict(features, verbose=0).reshape(-1)

    # the exported serving signature, on the raw serialized examples of the same split
    raw_files = sorted(Path(first.output("CsvExampleGen", "examples").split_uri("eval")).glob("*.gz"))
    raw = [r.numpy() for r in tf.data.TFRecordDataset([str(f) for f in raw_files], compression_type="GZIP")]
    from_serving = _serving_predictions(serving_dir, raw)
    assert len(from_serving) == len(from_transform_output) == len(raw)
    np.testing.assert_allclose(np.sort(from_serving), np.sort(from_transform_output), atol=1e-5)

    # span 2 starts from span 1's weights
    second = LocalRunner().run(_pipeline(tmp_path, data, 2, CTR / "preprocessing.py", CTR / "model.py"))
    assert second.output("latest_model", "model").id == model_artifact.id
    assert second.output("Trainer", "model").properties["base_model_id"] == model_artifact.id
    warm = build_model(graph)
    cold = build_model(graph)
    assert load_base_weights(warm, str(serving_dir))
    for loaded, trained in zip(warm.get_weights(), keras_model.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, trained)
    assert any(not np.array_equal(a, b) for a, b in zip(cold.get_weights(), warm.get_weights(), strict=True))


def test_a_tfx_module_runs_unchanged_named_the_tfx_way(tmp_path, data):
    import tensorflow as tf

    module = "tests.e2e.modules.tfx_style_module"  # TFX templates' dotted form, from the project root
    result = LocalRunner().run(_pipeline(tmp_path, data, 1, f"{module}.preprocessing_fn", f"{module}:run_fn",
                                         base=False, steps=10))
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    raw_files = sorted(Path(result.output("CsvExampleGen", "examples").split_uri("eval")).glob("*.gz"))
    raw = [r.numpy() for r in tf.data.TFRecordDataset([str(raw_files[0])], compression_type="GZIP").take(5)]
    predictions = _serving_predictions(result.output("Trainer", "model").path("Format-Serving"), raw)
    assert predictions.shape == (5,) and np.all((predictions >= 0) & (predictions <= 1))


def test_module_edits_rerun_transform_and_bad_preprocessing_names_the_feature(tmp_path, data):
    module = tmp_path / "preprocessing.py"
    shutil.copy(CTR / "preprocessing.py", module)
    sys.path.insert(0, str(CTR))
    first = LocalRunner().run(_pipeline(tmp_path / "root", data, 1, module, CTR / "model.py", steps=5))
    assert first.status == "COMPLETE"
    again = LocalRunner().run(_pipeline(tmp_path / "root", data, 1, module, CTR / "model.py", steps=5))
    assert {n.status for n in again.nodes.values()} == {"CACHED"}

    module.write_text(module.read_text().replace('inputs["advertiser_id"]', 'inputs["advertiser"]'))
    broken = LocalRunner().run(_pipeline(tmp_path / "root", data, 1, module, CTR / "model.py", steps=5))
    node = broken.nodes["Transform"]
    assert node.status == "FAILED" and "feature 'advertiser' is not in the schema" in node.error
    assert broken.nodes["Trainer"].status == "SKIPPED"
    assert not (tmp_path / "root" / "Transform" / "transform_graph" / str(node.execution_id)).exists()

    module.write_text("def preprocessing_fn(inputs):\n    raise ValueError('no features today')\n")
    raising = LocalRunner().run(_pipeline(tmp_path / "root", data, 1, module, CTR / "model.py", steps=5))
    assert "no features today" in raising.nodes["Transform"].error
