"""The Artifact base class: a typed record (type name, uri, properties) that MLMD stores."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pipelines.artifacts.properties import ArtifactProperty

LIVE = "LIVE"
PENDING = "PENDING"

_TYPES_BY_NAME: dict[str, type[Artifact]] = {}


def artifact_class(type_name: str) -> type[Artifact]:
    """The Artifact subclass registered for an MLMD type name (the base class if none is)."""
    return _TYPES_BY_NAME.get(type_name, Artifact)


class Artifact:
    """A typed piece of data a component reads or writes; subclasses declare the type.

    `uri` is a directory. While a component runs, an output's `uri` is a private staging
    directory; Starling moves it into place only when the component returns.

    Attributes:
        uri: The artifact's directory.
        properties: Declared properties (e.g. `span`) and free-form custom ones.
        id: The MLMD artifact id, or None before the artifact is published.
        state: "LIVE" once published.

    Example:
        >>> from pipelines.artifacts import Examples
        >>> examples = Examples(uri="/tmp/examples", span=3)
        >>> examples.span, examples.type_name
        (3, 'Examples')
    """

    TYPE_NAME: ClassVar[str] = "Artifact"
    BASE_TYPE: ClassVar[str | None] = None
    LAYOUT: ClassVar[str] = "A directory of files written by the producing component."

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE_NAME" in vars(cls):
            _TYPES_BY_NAME[cls.TYPE_NAME] = cls

    def __init__(
        self,
        uri: str = "",
        *,
        id: int | None = None,
        state: str = PENDING,
        **properties: Any,
    ):
        self.uri = uri
        self.id = id
        self.state = state
        self.created_at_ms: int | None = None
        self.properties: dict[str, Any] = {}
        for name, value in properties.items():
            self.properties[name] = value

    @property
    def type_name(self) -> str:
        """The MLMD type name (TFX's name for the same type)."""
        return self.TYPE_NAME

    @classmethod
    def declared_properties(cls) -> dict[str, ArtifactProperty]:
        """The typed properties this type declares, by name (including inherited ones)."""
        declared: dict[str, ArtifactProperty] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, ArtifactProperty):
                    declared[name] = value
        return declared

    def path(self, *parts: str) -> str:
        """Joins path parts under the artifact's uri."""
        return os.path.join(self.uri, *parts)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.properties.items()))
        return f"{self.TYPE_NAME}(id={self.id}, uri={self.uri!r}{', ' if shown else ''}{shown})"
