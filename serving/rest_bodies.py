"""TF Serving's REST request and response bodies, turned into serialized tf.Examples and back.

Predict takes `{"instances": [...]}` (rows) or `{"inputs": {...}}` (columns) of raw features, or
already-serialized tf.Examples as `{"b64": ...}` values of the signature's input; classify and
regress take `{"examples": [...], "context": {...}}`. Every error names the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson

from serving.errors import ClientError
from serving.feature_spec import columns_to_instances, decode_b64, is_b64
from serving.loaded_model import LoadedModel, Signature, jsonable, rows

MAX_JSON_DEPTH = 32  # TF Serving's bodies nest 6 deep at most (body, rows, row, list, b64)


def parse_json(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A request body's JSON value.

    Raises:
        ClientError: not JSON, or nested deeper than `max_depth` (arrays and objects).
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise ClientError(f"malformed JSON: {error}") from None
    stack = [(value, 1)] if type(value) is dict or type(value) is list else []
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any] = item.values() if type(item) is dict else item
        if depth > max_depth:
            raise ClientError(f"JSON nests deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children if type(child) is dict or type(child) is list)
    return value


def signature_name(body: Any) -> str | None:
    """The request's `signature_name`, if any (a JSON object is required)."""
    if not isinstance(body, dict):
        raise ClientError(f"expected a JSON object, got {type(body).__name__}")
    name = body.get("signature_name")
    if name is not None and not isinstance(name, str):
        raise ClientError(f"'signature_name': expected a string, got {name!r:.40}")
    return name


def predict_examples(body: dict[str, Any], model: LoadedModel, signature: Signature) -> list[bytes]:
    """The serialized tf.Examples of a predict body."""
    if ("instances" in body) == ("inputs" in body):
        raise ClientError("expected a JSON object with either 'instances' (rows) or 'inputs' (columns)")
    if "inputs" in body:
        inputs = body["inputs"]
        if isinstance(inputs, dict) and set(inputs) == {signature.input_name}:
            return _serialized(inputs[signature.input_name], f"inputs['{signature.input_name}']", model)
        instances = columns_to_instances(inputs)
    else:
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise ClientError("'instances': expected a non-empty list of objects")
    return [_instance_example(instance, model, signature, f"instances[{i}]")
            for i, instance in enumerate(instances)]


def _instance_example(instance: Any, model: LoadedModel, signature: Signature, where: str) -> bytes:
    check = model.feature_spec.check_serialized
    if is_b64(instance):  # a serialized tf.Example for the signature's only input
        return check(decode_b64(instance, where), where)
    if isinstance(instance, dict) and len(instance) == 1 and signature.input_name in instance \
            and is_b64(instance[signature.input_name]):
        where = f"{where}['{signature.input_name}']"
        return check(decode_b64(instance[signature.input_name], where), where)
    return model.feature_spec.to_example_bytes(instance, where)


def _serialized(values: Any, where: str, model: LoadedModel) -> list[bytes]:
    if not isinstance(values, list) or not values:
        raise ClientError(f"{where}: expected a non-empty list of {{\"b64\": ...}} serialized tf.Examples")
    if not all(is_b64(v) for v in values):
        raise ClientError(f"{where}: expected {{\"b64\": ...}} serialized tf.Examples")
    check = model.feature_spec.check_serialized
    return [check(decode_b64(v, f"{where}[{i}]"), f"{where}[{i}]") for i, v in enumerate(values)]


def inference_examples(body: dict[str, Any], model: LoadedModel) -> list[bytes]:
    """The serialized tf.Examples of a classify or regress body (`context` merged into each)."""
    examples = body.get("examples")
    if not isinstance(examples, list) or not examples:
        raise ClientError("'examples': expected a non-empty list of objects")
    context = body.get("context", {})
    if not isinstance(context, dict):
        raise ClientError(f"'context': expected an object, got {type(context).__name__}")
    merged = []
    for index, example in enumerate(examples):
        if not isinstance(example, dict):
            raise ClientError(f"examples[{index}]: expected an object of feature values")
        merged.append({**context, **example})
    return [model.feature_spec.to_example_bytes(e, f"examples[{i}]") for i, e in enumerate(merged)]


def predict_response(outputs: dict[str, np.ndarray], count: int, columnar: bool,
                     version: int) -> dict[str, Any]:
    """TF Serving's predict answer: `predictions` (rows) or `outputs` (columns)."""
    if columnar:
        values = {name: _column(array) for name, array in outputs.items()}
        body: dict[str, Any] = {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    elif len(outputs) == 1 and next(iter(outputs.values())).dtype.kind in "fiub":
        body = {"predictions": next(iter(outputs.values()))}  # orjson writes numpy arrays natively
    else:
        body = {"predictions": rows(outputs, count)}
    body["model_version"] = str(version)
    return body


def _column(array: np.ndarray) -> Any:
    return jsonable(array.tolist()) if array.dtype.kind in "OS" else array


def classify_results(outputs: dict[str, np.ndarray]) -> list[list[tuple[str, float]]]:
    """`(label, score)` pairs per example: TF Serving's classify result (REST and gRPC)."""
    scores = np.asarray(outputs["scores"])
    scores = scores.reshape(len(scores), -1)
    classes = outputs.get("classes")
    labels = (jsonable(np.asarray(classes).reshape(len(scores), -1).tolist()) if classes is not None
              else [[""] * scores.shape[1]] * len(scores))
    return [[(str(label), float(score)) for label, score in zip(row_labels, row_scores, strict=True)]
            for row_labels, row_scores in zip(labels, scores.tolist(), strict=True)]


def regress_results(outputs: dict[str, np.ndarray]) -> list[float]:
    """One value per example: TF Serving's regress result (REST and gRPC)."""
    values = np.asarray(outputs["outputs"])
    return values.reshape(len(values), -1)[:, 0].astype(float).tolist()
