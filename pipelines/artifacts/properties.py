"""Typed artifact properties: descriptors that declare an MLMD property and give typed attribute access."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Generic, TypeVar

PropertyValue = TypeVar("PropertyValue")


class ArtifactProperty(Generic[PropertyValue]):
    """Declares a typed property on an Artifact subclass (stored as an MLMD type property).

    Example:
        >>> from pipelines.artifacts import Artifact
        >>> class Dataset(Artifact):
        ...     TYPE_NAME = "Dataset"
        ...     span = IntProperty()
        >>> Dataset(span=3).span
        3
    """

    MLMD_KIND: ClassVar[str] = "STRING"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.properties.get(self.name)

    def __set__(self, instance: Any, value: Any) -> None:
        instance.properties[self.name] = value

    def encode(self, value: Any) -> Any:
        """Converts a Python value into the scalar MLMD stores."""
        return value

    def decode(self, value: Any) -> Any:
        """Converts a stored MLMD scalar back into the Python value."""
        return value


class IntProperty(ArtifactProperty[int]):
    """An integer property (MLMD INT), e.g. span or version."""

    MLMD_KIND = "INT"

    def encode(self, value: Any) -> int:
        """Stores the value as an int."""
        return int(value)

    def decode(self, value: Any) -> int | None:
        """Reads the value back as an int (JSON carriers such as KFP metadata give floats)."""
        return None if value is None else int(value)


class FloatProperty(ArtifactProperty[float]):
    """A floating-point property (MLMD DOUBLE)."""

    MLMD_KIND = "DOUBLE"

    def encode(self, value: Any) -> float:
        """Stores the value as a float."""
        return float(value)


class StringProperty(ArtifactProperty[str]):
    """A string property (MLMD STRING)."""

    def encode(self, value: Any) -> str:
        """Stores the value as a str."""
        return str(value)


class StringListProperty(ArtifactProperty[list]):
    """A list of strings, stored as a JSON string as TFX does for `split_names`."""

    def encode(self, value: Any) -> str:
        """Stores the list as a JSON array string."""
        return json.dumps([str(item) for item in value])

    def decode(self, value: Any) -> list[str]:
        """Parses the stored JSON array string."""
        return list(json.loads(value)) if value else []
