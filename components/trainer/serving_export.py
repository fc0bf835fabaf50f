"""Exporting a trained tf_keras model for serving: raw tf.Example in, transform graph inside.

`export_serving_model` is what template model code calls at the end of `run_fn`;
`load_base_weights` is how it warm-starts from `fn_args.base_model`.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from components.trainer.warm_start import VOCABULARIES_DIR, WarmStartReport, load_by_token, read_vocabularies

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

    A model made only of tf_keras's own classes is saved without the traced call functions of
    each layer (`save_traces=False`): `tf_keras.models.load_model` rebuilds it from its config,
    and the signature is the same, for about 1.3 s less per export. A model with a class of its
    own keeps them, so that it loads without `custom_objects`.

    Example:
        >>> export_serving_model(model, tft.TFTransformOutput(fn_args.transform_output),  # doctest: +SKIP
        ...                      fn_args.serving_model_dir, label_key="clicked")
    """
    import tensorflow as tf

    raw_spec = dict(tf_transform_output.raw_feature_spec())
    if label_key is not None:
        raw_spec.pop(label_key, None)
    save_traces = not rebuilt_from_config(model)
    model.tft_layer = tf_transform_output.transform_features_layer()
    input_names = list(model.input_names)

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples(serialized: Any) -> dict[str, Any]:
        parsed = tf.io.parse_example(serialized, raw_spec)
        transformed = model.tft_layer(parsed)
        return {output_name: model({name: transformed[name] for name in input_names})}

    model.save(serving_model_dir, save_format="tf", signatures={"serving_default": serve_tf_examples},
               save_traces=save_traces)
    extra = os.path.join(serving_model_dir, EXTRA_DIR)
    os.makedirs(extra, exist_ok=True)
    with open(os.path.join(extra, FEATURE_SPEC_FILE), "w") as target:
        json.dump({name: _spec_entry(spec) for name, spec in sorted(raw_spec.items())}, target, indent=2)
    model.save_weights(os.path.join(extra, WEIGHTS_FILE))
    _copy_vocabularies(tf_transform_output, os.path.join(extra, VOCABULARIES_DIR))


def rebuilt_from_config(model: Any) -> bool:
    """Whether the model and each of its layers are tf_keras's own classes (rebuilt from config alone)."""
    import tf_keras

    parts = [model, *(module for module in model.submodules if isinstance(module, tf_keras.layers.Layer))]
    return all(type(part).__module__.startswith("tf_keras.") for part in parts)


def _transform_vocabularies_dir(tf_transform_output: Any) -> str:
    return os.path.join(tf_transform_output.transform_savedmodel_dir, "assets")


def _copy_vocabularies(tf_transform_output: Any, target: str) -> None:
    """Keeps the TFT vocabularies the model was trained with, for warm-starting the next one by token."""
    source = _transform_vocabularies_dir(tf_transform_output)
    if os.path.isdir(source):
        shutil.copytree(source, target, dirs_exist_ok=True)


def load_base_weights(model: Any, base_model: str | None, tf_transform_output: Any = None,
                      strict: bool = False) -> WarmStartReport | None:
    """Loads a base model's weights into `model` by layer name; None when there is no base model.

    Layers match by the names the model gives them. Given the current `tft.TFTransformOutput`,
    layers indexed by a vocabulary that changed (an embedding for `country` when a new country
    arrives) are warm-started by token: rows of shared tokens are copied, new tokens start fresh.
    The report (`warm start: 9/9 layers`, what started fresh, what matched nothing) is recorded
    on the Model (`warm_start`) and printed on the Trainer's line.

    Raises:
        ValueError: `strict` and a layer started fresh or a base layer matched nothing (names them).

    Example:
        >>> load_base_weights(model, fn_args.base_model, tft.TFTransformOutput(fn_args.transform_output))
        ... # doctest: +SKIP
    """
    if not base_model:
        return None
    path = os.path.join(base_model, EXTRA_DIR, WEIGHTS_FILE)
    if not os.path.isfile(path):
        return None
    old: dict[str, list[bytes]] = {}
    new: dict[str, list[bytes]] = {}
    if tf_transform_output is not None:
        old = read_vocabularies(os.path.join(base_model, EXTRA_DIR, VOCABULARIES_DIR))
        new = read_vocabularies(_transform_vocabularies_dir(tf_transform_output))
    return load_by_token(model, path, old, new, strict)
