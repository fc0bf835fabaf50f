"""A small real pipeline for the UI tests: two days of CSV through real components.

CsvExampleGen -> StatisticsGen -> SchemaGen, a fixed-weight logistic model, a
`latest_blessed_model` resolver, TFMA's Evaluator and the Pusher. Day 1's model is good and is
pushed; day 2's leans on noise, loses AUC against day 1's baseline and is not pushed. One CSV
column is named like a script tag, so every page that shows feature names is an XSS probe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from components import CsvExampleGen, Evaluator, Pusher, SchemaGen, StatisticsGen
from pipelines import LocalRunner, Output, Parameter, Pipeline, component, latest_blessed_model
from pipelines.artifacts import Model, ModelRun
from pipelines.runner.results import RunResult

PIPELINE_NAME = "ui_demo"
SCRIPT_FEATURE = "<script>alert(1)</script>"
EVAL_CONFIG = {
    "label_key": "label",
    "slices": [[], ["platform"]],
    "metrics": {"ExampleCount": {}, "AUC": {"lower_bound": 0.55, "max_decrease": 0.02},
                "MeanSquaredError": {}},  # a loss (Brier score): lower is better
    "min_slice_size": 20,
}
NODE_IDS = ("CsvExampleGen", "StatisticsGen", "SchemaGen", "fixed_model", "latest_blessed_model",
            "Evaluator", "Pusher")


def write_day(data_root: Path, span: int, rows: int = 400) -> None:
    """One day of clicks: `x` drives the label, `z` and the script-named column are noise."""
    rng = np.random.default_rng(span)
    lines = [f"x,z,platform,{SCRIPT_FEATURE.replace(',', '')},label"]
    for _ in range(rows):
        x, z = rng.normal(), rng.normal()
        platform = "web" if rng.random() < 0.3 else "ios"
        label = int(x + rng.normal(0, 0.6) > 0)
        lines.append(f"{x:.4f},{z:.4f},{platform},{rng.integers(0, 5)},{label}")
    day = data_root / f"day-{span}"
    day.mkdir(parents=True, exist_ok=True)
    (day / "clicks.csv").write_text("\n".join(lines) + "\n")


def write_learning_curve(directory: str, weight_x: float, epochs: int = 6) -> None:
    """TensorBoard scalars as a Keras fit writes them: epoch_loss under train/ and validation/.

    The better model (larger weight_x) ends with the lower loss.
    """
    import tensorflow as tf

    for split, offset in (("train", 0.0), ("validation", 0.03)):
        with tf.summary.create_file_writer(f"{directory}/{split}").as_default():
            for epoch in range(epochs):
                loss = 0.3 + 1.2 / (weight_x * (epoch + 1)) + offset
                tf.summary.scalar("epoch_loss", loss, step=epoch)


@component
def fixed_model(model: Output[Model], model_run: Output[ModelRun], weight_x: Parameter[float] = 3.0,
                weight_z: Parameter[float] = 0.0):
    """A logistic model with fixed weights whose serving signature parses raw tf.Examples.

    Its ModelRun holds the learning curves a training would have written (TensorBoard files).
    """
    import tensorflow as tf
    import tf_keras as keras

    write_learning_curve(model_run.uri, weight_x)

    inputs = keras.Input(shape=(2,), name="features")
    keras_model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    keras_model.layers[1].set_weights([np.array([[weight_x], [weight_z]], np.float32),
                                       np.zeros(1, np.float32)])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        parsed = tf.io.parse_example(serialized, {
            "x": tf.io.FixedLenFeature([1], tf.float32), "z": tf.io.FixedLenFeature([1], tf.float32)})
        return {"outputs": keras_model(tf.concat([parsed["x"], parsed["z"]], axis=1))}

    keras_model.save(model.path("Format-Serving"), signatures={"serving_default": serve},
                     save_format="tf")


def demo_pipeline(root: Path, data_root: Path, serving: Path, span: int, weight_x: float,
                  weight_z: float) -> Pipeline:
    """The seven-node pipeline over day `span`."""
    gen = CsvExampleGen(input_base=str(data_root), pattern="day-{SPAN}/*.csv", span=span)
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    model = fixed_model(weight_x=weight_x, weight_z=weight_z)
    baseline = latest_blessed_model(pinned_to=gen.outputs["examples"])
    evaluate = Evaluator(examples=gen.outputs["examples"], model=model.outputs["model"],
                         baseline_model=baseline.outputs["model"], eval_config=EVAL_CONFIG)
    push = Pusher(model=model.outputs["model"], model_blessing=evaluate.outputs["blessing"],
                  serving_base=str(serving), model_name="clicks")
    return Pipeline(PIPELINE_NAME, str(root), [gen, stats, schema, model, baseline, evaluate, push])


def build_demo_store(base: Path) -> tuple[Path, list[RunResult]]:
    """Runs day 1 (good model, pushed) and day 2 (noisy model, not blessed); returns the root."""
    root, data_root, serving = base / "root", base / "data", base / "serving"
    results = []
    for span, weights in ((1, (3.0, 0.0)), (2, (1.0, 1.5))):
        write_day(data_root, span)
        result = LocalRunner().run(demo_pipeline(root, data_root, serving, span, *weights))
        failed = {n: r.error for n, r in result.nodes.items() if r.status == "FAILED"}
        assert not failed, f"demo run of day {span} failed: {failed}"
        results.append(result)
    return root, results
