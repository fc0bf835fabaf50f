"""A calibrated SavedModel: the base model's serving signature, then isotonic calibration, in one graph.

The exported `serving_default` takes what the base signature takes (serialized tf.Examples) and
returns `outputs` (the calibrated probability, where the base model's score was) and `raw_score`
(the base model's score), so serving, BulkInferrer and the Evaluator read the calibrated value.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import numpy as np

CALIBRATION_FILE = "calibration.json"
EXTRA_DIR = "assets.extra"
RAW_SCORE_KEY = "raw_score"


def interpolate(values: Any, knots_x: Any, knots_y: Any) -> Any:
    """`np.interp` in TensorFlow: piecewise-linear through the knots, flat beyond the ends."""
    import tensorflow as tf

    flat = tf.reshape(tf.cast(values, tf.float32), [-1])
    last = tf.size(knots_x) - 1
    right = tf.clip_by_value(tf.searchsorted(knots_x, flat, side="right"), 1, tf.maximum(last, 1))
    left = right - 1
    x0, x1 = tf.gather(knots_x, left), tf.gather(knots_x, tf.minimum(right, last))
    y0, y1 = tf.gather(knots_y, left), tf.gather(knots_y, tf.minimum(right, last))
    span = x1 - x0
    weight = tf.clip_by_value(tf.math.divide_no_nan(flat - x0, span), 0.0, 1.0)
    return tf.reshape(y0 + weight * (y1 - y0), tf.shape(values))


def _single_input_name(signature: Any) -> str:
    names = list(signature.structured_input_signature[1])
    if len(names) != 1:
        raise ValueError(f"Calibrator: the base model's serving signature has inputs {names}; "
                         "expected exactly one (serialized tf.Examples)")
    return names[0]


def export_calibrated_model(base_dir: str, target_dir: str, knots_x: np.ndarray, knots_y: np.ndarray,
                            output_key: str = "outputs", signature_name: str = "serving_default") -> None:
    """Saves a SavedModel at `target_dir` wrapping `base_dir`'s signature with the calibration.

    Raises:
        ValueError: the base signature lacks `output_key` or takes more than one input.
    """
    import tensorflow as tf

    base = tf.saved_model.load(base_dir)
    signature = base.signatures[signature_name]
    input_name = _single_input_name(signature)
    if output_key not in signature.structured_outputs:
        raise ValueError(f"Calibrator: the base model's '{signature_name}' signature has outputs "
                         f"{sorted(signature.structured_outputs)}, not '{output_key}'")
    module = tf.Module()
    module.base = base
    module.knots_x = tf.Variable(np.asarray(knots_x, np.float32), trainable=False, name="knots_x")
    module.knots_y = tf.Variable(np.asarray(knots_y, np.float32), trainable=False, name="knots_y")
    spec = signature.structured_input_signature[1][input_name]

    @tf.function(input_signature=[tf.TensorSpec(spec.shape, spec.dtype, name=input_name)])
    def serve(examples: Any) -> dict[str, Any]:
        raw = module.base.signatures[signature_name](**{input_name: examples})[output_key]
        return {output_key: interpolate(raw, module.knots_x, module.knots_y), RAW_SCORE_KEY: raw}

    tf.saved_model.save(module, target_dir, signatures={signature_name: serve})
    extra = os.path.join(base_dir, EXTRA_DIR)
    target_extra = os.path.join(target_dir, EXTRA_DIR)
    if os.path.isdir(extra):  # the raw feature spec the model server reads
        shutil.copytree(extra, target_extra, dirs_exist_ok=True)
    os.makedirs(target_extra, exist_ok=True)
    with open(os.path.join(target_extra, CALIBRATION_FILE), "w") as target:
        json.dump({"method": "isotonic", "output_key": output_key,
                   "knots_x": [float(x) for x in knots_x], "knots_y": [float(y) for y in knots_y]}, target)
