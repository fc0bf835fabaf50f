"""One small SavedModel for every serving test: raw tf.Examples in, four signatures out.

- `serving_default`: `examples` -> `probability` ([batch, 1]); waits `delay_ms` (the largest in
  the batch) with tf.data's sleep, so tests can make requests slow without Python in the graph.
  It reads `platform` as UTF-8 text (strictly, as a text model does), so a batch holding a
  non-UTF-8 `platform` fails as a whole in the model.
- `classification`: `inputs` -> `classes`, `scores` ([batch, 2]), TF Serving's classify keys.
- `regression`: `inputs` -> `outputs` ([batch, 1]), TF Serving's regress key.
- `batch_total`: `examples` -> one scalar for the whole batch (not one row per example), which
  a server must answer with an error instead of hanging.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

ROWS = [{"x": 0.5, "platform": "ios", "hour": 3}, {"x": -1.25, "platform": "web", "hour": 20},
        {"x": 2.0, "platform": "android", "hour": 11}]
FEATURE_SPEC = {"x": {"dtype": "float32"}, "platform": {"dtype": "string"}, "hour": {"dtype": "int64"},
                "delay_ms": {"dtype": "int64", "required": False}}


def export_model(directory: str | Path, weight: float = 1.0) -> None:
    """Writes the SavedModel (and its feature spec) to `directory`."""
    import tensorflow as tf
    from tensorflow.python.data.experimental.ops import testing as data_testing

    parse_spec = {"x": tf.io.FixedLenFeature([1], tf.float32),
                  "platform": tf.io.FixedLenFeature([1], tf.string),
                  "hour": tf.io.FixedLenFeature([1], tf.int64),
                  "delay_ms": tf.io.FixedLenFeature([1], tf.int64, default_value=[0])}
    kernel = tf.Variable(np.array([[weight], [0.1]], np.float32))

    def probability(serialized: tf.Tensor) -> tf.Tensor:
        parsed = tf.io.parse_example(serialized, parse_spec)
        features = tf.concat([parsed["x"], tf.cast(parsed["hour"], tf.float32) / 24.0], axis=1)
        is_web = tf.cast(tf.equal(parsed["platform"], "web"), tf.float32)
        characters = tf.strings.unicode_decode(parsed["platform"][:, 0], "UTF-8", errors="strict")
        is_web += 0.0 * tf.cast(characters.row_lengths()[:, None], tf.float32)
        delay = tf.reduce_max(parsed["delay_ms"]) * 1000
        waited = tf.data.Dataset.range(1).apply(data_testing.sleep(delay)).reduce(
            tf.constant(0, tf.int64), lambda total, item: total + item)
        return tf.sigmoid(tf.matmul(features, kernel)) * (1.0 - 0.5 * is_web) + tf.cast(waited, tf.float32)

    module = tf.Module()
    module.kernel = kernel
    examples = tf.TensorSpec([None], tf.string)
    module.serve = tf.function(lambda examples: {"probability": probability(examples)},
                               input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    module.classify = tf.function(lambda inputs: {
        "scores": tf.concat([1.0 - probability(inputs), probability(inputs)], axis=1),
        "classes": tf.tile(tf.constant([["no_click", "click"]]), [tf.shape(inputs)[0], 1])},
        input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    module.regress = tf.function(lambda inputs: {"outputs": probability(inputs) * 10.0},
                                 input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    module.total = tf.function(lambda examples: {"total": tf.reduce_sum(probability(examples))},
                               input_signature=[examples])
    tf.saved_model.save(module, str(directory), signatures={
        "serving_default": module.serve, "classification": module.classify,
        "regression": module.regress, "batch_total": module.total})
    extra = Path(directory) / "assets.extra"
    extra.mkdir(exist_ok=True)
    (extra / "feature_spec.json").write_text(json.dumps(FEATURE_SPEC))


def install(source: str | Path, base: str | Path, name: str, version: int) -> Path:
    """Copies a SavedModel to `<base>/<name>/<version>/` whole (copy aside, then rename)."""
    target = Path(base) / name / str(version)
    staging = Path(base) / name / f".copy-{version}"
    shutil.copytree(source, staging)
    os.rename(staging, target)
    return target
