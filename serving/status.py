"""Model status and metadata as TF Serving's protos (gRPC) and their JSON form (REST)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2

from serving.errors import NotFound
from serving.loaded_model import LoadedModel
from serving.repository import ServedModel

# TF Serving has no FAILED state: a version that failed to load ENDs with an error status.
_STATES = {"LOADING": "LOADING", "AVAILABLE": "AVAILABLE", "FAILED": "END", "END": "END"}


def status_response(served: ServedModel, version: int | None,
                    label: str | None) -> get_model_status_pb2.GetModelStatusResponse:
    """GetModelStatusResponse for every known version, or the one asked for.

    Raises:
        NotFound: the version or label is unknown.
    """
    if label:
        version = served.get(label=label).version
    states = [s for s in served.status() if version is None or s.version == version]
    if version is not None and not states:
        served.get(version)  # raises NotFound listing the available versions
    if not states:
        raise NotFound(f"model '{served.name}' has no version on disk yet under {served.base_dir}")
    response = get_model_status_pb2.GetModelStatusResponse()
    for state in states:
        entry = response.model_version_status.add(version=state.version)
        entry.state = get_model_status_pb2.ModelVersionStatus.State.Value(_STATES[state.state])
        if state.state == "FAILED":
            entry.status.error_code = 2  # tensorflow.error.UNKNOWN
        entry.status.error_message = state.reason
    return response


def status_json(response: get_model_status_pb2.GetModelStatusResponse) -> dict[str, Any]:
    """TF Serving's REST model status body."""
    options: dict[str, Any] = {"including_default_value_fields": True}  # protobuf 4's spelling
    return json_format.MessageToDict(response, preserving_proto_field_name=True, **options)


def signature_def_map(model: LoadedModel) -> get_model_metadata_pb2.SignatureDefMap:
    """The model's SignatureDefMap, as GetModelMetadata returns it."""
    mapping = get_model_metadata_pb2.SignatureDefMap()
    for name, definition in model.signature_defs.items():
        mapping.signature_def[name].CopyFrom(definition)
    return mapping


def metadata_json(model: LoadedModel) -> dict[str, Any]:
    """TF Serving's REST `/metadata` body: the model spec and its signature defs."""
    return {"model_spec": {"name": model.name, "signature_name": "", "version": str(model.version)},
            "metadata": {"signature_def": json_format.MessageToDict(
                signature_def_map(model), preserving_proto_field_name=True)}}
