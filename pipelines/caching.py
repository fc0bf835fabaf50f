"""Cache keys: component + code fingerprint + user modules + parameters + driver facts + inputs."""

from __future__ import annotations

import hashlib
import json
import typing
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.dsl import module_reference
from pipelines.dsl.annotations import UserModule
from pipelines.dsl.node import Node
from pipelines.dsl.parameters import canonical_text
from pipelines.errors import PipelineDefinitionError


def cache_key(pipeline_name: str, node: Node, inputs: dict[str, Artifact | None],
              driver_facts: dict[str, Any] | None = None) -> str:
    """The key under which a node's outputs are reused.

    Two executions share a key exactly when they are the same node of the same pipeline, running
    the same code (see `Component.code_fingerprint`) and user module files, with the same
    parameters, the same driver facts (e.g. span, version and fingerprint of the input files) and
    the same input artifacts.
    """
    material = {
        "pipeline": pipeline_name,
        "node": node.id,
        "component": node.component.name,
        "code": node.component.source_fingerprint,
        "modules": module_fingerprints(node),
        "parameters": {name: canonical_text(value) for name, value in node.parameters.items()},
        "driver": driver_facts or {},
        "inputs": {port: (artifact.id if artifact is not None else None)
                   for port, artifact in sorted(inputs.items())},
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def module_fingerprints(node: Node) -> dict[str, str]:
    """Hashes of the source files of the node's UserModule parameters, by parameter name."""
    fingerprints = {}
    for name, port in node.component.signature.parameters.items():
        value = node.parameters.get(name)
        if value and _is_user_module(port.value_type):
            try:
                path = module_reference.resolve(value, name).source_path
            except module_reference.ModuleReferenceError as error:
                raise PipelineDefinitionError(f"node '{node.id}' parameter '{name}': {error}") from None
            with open(path, "rb") as source:
                fingerprints[name] = hashlib.sha256(source.read()).hexdigest()
    return fingerprints


def module_source_path(reference: str) -> str | None:
    """The source file of a user module: a path, `package.module:function` or `package.module.function`."""
    return module_reference.module_source_path(reference)


def _is_user_module(value_type: Any) -> bool:
    candidates = typing.get_args(value_type) or (value_type,)
    return any(isinstance(c, type) and issubclass(c, UserModule) for c in candidates)
