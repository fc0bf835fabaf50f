"""Exporting a trained tf_keras model for serving: raw tf.Example in, transform graph inside.

`export_serving_model` is what template model code calls at the end of `run_fn`;
`load_base_weights` is how it warm-starts from `fn_args.base_model`.
"""

from __future__ import annotations

import json
import os
from typing import Any

EXTRA_DIR = "assets.extra"
FEATURE_SPEC_FILE = "feature_spec.json"
WEIGHTS_FILE = "keras_weights.h5"


def _spec_entry(spec: Any) -> dict[str, Any]:
    import tensorflow as tf

    required = isinstance(spec, tf.io.FixedLenFeature) and spec.default_value is None
    return {"dtype": spec.dtype.name, "required": required}


def export_serving_model(model: Any, tf_transform_output: Any, serving_model_dir: str,
                         label_key: str | None = None, output_name: str = "outputs") -> None:
    """Saves `model` with a `serving_default` signature over serialized raw tf.Examples.

    The signature parses the raw features (the label left out), applies the TFT transform graph
    and calls the model, so serving featurizes exactly as training did. It also writes the raw
    feature spec (for the model server) and the model's weights (for warm-starting the next one)
    under `assets.extra/`.

    Example:
        >>> export_serving_model(model, tft.TFTransformOutput(fn_args.transform_output),  # doctest: +SKIP
        ...                      fn_args.serving_model_dir, label_key="clicked")
    """
    import tensorflow as tf

    raw_spec = dict(tf_transform_output.raw_feature_spec())
    if label_key is not None:
        raw_spec.pop(label_key, None)
    model.tft_layer = tf_transform_output.transform_features_layer()
    input_names = list(model.input_names)

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples(serialized: Any) -> dict[str, Any]:
        parsed = tf.io.parse_example(serialized, raw_spec)
        transformed = model.tft_layer(parsed)
        return {output_name: model({name: transformed[name] for name in input_names})}

    model.save(serving_model_dir, save_format="tf", signatures={"serving_default": serve_tf_examples})
    extra = os.path.join(serving_model_dir, EXTRA_DIR)
    os.makedirs(extra, exist_ok=True)
    with open(os.path.join(extra, FEATURE_SPEC_FILE), "w") as target:
        json.dump({name: _spec_entry(spec) for name, spec in sorted(raw_spec.items())}, target, indent=2)
    model.save_weights(os.path.join(extra, WEIGHTS_FILE))


def load_base_weights(model: Any, base_model: str | None) -> bool:
    """Loads a base model's weights into `model` (same architecture); False when there is none.

    Raises:
        ValueError: the base model's weights do not fit this model (names the file).
    """
    if not base_model:
        return False
    path = os.path.join(base_model, EXTRA_DIR, WEIGHTS_FILE)
    if not os.path.isfile(path):
        return False
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ValueError(f"cannot warm-start from {path}: {error}") from None
    return True
