"""Raw feature specs: how JSON instances become tf.Examples, with errors naming the field."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import os
from typing import Any

from serving.errors import ClientError

FEATURE_SPEC_FILE = os.path.join("assets.extra", "feature_spec.json")
_KINDS = {"float32": "float", "float64": "float", "int64": "int", "int32": "int", "string": "bytes"}
_LISTS = {"float": "float_list", "int": "int64_list", "bytes": "bytes_list"}


@dataclasses.dataclass(frozen=True)
class Feature:
    """One raw feature the model parses: its kind (float, int, bytes) and whether it is required."""

    name: str
    kind: str
    required: bool = True


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    """The raw features a model expects; `None` features means unknown (types inferred)."""

    features: dict[str, Feature] | None

    @classmethod
    def load(cls, version_dir: str) -> FeatureSpec:
        """Reads `assets.extra/feature_spec.json` ({name: {"dtype", "required"}}) if present."""
        path = os.path.join(version_dir, FEATURE_SPEC_FILE)
        if not os.path.isfile(path):
            return cls(None)
        with open(path) as source:
            raw = json.load(source)
        return cls({name: Feature(name, _KINDS.get(entry["dtype"], "bytes"), entry.get("required", True))
                    for name, entry in raw.items()})

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.features or ())

    def to_example_bytes(self, instance: Any, where: str) -> bytes:
        """A serialized tf.Example for one instance (a JSON object of feature -> value or list).

        Scalars of the expected type take a direct path; anything else (lists, nulls, b64, a
        wrong type) goes through the checks that name the field.

        Raises:
            ClientError: not an object, an unknown or missing feature, or a value of the wrong
                type; the message names `where` and the feature.
        """
        if not isinstance(instance, dict):
            raise ClientError(f"{where}: expected an object of feature values, got {type(instance).__name__}")
        if self.features is not None and instance.keys() != self._names:
            self._check_names(instance, where)
        example = _example_class()()
        feature_map = example.features.feature
        for name, value in instance.items():
            feature = self.features[name] if self.features is not None else None
            if feature is not None and _append_scalar(feature_map, name, feature.kind, value):
                continue
            values = _flat_values(value, feature, f"{where}: feature '{name}'")
            if not values:
                continue
            kind = feature.kind if feature is not None else _infer_kind(values)
            _fill(feature_map[name], kind, values, f"{where}: feature '{name}'")
        return example.SerializeToString()

    def check_serialized(self, data: bytes, where: str) -> bytes:
        """Returns `data` once it parses as a tf.Example that `check_example` accepts.

        Raises:
            ClientError: not a serialized tf.Example, or a feature the model cannot take.
        """
        from google.protobuf.message import DecodeError

        try:
            example = _example_class().FromString(data)
        except DecodeError as error:
            raise ClientError(f"{where}: not a serialized tf.Example ({error})") from None
        self.check_example(example, where)
        return data

    def check_example(self, example: Any, where: str) -> None:
        """Checks a tf.Example's features as the model parses them, before it joins a batch.

        A required feature holds one value; each feature holds the kind of list its dtype needs
        (float_list, int64_list, bytes_list); string features are UTF-8 text. Features the spec
        does not name are left alone, as the model's parser ignores them. With no spec (unknown
        features), nothing is checked.

        Raises:
            ClientError: naming `where` and the feature.
        """
        if self.features is None:
            return
        present = example.features.feature
        for name, feature in self.features.items():
            if name not in present:
                if feature.required:
                    raise ClientError(f"{where}: missing feature '{name}'")
                continue
            held = present[name].WhichOneof("kind")
            if held is not None and held != _LISTS[feature.kind]:
                raise ClientError(f"{where}: feature '{name}' holds {held} values where the model "
                                  f"expects {_LISTS[feature.kind]}")
            values = getattr(present[name], held).value if held is not None else []
            if feature.required and len(values) != 1:
                raise ClientError(f"{where}: feature '{name}' expects one value, got {len(values)}")
            if feature.kind == "bytes":
                check_text(values, f"{where}: feature '{name}'")

    def _check_names(self, instance: dict[str, Any], where: str) -> None:
        assert self.features is not None
        unknown = sorted(set(instance) - self._names)
        if unknown:
            raise ClientError(f"{where}: unknown feature '{unknown[0]}'")
        missing = sorted(n for n, f in self.features.items() if f.required and n not in instance)
        if missing:
            raise ClientError(f"{where}: missing feature '{missing[0]}'")


@functools.cache
def _example_class() -> Any:
    from tensorflow.core.example import example_pb2

    return example_pb2.Example


def _append_scalar(feature_map: Any, name: str, kind: str, value: Any) -> bool:
    """Adds a scalar of exactly the expected JSON type; False for anything else."""
    value_type = type(value)
    if kind == "bytes" and value_type is str:
        feature_map[name].bytes_list.value.append(value.encode())
    elif kind == "int" and value_type is int:
        feature_map[name].int64_list.value.append(value)
    elif kind == "float" and (value_type is float or value_type is int):
        feature_map[name].float_list.value.append(value)
    else:
        return False
    return True


def _flat_values(value: Any, feature: Feature | None, where: str) -> list[Any]:
    """The values of one feature as a flat list; a required feature takes exactly one.

    Raises:
        ClientError: null for a required feature, a nested list, or several values where one is
            expected; the message names the feature.
    """
    if value is None:
        if feature is not None and feature.required:
            raise ClientError(f"{where} is null; it expects one value")
        return []
    values = value if isinstance(value, list) else [value]
    if any(isinstance(v, list | dict) and not is_b64(v) for v in values):
        raise ClientError(f"{where} expects flat values, got a nested {type(value).__name__}: {value!r:.80}")
    if any(v is None for v in values):
        raise ClientError(f"{where} has a null inside its list {value!r:.80}")
    if feature is not None and feature.required and len(values) != 1:
        raise ClientError(f"{where} expects one value, got a list of {len(values)}")
    flat = [decode_b64(v, where) if isinstance(v, dict) else v for v in values]
    if feature is not None and feature.kind == "bytes":
        check_text([v for v in flat if isinstance(v, bytes)], where)
    return flat


def check_text(values: Any, where: str) -> None:
    """Checks that every value of a string feature is UTF-8 text.

    Raises:
        ClientError: naming `where` and the first byte that is not.
    """
    for value in values:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ClientError(f"{where} is not UTF-8 text (byte {error.start} of {value[:24]!r})") from None


def is_b64(value: Any) -> bool:
    """Whether a JSON value is TF Serving's binary form `{"b64": ...}`."""
    return isinstance(value, dict) and set(value) == {"b64"}


