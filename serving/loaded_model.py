"""One loaded version of a model: a SavedModel whose signatures take serialized tf.Examples."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np

from serving.errors import ClientError, FailedPrecondition
from serving.feature_spec import FeatureSpec

DEFAULT_SIGNATURE = "serving_default"
_METHODS = {"tensorflow/serving/classify": "classify", "tensorflow/serving/regress": "regress"}


class IncompleteVersion(Exception):
    """A version directory that is not (yet) a whole, servable SavedModel."""


@dataclasses.dataclass(frozen=True)
class Signature:
    """One signature of a loaded model.

    Attributes:
        name: Its key in the SavedModel (e.g. `serving_default`).
        method: TF Serving's method: `predict`, `classify` or `regress`.
        input_name: The input taking a string tensor of serialized tf.Examples, or None when the
            signature takes other tensors (then it is listed but not served).
        outputs: Its output names.
        function: The concrete function to call.
    """

    name: str
    method: str
    input_name: str | None
    outputs: tuple[str, ...]
    function: Any

    def serves(self, method: str) -> bool:
        """Whether this signature can answer `predict`, `classify` or `regress`.

        A SavedModel exported by TF2 marks every signature `predict`; TF Serving's output keys
        (`scores`/`classes` for classify, `outputs` for regress) identify the others too.
        """
        if method == "predict" or self.method == method:
            return True
        names = set(self.outputs)
        if method == "classify":
            return "scores" in names and names <= {"scores", "classes"}
        return method == "regress" and names == {"outputs"}


@dataclasses.dataclass
class LoadedModel:
    """A ready-to-serve model version."""

    name: str
    version: int
    path: str
    signatures: dict[str, Signature]
    signature_defs: Any  # the MetaGraphDef's signature_def map (TF Serving's metadata)
    feature_spec: FeatureSpec
    loaded_at: float
    saved_model: Any  # keeps the signatures' variables alive

    def signature(self, name: str | None, method: str = "predict") -> Signature:
        """The signature to run for a request.

        Raises:
            ClientError: no signature of that name (the message lists them).
            FailedPrecondition: it cannot answer `method` or does not take tf.Examples.
        """
        key = name or DEFAULT_SIGNATURE
        if key not in self.signatures:
            raise ClientError(f"model '{self.name}' version {self.version} has no signature '{key}' "
                              f"(signatures: {', '.join(sorted(self.signatures))})")
        signature = self.signatures[key]
        if not signature.serves(method):
            able = sorted(s.name for s in self.signatures.values() if s.serves(method))
            raise FailedPrecondition(f"signature '{key}' of model '{self.name}' cannot {method} "
                                     f"(signatures that can: {', '.join(able) or 'none'})")
        if signature.input_name is None:
            raise FailedPrecondition(f"signature '{key}' does not take serialized tf.Examples")
        return signature

    def predict(self, serialized_examples: list[bytes],
                signature_name: str = DEFAULT_SIGNATURE) -> dict[str, np.ndarray]:
        """Runs a signature on a batch of serialized tf.Examples.

        Raises:
            ClientError: TensorFlow rejected the examples (e.g. a feature the graph cannot parse,
                or text that is not UTF-8).
        """
        import tensorflow as tf

        signature = self.signatures[signature_name]
        assert signature.input_name is not None, "only signatures over tf.Examples are served"
        try:
            outputs = signature.function(**{signature.input_name: tf.constant(serialized_examples)})
        except tf.errors.InvalidArgumentError as error:
            raise ClientError(f"model '{self.name}' rejected the input: "
                              f"{_first_line(error.message)}") from None
        except UnicodeDecodeError:  # TensorFlow's own message quoted input bytes that are not text
            raise ClientError(f"model '{self.name}' rejected the input (its message quotes bytes "
                              "that are not UTF-8: a string feature is not text?)") from None
        return {name: tensor.numpy() for name, tensor in outputs.items()}


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:500] if message.strip() else "no detail"


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


def read_signature_defs(version_dir: str) -> Any:
    """The serving MetaGraphDef's signature_def map, read from saved_model.pb."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(version_dir, "saved_model.pb"), "rb") as source:
        saved.ParseFromString(source.read())
    serving = [g for g in saved.meta_graphs if "serve" in g.meta_info_def.tags] or list(saved.meta_graphs)
    return serving[0].signature_def


def _signature(name: str, function: Any, method_name: str) -> Signature:
    import tensorflow as tf

    inputs = function.structured_input_signature[1]
    strings = [key for key, spec in inputs.items() if spec.dtype == tf.string]
    input_name = strings[0] if len(inputs) == 1 and strings else None
    return Signature(name, _METHODS.get(method_name, "predict"), input_name,
                     tuple(sorted(function.structured_outputs)), function)


def load_version(name: str, version: int, version_dir: str) -> LoadedModel:
    """Loads and checks a version; raises IncompleteVersion or the loader's error."""
    import tensorflow as tf

    check_complete(version_dir)
    loaded = tf.saved_model.load(version_dir)
    if DEFAULT_SIGNATURE not in loaded.signatures:
        raise IncompleteVersion(f"no '{DEFAULT_SIGNATURE}' signature (has: {', '.join(loaded.signatures)})")
    defs = read_signature_defs(version_dir)
    signatures = {key: _signature(key, function, defs[key].method_name if key in defs else "")
                  for key, function in loaded.signatures.items()}
    if signatures[DEFAULT_SIGNATURE].input_name is None:
        raise IncompleteVersion(f"the '{DEFAULT_SIGNATURE}' signature must take one tensor of "
                                "serialized tf.Examples")
    return LoadedModel(name, version, version_dir, signatures, defs, FeatureSpec.load(version_dir),
                       time.time(), loaded)


def rows(outputs: dict[str, np.ndarray], count: int) -> list[Any]:
    """Per-example predictions, TF Serving style: the value for one output, a dict for several."""
    def column(array: np.ndarray) -> list[Any]:
        return jsonable(array.tolist()) if array.dtype.kind in "OS" else array.tolist()

    columns = {key: column(array[:count]) for key, array in outputs.items()}
    if len(columns) == 1:
        [values] = columns.values()
        return values
    return [{key: values[i] for key, values in columns.items()} for i in range(count)]


def jsonable(value: Any) -> Any:
    """Nested lists with bytes decoded to text (TF Serving's REST form of string tensors)."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value
