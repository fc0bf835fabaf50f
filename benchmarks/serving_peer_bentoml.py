"""The peer in the serving benchmark: BentoML serving the same SavedModel, as a user would write it.

Runs in its own venv (benchmarks/.peer/venv: bentoml + the same TensorFlow), never imported by
Starling. It takes the same body as TF Serving's REST predict, `{"instances": [{feature: value}]}`,
builds tf.Examples from the model's feature spec and calls the serving signature.

    BENCH_SAVED_MODEL=<dir> benchmarks/.peer/venv/bin/bentoml serve serving_peer_bentoml:CtrModel
"""

from __future__ import annotations

import json
import os
from typing import Any

import bentoml
import tensorflow as tf

SAVED_MODEL = os.environ.get("BENCH_SAVED_MODEL", "")
WORKERS = int(os.environ.get("BENCH_PEER_WORKERS", "1"))


def _example(instance: dict[str, Any], kinds: dict[str, str]) -> bytes:
    features = {}
    for name, value in instance.items():
        kind = kinds[name]
        if kind == "string":
            features[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(value).encode()]))
        elif kind.startswith("int"):
            features[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
        else:
            features[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
    return tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()


@bentoml.service(workers=WORKERS, traffic={"timeout": 30})
class CtrModel:
    """One SavedModel's serving signature behind `POST /predict`."""

    def __init__(self) -> None:
        self.model = tf.saved_model.load(SAVED_MODEL)
        self.signature = self.model.signatures["serving_default"]
        self.input_name = next(iter(self.signature.structured_input_signature[1]))
        with open(os.path.join(SAVED_MODEL, "assets.extra", "feature_spec.json")) as source:
            self.kinds = {name: entry["dtype"] for name, entry in json.load(source).items()}

    @bentoml.api
    def predict(self, instances: list[dict[str, Any]]) -> dict[str, Any]:
        """TF Serving-style predictions for row instances."""
        examples = [_example(instance, self.kinds) for instance in instances]
        outputs = self.signature(**{self.input_name: tf.constant(examples)})
        [values] = outputs.values()
        return {"predictions": values.numpy().tolist()}
