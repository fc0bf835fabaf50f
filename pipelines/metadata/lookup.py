"""Artifacts as users name them: `pushedmodel` is `PushedModel`, the newest one is the last push.

"The newest PushedModel" means the newest model actually pushed, not a record of a refused push.

Used by `starling artifacts --type`, `starling lineage TYPE`, the UI's artifact filter and the
notebooks.
"""

from __future__ import annotations

from pipelines.artifacts import STANDARD_TYPES, Artifact
from pipelines.errors import MetadataError
from pipelines.metadata.store import MetadataStore, quoted

# Types whose newest *successful* record is what a user asks for: {type: property that says so}.
_SUCCESS_PROPERTY = {"PushedModel": "pushed"}


def known_type_names(store: MetadataStore) -> list[str]:
    """Starling's standard artifact types and every type recorded in the store, sorted."""
    recorded = {artifact_type.name for artifact_type in store.mlmd.get_artifact_types()}
    return sorted(recorded | {artifact_type.TYPE_NAME for artifact_type in STANDARD_TYPES},
                  key=str.lower)


def canonical_type_name(store: MetadataStore, given: str) -> str:
    """The known type name `given` means, compared without regard to case.

    Raises:
        MetadataError: no known type matches; the message lists the known ones.

    Example:
        >>> canonical_type_name(store, "pushedmodel")                     # doctest: +SKIP
        'PushedModel'
    """
    known = known_type_names(store)
    for name in known:
        if name.lower() == given.strip().lower():
            return name
    raise MetadataError(f"unknown artifact type '{given}'; known types: {', '.join(known)}")


def newest_of_type(store: MetadataStore, given: str) -> tuple[Artifact, str]:
    """The newest LIVE artifact of a type, and a note ("" or why it is not the one asked for).

    For PushedModel that is the newest model actually pushed (`pushed` = 1), not a record of a
    refused push; when nothing was ever pushed, the newest record, with a note saying so.

    Raises:
        MetadataError: the type is unknown, or has no artifact.
    """
    type_name = canonical_type_name(store, given)
    success = _SUCCESS_PROPERTY.get(type_name)
    if success is not None:
        found = store.query_artifacts(f"type = {quoted(type_name)} AND state = LIVE AND "
                                      f"properties.{success}.int_value = 1", limit=1)
        if found:
            return found[0], ""
    newest = store.latest_artifact(type_name)
    note = f"no {type_name} has {success} = 1; showing the newest record" if success else ""
    return newest, note
