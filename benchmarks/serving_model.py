"""The serving benchmark's model: a CTR-shaped SavedModel, or any raw-tf.Example one, and its request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INSTANCE = {"country": "US", "platform": "ios", "hour": 14, "ad_category": "gaming",
            "user_ctr_30d": 0.031, "user_past_impressions_7d": 40}
FEATURES = {"country": "string", "platform": "string", "hour": "int64", "ad_category": "string",
            "user_ctr_30d": "float32", "user_past_impressions_7d": "int64"}
_DEFAULTS = {"string": "x", "int64": 1, "float32": 0.5}


def instance_for(version_dir: str) -> dict[str, Any]:
    """One request instance fitting the model's feature spec (benchmark values where known)."""
    spec = json.loads(Path(version_dir, "assets.extra", "feature_spec.json").read_text())
    return {name: INSTANCE.get(name, _DEFAULTS.get(entry["dtype"], 1)) for name, entry in spec.items()}


def export_benchmark_model(directory: str) -> None:
    """A CTR-shaped model: string lookups and embeddings over raw tf.Example features."""
    import tensorflow as tf
    import tf_keras as keras

    vocabularies = {"country": ["US", "IN", "BR", "GB"], "platform": ["android", "ios", "web"],
                    "ad_category": ["retail", "travel", "gaming", "finance"]}
    lookups = {name: keras.layers.StringLookup(vocabulary=v) for name, v in vocabularies.items()}
    inputs = {name: keras.Input(shape=(1,), dtype=tf.string, name=name) for name in vocabularies}
    numeric = keras.Input(shape=(3,), name="numeric")
    embedded = [keras.layers.Flatten()(keras.layers.Embedding(8, 4)(lookups[n](inputs[n])))
                for n in vocabularies]
    hidden = keras.layers.Dense(32, activation="relu")(keras.layers.Concatenate()([*embedded, numeric]))
    model = keras.Model([*inputs.values(), numeric], keras.layers.Dense(1, activation="sigmoid")(hidden))
    spec = {name: tf.io.FixedLenFeature([1], tf.string) for name in vocabularies}
    spec.update(hour=tf.io.FixedLenFeature([1], tf.int64),
                user_ctr_30d=tf.io.FixedLenFeature([1], tf.float32),
                user_past_impressions_7d=tf.io.FixedLenFeature([1], tf.int64))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        parsed = tf.io.parse_example(serialized, spec)
        numbers = tf.concat([tf.cast(parsed["hour"], tf.float32) / 24.0, parsed["user_ctr_30d"],
                             tf.cast(parsed["user_past_impressions_7d"], tf.float32) / 100.0], axis=1)
        return {"probability": model([*(parsed[n] for n in vocabularies), numbers])}

    model.save(directory, signatures={"serving_default": serve}, save_format="tf")
    Path(directory, "assets.extra").mkdir(exist_ok=True)
    Path(directory, "assets.extra", "feature_spec.json").write_text(
        json.dumps({name: {"dtype": dtype} for name, dtype in FEATURES.items()}))
