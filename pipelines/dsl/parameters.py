"""Checks parameter values against their declared types and gives them a canonical text form."""

from __future__ import annotations

import json
import types
import typing
from typing import Any


def value_matches(value: Any, value_type: Any) -> bool:
    """True when `value` fits `value_type` (ints are accepted for floats; unknown types pass)."""
    if value_type is Any or value_type is typing.Any:
        return True
    origin = typing.get_origin(value_type)
    if origin in (typing.Union, types.UnionType):
        return any(value_matches(value, member) for member in typing.get_args(value_type))
    if value_type is type(None):
        return value is None
    checked = origin or value_type
    if not isinstance(checked, type):
        return True
    if checked is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if checked is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if issubclass(checked, str):
        return isinstance(value, str)
    return isinstance(value, checked)


def type_label(value_type: Any) -> str:
    """A short readable name for a type annotation."""
    if isinstance(value_type, type) and typing.get_origin(value_type) is None:
        return value_type.__name__
    return str(value_type).replace("typing.", "")


def canonical_text(value: Any) -> str:
    """A deterministic text form of a parameter value, used in cache keys.

    Protocol buffers use their text format; dicts, lists and scalars use sorted JSON; other
    objects fall back to their repr.
    """
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"))


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if hasattr(value, "SerializeToString") and hasattr(value, "DESCRIPTOR"):
        from google.protobuf import text_format

        return {"proto": value.DESCRIPTOR.full_name, "text": text_format.MessageToString(value)}
    return repr(value)
