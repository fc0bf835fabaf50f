"""One loaded version of a model: a SavedModel whose serving signature takes serialized tf.Examples."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np

from serving.feature_spec import FeatureSpec

SIGNATURE = "serving_default"


class IncompleteVersion(Exception):
    """A version directory that is not (yet) a whole SavedModel."""


@dataclasses.dataclass
class LoadedModel:
    """A ready-to-serve model version."""

    name: str
    version: int
    path: str
    signature: Any
    input_name: str
    feature_spec: FeatureSpec
    loaded_at: float
    saved_model: Any  # keeps the signature's variables alive

    def predict(self, serialized_examples: list[bytes]) -> dict[str, np.ndarray]:
        """Runs the serving signature on a batch of serialized tf.Examples."""
        import tensorflow as tf

        outputs = self.signature(**{self.input_name: tf.constant(serialized_examples)})
        return {name: tensor.numpy() for name, tensor in outputs.items()}


def check_complete(version_dir: str) -> None:
    """Raises IncompleteVersion unless the directory holds a whole SavedModel.

    A half-copied directory misses saved_model.pb or its variables index, or still has a file
    being written (a `.tmp`/`.part` suffix).
    """
    if not os.path.isfile(os.path.join(version_dir, "saved_model.pb")):
        raise IncompleteVersion("no saved_model.pb")
    variables = os.path.join(version_dir, "variables")
    if os.path.isdir(variables) and not os.path.isfile(os.path.join(variables, "variables.index")):
        raise IncompleteVersion("variables/variables.index is missing")
    for _, _, files in os.walk(version_dir):
        partial = [f for f in files if f.endswith((".tmp", ".part", ".partial"))]
        if partial:
            raise IncompleteVersion(f"file still being written: {partial[0]}")


def load_version(name: str, version: int, version_dir: str) -> LoadedModel:
    """Loads and checks a version; raises IncompleteVersion or the loader's error."""
    import tensorflow as tf

    check_complete(version_dir)
    loaded = tf.saved_model.load(version_dir)
    if SIGNATURE not in loaded.signatures:
        raise IncompleteVersion(f"no '{SIGNATURE}' signature (has: {', '.join(loaded.signatures)})")
    signature = loaded.signatures[SIGNATURE]
    inputs = signature.structured_input_signature[1]
    string_inputs = [key for key, spec in inputs.items() if spec.dtype == tf.string]
    if len(inputs) != 1 or not string_inputs:
        raise IncompleteVersion("the serving signature must take one tensor of serialized tf.Examples")
    return LoadedModel(name, version, version_dir, signature, string_inputs[0],
                       FeatureSpec.load(version_dir), time.time(), loaded)


def rows(outputs: dict[str, np.ndarray], count: int) -> list[Any]:
    """Per-example predictions, TF Serving style: the value for one output, a dict for several."""
    def value(array: np.ndarray, index: int) -> Any:
        item = array[index]
        if isinstance(item, bytes):
            return item.decode(errors="replace")
        return item.tolist() if hasattr(item, "tolist") else item

    if len(outputs) == 1:
        [array] = outputs.values()
        return [value(array, i) for i in range(count)]
    return [{key: value(array, i) for key, array in outputs.items()} for i in range(count)]