def decode_b64(value: dict[str, Any], where: str) -> bytes:
    """TF Serving's binary form `{"b64": "<base64>"}`."""
    try:
        return base64.b64decode(value["b64"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ClientError(f"{where}: 'b64' is not valid base64") from None


def _infer_kind(values: list[Any]) -> str:
    if all(isinstance(v, bool | int) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "bytes"


def _fill(feature: Any, kind: str, values: list[Any], where: str) -> None:
    try:
        if kind == "float":
            if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
                raise TypeError
            feature.float_list.value.extend(values)
        elif kind == "int":
            if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
                raise TypeError
            feature.int64_list.value.extend(values)
        else:
            if any(not isinstance(v, str | bytes) for v in values):
                raise TypeError
            feature.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
    except (TypeError, ValueError):
        expected = {"float": "a number", "int": "an integer", "bytes": "a string"}[kind]
        raise ClientError(f"{where} expects {expected}, got {values[0]!r}") from None


def columns_to_instances(inputs: Any) -> list[dict[str, Any]]:
    """Columnar `{"inputs": {feature: [v0, v1, ...]}}` as row instances.

    Raises:
        ClientError: not an object of equally long lists.
    """
    if not isinstance(inputs, dict) or not inputs:
        raise ClientError("'inputs': expected an object of feature -> list of values")
    lengths = {}
    for name, column in inputs.items():
        if not isinstance(column, list):
            raise ClientError(f"inputs['{name}']: expected a list of values, got {type(column).__name__}")
        lengths[name] = len(column)
    if len(set(lengths.values())) > 1:
        raise ClientError(f"'inputs': columns differ in length: {lengths}")
    count = next(iter(lengths.values()))
    return [{name: column[i] for name, column in inputs.items()} for i in range(count)]
