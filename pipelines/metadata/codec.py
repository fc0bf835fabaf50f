"""Converts between Artifact objects and MLMD protos, and between Python values and MLMD Values."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from pipelines.artifacts import Artifact, artifact_class

if TYPE_CHECKING:
    from ml_metadata.proto import metadata_store_pb2


def set_value(target: metadata_store_pb2.Value, value: Any) -> None:
    """Writes a Python value into an MLMD `Value` message (lists and dicts as a Struct)."""
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, dict | list | tuple):
        from google.protobuf import json_format

        json_format.Parse(json.dumps({"value": value}), target.struct_value)
    else:
        target.string_value = str(value)


def get_value(source: metadata_store_pb2.Value) -> Any:
    """Reads an MLMD `Value` message into a Python value."""
    kind = source.WhichOneof("value")
    if kind == "struct_value":
        from google.protobuf import json_format

        return json_format.MessageToDict(source.struct_value).get("value")
    if kind is None:
        return None
    return getattr(source, kind)


def stored_uri(uri: str, root: str | None) -> str:
    """The uri as stored: relative to `root` when inside it, so a moved root keeps its artifacts."""
    if root and uri and "://" in root:  # an object-store root (s3://bucket/runs): URIs inside it
        base = root.rstrip("/")
        return uri[len(base) + 1:] if uri.startswith(base + "/") else uri
    if root and uri and os.path.isabs(uri):
        base = os.path.abspath(root)
        if uri == base or uri.startswith(os.path.join(base, "")):
            return os.path.relpath(uri, base)
    return uri


def resolved_uri(uri: str, root: str | None) -> str:
    """A stored uri made usable: a relative one is joined to `root` (absolute and URLs as they are)."""
    if root and uri and not os.path.isabs(uri) and "://" not in uri:
        if "://" in root:
            return f"{root.rstrip('/')}/{uri}"
        return os.path.normpath(os.path.join(os.path.abspath(root), uri))
    return uri


def to_proto(artifact: Artifact, type_id: int, root: str | None = None) -> metadata_store_pb2.Artifact:
    """An MLMD Artifact proto for an artifact (declared properties typed, the rest custom).

    Its uri is stored relative to `root` when it lies inside it.
    """
    from ml_metadata.proto import metadata_store_pb2

    proto = metadata_store_pb2.Artifact(type_id=type_id, uri=stored_uri(artifact.uri, root))
    if artifact.id is not None:
        proto.id = artifact.id
    proto.state = metadata_store_pb2.Artifact.State.Value(artifact.state)
    declared = artifact.declared_properties()
    for name, value in artifact.properties.items():
        if value is None:
            continue
        if name in declared:
            set_value(proto.properties[name], declared[name].encode(value))
        else:
            set_value(proto.custom_properties[name], value)
    return proto


def from_proto(proto: metadata_store_pb2.Artifact, type_name: str, root: str | None = None) -> Artifact:
    """An Artifact of the registered class for `type_name`, filled from an MLMD proto.

    A uri stored relative to the pipeline root is resolved against `root`.
    """
    from ml_metadata.proto import metadata_store_pb2

    cls = artifact_class(type_name)
    artifact = cls(uri=resolved_uri(proto.uri, root), id=proto.id,
                   state=metadata_store_pb2.Artifact.State.Name(proto.state))
    if cls is Artifact:
        vars(artifact)["TYPE_NAME"] = type_name  # an unregistered type keeps its own name
    declared = cls.declared_properties()
    for name, value in proto.properties.items():
        decoded = get_value(value)
        artifact.properties[name] = declared[name].decode(decoded) if name in declared else decoded
    for name, value in proto.custom_properties.items():
        artifact.properties[name] = get_value(value)
    artifact.created_at_ms = proto.create_time_since_epoch
    return artifact
