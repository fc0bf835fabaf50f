"""Raw feature specs: how JSON instances become tf.Examples, with errors naming the field."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from serving.errors import ClientError

FEATURE_SPEC_FILE = os.path.join("assets.extra", "feature_spec.json")
_KINDS = {"float32": "float", "float64": "float", "int64": "int", "int32": "int", "string": "bytes"}


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

    def to_example_bytes(self, instance: Any, where: str) -> bytes:
        """A serialized tf.Example for one instance (a JSON object of feature -> value or list).

        Raises:
            ClientError: not an object, an unknown or missing feature, or a value of the wrong
                type; the message names `where` and the feature.
        """
        from tensorflow.core.example import example_pb2

        if not isinstance(instance, dict):
            raise ClientError(f"{where}: expected an object of feature values, got {type(instance).__name__}")
        if self.features is not None:
            unknown = sorted(set(instance) - set(self.features))
            if unknown:
                raise ClientError(f"{where}: unknown feature '{unknown[0]}'")
            missing = sorted(n for n, f in self.features.items() if f.required and n not in instance)
            if missing:
                raise ClientError(f"{where}: missing feature '{missing[0]}'")
        example = example_pb2.Example()
        for name, value in instance.items():
            values = value if isinstance(value, list) else [value]
            if values and all(v is None for v in values):
                continue
            kind = self.features[name].kind if self.features is not None else _infer_kind(values)
            _fill(example.features.feature[name], kind, values, f"{where}: feature '{name}'")
        return example.SerializeToString()


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
            feature.float_list.value.extend(float(v) for v in values)
        elif kind == "int":
            if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
                raise TypeError
            feature.int64_list.value.extend(values)
        else:
            if any(not isinstance(v, str) for v in values):
                raise TypeError
            feature.bytes_list.value.extend(v.encode() for v in values)
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
