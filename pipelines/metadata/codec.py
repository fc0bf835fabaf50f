"""Converts between Artifact objects and MLMD protos, and between Python values and MLMD Values."""

from __future__ import annotations

import json
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


def to_proto(artifact: Artifact, type_id: int) -> metadata_store_pb2.Artifact:
    """An MLMD Artifact proto for an artifact (declared properties typed, the rest custom)."""
    from ml_metadata.proto import metadata_store_pb2

    proto = metadata_store_pb2.Artifact(type_id=type_id, uri=artifact.uri)
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


def from_proto(proto: metadata_store_pb2.Artifact, type_name: str) -> Artifact:
    """An Artifact of the registered class for `type_name`, filled from an MLMD proto."""
    from ml_metadata.proto import metadata_store_pb2

    cls = artifact_class(type_name)
    artifact = cls(uri=proto.uri, id=proto.id,
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
