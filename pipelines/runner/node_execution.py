"""Runs one node: resolves inputs, reuses a cached result or executes and publishes atomically."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import traceback
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.caching import cache_key
from pipelines.dsl.node import Node
from pipelines.errors import HaltPipeline, StarlingError
from pipelines.metadata.store import MetadataStore
from pipelines.runner import publish
from pipelines.runner.context import ExecutionContext, executing
from pipelines.runner.results import CACHED, COMPLETE, FAILED, SKIPPED, NodeResult

_INHERITED_PROPERTIES = ("span", "version")
HALTED = "halted"  # execution property: the component stopped the run on purpose, and why


@dataclasses.dataclass
class RunEnvironment:
    """What every node of one run shares."""

    pipeline_name: str
    root: str
    run_id: str
    store: MetadataStore
    contexts: list[Any]
    beam_args: tuple[str, ...]
    use_cache: bool


def run_node(node: Node, env: RunEnvironment, upstream: dict[str, NodeResult]) -> NodeResult:
    """Runs a node whose upstream nodes have finished, returning its result (never raises)."""
    started = time.time()
    blocked = [up.id for up in node.upstream_nodes() if not upstream[up.id].ok]
    if blocked:
        return NodeResult(node.id, node.component.name, SKIPPED, started_at=started,
                          error=f"upstream node '{blocked[0]}' did not complete")
    try:
        inputs = _input_artifacts(node, upstream)
        key = cache_key(env.pipeline_name, node, inputs)
        if node.is_resolver:
            result = _resolve(node, env, inputs, key)
        else:
            result = _cached(node, env, inputs, key) or _execute(node, env, inputs, key)
    except StarlingError as error:
        result = NodeResult(node.id, node.component.name, FAILED, error=str(error))
    result.started_at = started
    result.duration_s = time.time() - started
    return result


def _input_artifacts(node: Node, upstream: dict[str, NodeResult]) -> dict[str, Artifact | None]:
    inputs: dict[str, Artifact | None] = {}
    for port, channel in node.inputs.items():
        artifact = None
        if channel is not None:
            artifact = upstream[channel.producer.id].outputs.get(channel.output_name)
            if artifact is None and not node.component.signature.inputs[port].optional:
                raise StarlingError(
                    f"node '{node.id}' input '{port}' is empty: {channel.describe()} resolved to "
                    "no artifact; make the input optional (default None) or produce one first")
        inputs[port] = artifact
    return inputs


def _present(artifacts: dict[str, Artifact | None]) -> dict[str, Artifact]:
    return {port: artifact for port, artifact in artifacts.items() if artifact is not None}


def _execution_properties(node: Node, env: RunEnvironment, key: str) -> dict[str, Any]:
    return {"node_id": node.id, "pipeline_name": env.pipeline_name, "run_id": env.run_id,
            "cache_key": key}


def _uses_cache(node: Node, env: RunEnvironment) -> bool:
    return env.use_cache and node.enable_cache is not False


def _resolve(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
             key: str) -> NodeResult:
    component = node.component
    output_name = component.output_name
    properties = _execution_properties(node, env, key)
    pinned = bool(node.inputs)
    if pinned and _uses_cache(node, env):
        hit = env.store.find_cached_outputs(key, event_type="INTERNAL_OUTPUT")
        if hit is not None:
            resolved = hit[1].get(output_name)
            execution_id = env.store.record_resolution(
                component.name, properties, _present(inputs), _present({output_name: resolved}),
                env.contexts, state="CACHED")
            return NodeResult(node.id, component.name, CACHED, {output_name: resolved}, execution_id)
    resolved = component.resolve(env.store, env.pipeline_name, inputs, node)
    execution_id = env.store.record_resolution(
        component.name, properties, _present(inputs), _present({output_name: resolved}),
        env.contexts)
    return NodeResult(node.id, component.name, COMPLETE, {output_name: resolved}, execution_id)


def _cached(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
            key: str) -> NodeResult | None:
    if not _uses_cache(node, env):
        return None
    hit = env.store.find_cached_outputs(key)
    if hit is None:
        return None
    cached_execution_id, outputs = hit
    expected = node.component.signature.outputs
    usable = set(outputs) == set(expected) and all(
        artifact.state == "LIVE" and os.path.isdir(artifact.uri) for artifact in outputs.values())
    if not usable:
        return None
    execution_id = env.store.record_cached_execution(
        node.component.name, _execution_properties(node, env, key), _present(inputs), outputs,
        env.contexts)
    [original] = env.store.executions_by_id([cached_execution_id])
    if original.properties.get(HALTED):  # the same data gets the same verdict
        return NodeResult(node.id, node.component.name, FAILED, dict(outputs), execution_id,
                          error=f"halted: {original.properties[HALTED]}")
    return NodeResult(node.id, node.component.name, CACHED, dict(outputs), execution_id)


def _execute(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
             key: str) -> NodeResult:
    component = node.component
    properties = _execution_properties(node, env, key)
    execution_id = env.store.start_execution(component.name, properties, _present(inputs),
                                             env.contexts)
    outputs = new_output_artifacts(
        node, env.pipeline_name, inputs,
        {name: publish.staging_uri(env.root, node.id, name, execution_id)
         for name in component.signature.outputs})
    context = ExecutionContext(env.pipeline_name, env.root, env.run_id, node.id, execution_id,
                               env.beam_args, os.path.join(env.root, ".tmp", str(execution_id)))
    halted: HaltPipeline | None = None
    try:
        publish.prepare_staging(outputs)
        try:
            invoke_component(node, inputs, outputs, context)
        except HaltPipeline as halt:  # a verdict on the data: keep the outputs, stop what follows
            halted = halt
        publish.publish(outputs, {name: publish.final_uri(env.root, node.id, name, execution_id)
                                  for name in outputs})
    except BaseException as error:  # the node fails; the run goes on with independent nodes
        publish.discard_staging(outputs)
        message = describe_error(error)
        env.store.finish_execution(execution_id, component.name, "FAILED",
                                   {**properties, "error_message": message[:4000]}, {},
                                   env.contexts)
        if isinstance(error, KeyboardInterrupt):
            raise
        return NodeResult(node.id, component.name, FAILED, {}, execution_id, error=message,
                          traceback=traceback.format_exc())
    for artifact in outputs.values():
        artifact.state = "LIVE"
    if halted is not None:
        properties = {**properties, HALTED: str(halted)[:4000]}
    env.store.finish_execution(execution_id, component.name, "COMPLETE", properties, outputs,
                               env.contexts)
    if halted is not None:
        return NodeResult(node.id, component.name, FAILED, dict(outputs), execution_id,
                          error=f"halted: {halted}")
    return NodeResult(node.id, component.name, COMPLETE, dict(outputs), execution_id)


def invoke_component(node: Node, inputs: dict[str, Artifact | None], outputs: dict[str, Artifact],
                     context: ExecutionContext) -> None:
    """Calls the component's function with its inputs, outputs and parameters.

    The function runs with `context` as the current execution and a fresh scratch directory at
    `context.temp_dir`, removed afterwards. Exceptions propagate.
    """
    os.makedirs(context.temp_dir, exist_ok=True)
    try:
        with executing(context):
            node.component.function(**inputs, **outputs, **node.parameters)
    finally:
        shutil.rmtree(context.temp_dir, ignore_errors=True)


def new_output_artifacts(node: Node, pipeline_name: str, inputs: dict[str, Artifact | None],
                         uris: dict[str, str]) -> dict[str, Artifact]:
    """Fresh output artifacts of a node at the given uris, tagged with their producer."""
    outputs = {}
    for name, port in node.component.signature.outputs.items():
        artifact = port.artifact_type(uri=uris[name], producer_node=node.id, output_key=name,
                                      pipeline_name=pipeline_name)
        _inherit_span(artifact, inputs)
        outputs[name] = artifact
    return outputs


def _inherit_span(artifact: Artifact, inputs: dict[str, Artifact | None]) -> None:
    """Gives an output the span/version its inputs agree on, if its type declares them."""
    declared = artifact.declared_properties()
    for name in _INHERITED_PROPERTIES:
        values = {a.properties.get(name) for a in inputs.values() if a is not None} - {None}
        if name in declared and len(values) == 1:
            artifact.properties[name] = values.pop()


def describe_error(error: BaseException) -> str:
    """The one-line form of a component's error."""
    if isinstance(error, HaltPipeline):
        return str(error)
    return f"{type(error).__name__}: {error}"
