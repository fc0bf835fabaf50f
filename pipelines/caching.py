"""Cache keys: what a node's result depends on, and nothing else; and why a key changed.

A key is the hash of its *material*, a JSON-able dict recorded on every execution:

    code        {relative source file or function: content hash}   (see dsl.fingerprints)
    modules     {parameter: {relative file: content hash}}         user modules, data files
    parameters  {name: canonical text}     paths under the project or the root made relative
    driver      the driver's facts (span, version, input file fingerprint)
    inputs      {port: input artifact id}
    node, component, pipeline

No absolute path enters it, so a project moved or copied with its root keeps every hit. The
first part that differs from the node's previous execution is the reason it runs again
(`explain_miss`), which `starling plan`, the console and the UI show.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import typing
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.dsl import fingerprints, module_reference
from pipelines.dsl.annotations import UserModule
from pipelines.dsl.node import Node
from pipelines.dsl.parameters import canonical_text
from pipelines.errors import PipelineDefinitionError

FIRST_RUN = "no earlier execution"  # the reason a node runs when it never ran before
PROJECT = "<project>"
ROOT = "<root>"
_SHOWN_VALUE = 40


@dataclasses.dataclass(frozen=True)
class PathAnchors:
    """Directories whose absolute paths are written relative in keys: the project and the root."""

    project_dir: str | None
    root: str

    def portable(self, value: Any) -> Any:
        """`value` with absolute paths under the project or the root made relative to them."""
        if isinstance(value, str) and os.path.isabs(value):
            for label, directory in ((ROOT, self.root), (PROJECT, self.project_dir)):
                if directory and (value == directory or value.startswith(os.path.join(directory, ""))):
                    return f"{label}/{os.path.relpath(value, directory)}"
            return value
        if isinstance(value, dict):
            return {key: self.portable(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.portable(item) for item in value]
        return value


def key_material(pipeline_name: str, node: Node, inputs: dict[str, Artifact | None],
                 driver_facts: dict[str, Any] | None, anchors: PathAnchors) -> dict[str, Any]:
    """Everything the node's result depends on (see the module docstring).

    Raises:
        PipelineDefinitionError: a user-module parameter names nothing.
    """
    modules = module_parts(node)
    parameters = {}
    for name, value in node.parameters.items():
        if name in modules:  # the content decides; a path reference's directory does not
            value = os.path.basename(value) if module_reference.is_path_reference(value) else str(value)
        parameters[name] = canonical_text(anchors.portable(value))
    return {
        "pipeline": pipeline_name,
        "node": node.id,
        "component": node.component.name,
        "code": node.component.code_parts,
        "modules": modules,
        "parameters": parameters,
        "driver": driver_facts or {},
        "inputs": {port: (artifact.id if artifact is not None else None)
                   for port, artifact in sorted(inputs.items())},
    }


def key_of(material: dict[str, Any]) -> str:
    """The cache key: a hash of the material."""
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def module_parts(node: Node) -> dict[str, dict[str, str]]:
    """The files behind each user-module parameter of the node (module files, schema files)."""
    parts = {}
    for name, port in node.component.signature.parameters.items():
        value = node.parameters.get(name)
        if value and _is_user_module(port.value_type):
            try:
                parts[name] = fingerprints.user_module_code(value, name)
            except module_reference.ModuleReferenceError as error:
                raise PipelineDefinitionError(f"parameter '{name}': {error}") from None
    return parts


def module_source_path(reference: str) -> str | None:
    """The source file of a user module: a path, `package.module:function` or `package.module.function`."""
    return module_reference.module_source_path(reference)


def _is_user_module(value_type: Any) -> bool:
    candidates = typing.get_args(value_type) or (value_type,)
    return any(isinstance(c, type) and issubclass(c, UserModule) for c in candidates)


def _changed_file(before: dict[str, str], now: dict[str, str], what: str) -> str | None:
    for name in sorted(set(before) | set(now)):
        if name not in before:
            return f"{what} {name} added"
        if name not in now:
            return f"{what} {name} removed"
        if before[name] != now[name]:
            return f"{what} {name} changed"
    return None


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_VALUE else text[:_SHOWN_VALUE - 1] + "…"


def explain_miss(previous: dict[str, Any] | None, now: dict[str, Any],
                 upstream: dict[str, str] | None = None) -> str:
    """Why a node whose last key material was `previous` runs again with `now`: the first difference.

    `upstream` names the node that produced each input port, for "upstream Transform ran".

    Example:
        >>> explain_miss({"parameters": {"steps": "100"}}, {"parameters": {"steps": "200"}})
        'parameter steps 100 → 200'
    """
    if previous is None:
        return FIRST_RUN
    code = _changed_file(previous.get("code", {}), now.get("code", {}), "code")
    if code:
        return code
    old_modules, new_modules = previous.get("modules", {}), now.get("modules", {})
    for name in sorted(set(old_modules) | set(new_modules)):
        changed = _changed_file(old_modules.get(name, {}), new_modules.get(name, {}), "code")
        if changed:
            return f"{changed} ({name})"
    old_params, new_params = previous.get("parameters", {}), now.get("parameters", {})
    for name in sorted(set(old_params) | set(new_params)):
        if old_params.get(name) != new_params.get(name):
            return (f"parameter {name} {_shown(old_params.get(name, '(unset)'))} → "
                    f"{_shown(new_params.get(name, '(unset)'))}")
    driver = _driver_change(previous.get("driver", {}), now.get("driver", {}))
    if driver:
        return driver
    old_inputs, new_inputs = previous.get("inputs", {}), now.get("inputs", {})
    for port in sorted(set(old_inputs) | set(new_inputs)):
        if old_inputs.get(port) != new_inputs.get(port):
            producer = (upstream or {}).get(port)
            source = f"upstream {producer} ran" if producer else "a new artifact"
            return f"{source}: new {port} ({old_inputs.get(port)} → {new_inputs.get(port)})"
    return "key changed"


def _driver_change(before: dict[str, Any], now: dict[str, Any]) -> str | None:
    if before == now:
        return None
    if before.get("span") != now.get("span"):
        return f"new span {now.get('span')} (was {before.get('span')})"
    if before.get("version") != now.get("version"):
        return f"new version {now.get('version')} of span {now.get('span')}"
    if before.get("input_fingerprint") != now.get("input_fingerprint"):
        return f"input files of span {now.get('span')} changed"
    changed = sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))
    return f"input facts changed: {', '.join(changed)}"
