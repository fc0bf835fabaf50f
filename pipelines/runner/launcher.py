"""The launcher: one node's lifecycle, whatever runs it (LocalRunner, a Kubeflow step, ...).

Read this module first. Runners only decide order and placement; every node goes through
`launch`:

    inputs (resolved by the runner)
      → driver: the component's look at the world outside MLMD (which span, which files)
      → cache key: component, code, parameters, driver facts, input artifact ids
      → reuse: a LIVE result recorded under the same key, whose files match the manifest
        recorded when it was published, becomes a CACHED execution
      → or the reason it cannot be reused (the first part of the key that changed, or the
        artifact check that failed) is recorded on the execution it runs as
      → or execute: the component writes into staging directories ...
      → publish: ... renamed into place only when it returns (nothing half-written is LIVE)
      → record: the execution (with pid, host, cache key, driver facts) and its artifacts

A failure anywhere marks the execution FAILED, removes its staging and scratch directories and
returns a FAILED result; `launch` only lets KeyboardInterrupt (SIGINT, SIGTERM) through, after
that clean-up.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import traceback
from typing import TYPE_CHECKING, Any

from pipelines.artifacts import Artifact
from pipelines.caching import PathAnchors, explain_miss, key_material, key_of
from pipelines.dsl.node import Node
from pipelines.dsl.parameters import canonical_text
from pipelines.errors import HaltPipeline
from pipelines.metadata.store import MetadataStore
from pipelines.resolvers import ResolverComponent
from pipelines.runner import manifests, publish
from pipelines.runner.context import ExecutionContext, executing
from pipelines.runner.failures import describe_error
from pipelines.runner.results import CACHED, COMPLETE, FAILED, NodeResult

if TYPE_CHECKING:
    from ml_metadata.proto.metadata_store_pb2 import Context

_INHERITED_PROPERTIES = ("span", "version")
HALTED = "halted"  # execution property: the component stopped the run on purpose, and why
_MAX_TEXT = 16000  # longest parameters/traceback text kept on an execution
DRIVER_FACTS = "driver_facts"  # execution property: what the driver saw, as JSON text
KEY_MATERIAL = "cache_material"  # execution property: what the cache key was made of, as JSON text
RUN_REASON = "run_reason"  # execution property: why the node ran instead of being reused


@dataclasses.dataclass
class RunEnvironment:
    """What every node of one run shares.

    Attributes:
        pipeline_name: The running pipeline.
        root: Its root directory (absolute).
        run_id: The run's id (its MLMD run context name).
        store: The metadata store.
        contexts: The pipeline and run contexts every execution joins.
        beam_args: Pipeline-wide Beam arguments.
        use_cache: Whether cached results may be reused.
        scratch_root: Where each execution's scratch directory is made (`<root>/.tmp`).
        project_dir: The project the pipeline file lives in (paths inside it enter cache keys
            relative to it), or None.
    """

    pipeline_name: str
    root: str
    run_id: str
    store: MetadataStore
    contexts: list[Context]
    beam_args: tuple[str, ...]
    use_cache: bool
    scratch_root: str = ""
    project_dir: str | None = None

    def __post_init__(self) -> None:
        self.scratch_root = self.scratch_root or os.path.join(self.root, ".tmp")

    @property
    def anchors(self) -> PathAnchors:
        """The directories paths in cache keys are written relative to."""
        return PathAnchors(self.project_dir, self.root)


def process_identity() -> dict[str, Any]:
    """`pid` and `host` of this process, recorded on every execution and run.

    Recovery code reads exactly these names to find executions whose process is gone.
    """
    return {"pid": os.getpid(), "host": socket.gethostname()}


def launch(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
           output_uris: dict[str, str] | None = None) -> NodeResult:
    """Runs one node with resolved inputs: driver, cache, execute, publish, record.

    Args:
        node: The node.
        env: The run it belongs to.
        inputs: Input artifacts by port (None for an empty optional input).
        output_uris: Where outputs must end up (a Kubeflow step's output paths); by default
            `<root>/<node_id>/<output>/<execution_id>`.

    Returns:
        The node's result; FAILED results carry a one-line `error` (never raises, except
        KeyboardInterrupt after cleaning up).
    """
    try:
        facts = run_driver(node)
        material = key_material(env.pipeline_name, node, inputs, facts, env.anchors)
        key = key_of(material)
        properties = execution_properties(node, env, key, facts, material)
        if node.is_resolver:
            return _resolve(node, env, inputs, key, properties)
        verdict = cache_verdict(node, env, inputs, key, material)
        if isinstance(verdict, tuple):
            return _reuse(node, env, inputs, properties, *verdict)
        return _execute(node, env, inputs, {**properties, RUN_REASON: verdict}, output_uris)
    except Exception as error:  # a driver, cache-key or metadata failure fails this node only
        return NodeResult(node.id, node.component.name, FAILED, error=describe_error(error),
                          traceback=traceback.format_exc())


def run_driver(node: Node) -> dict[str, Any]:
    """The facts the component's driver reports for this node's parameters ({} without one)."""
    driver = getattr(node.component, "driver", None)
    return dict(driver(node.parameters)) if driver is not None else {}


def execution_properties(node: Node, env: RunEnvironment, key: str, facts: dict[str, Any],
                         material: dict[str, Any] | None = None) -> dict[str, Any]:
    """The custom properties every execution of this node in this run carries."""
    properties = {"node_id": node.id, "pipeline_name": env.pipeline_name, "run_id": env.run_id,
                  "cache_key": key, "parameters": canonical_text(node.parameters)[:_MAX_TEXT],
                  **process_identity()}
    if material is not None:
        properties[KEY_MATERIAL] = json.dumps(material, sort_keys=True)
    if facts:
        properties[DRIVER_FACTS] = json.dumps(facts, sort_keys=True)
    return properties


def recorded_facts(properties: dict[str, Any]) -> dict[str, Any]:
    """The driver facts an execution recorded ({} when its component has no driver)."""
    text = properties.get(DRIVER_FACTS)
    return json.loads(text) if isinstance(text, str) and text else {}


def _uses_cache(node: Node, env: RunEnvironment) -> bool:
    return env.use_cache and node.enable_cache is not False


def _present(artifacts: dict[str, Artifact | None]) -> dict[str, Artifact]:
    return {port: artifact for port, artifact in artifacts.items() if artifact is not None}


def resolution(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
               key: str) -> tuple[Artifact | None, bool]:
    """(what a resolver node resolves to, whether that is an earlier resolution reused).

    A pinned resolver (one with inputs) answers the same for the same data: with the cache on,
    the earlier resolution under the same key is reused.
    """
    component = node.component
    if not isinstance(component, ResolverComponent):
        raise TypeError(f"node '{node.id}': {component!r} is not a resolver")
    if node.inputs and _uses_cache(node, env):
        hit = env.store.find_cached_outputs(key, event_type="INTERNAL_OUTPUT")
        if hit is not None:
            return hit[1].get(component.output_name), True
    return component.resolve(env.store, env.pipeline_name, inputs, node), False


def _resolve(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None], key: str,
             properties: dict[str, Any]) -> NodeResult:
    output_name = getattr(node.component, "output_name")  # noqa: B009 (a resolver)
    resolved, reused = resolution(node, env, inputs, key)
    execution_id = env.store.record_resolution(
        node.component.name, properties, _present(inputs), _present({output_name: resolved}),
        env.contexts, state="CACHED" if reused else "COMPLETE")
    return NodeResult(node.id, node.component.name, CACHED if reused else COMPLETE,
                      {output_name: resolved}, execution_id)


def cache_verdict(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None], key: str,
                  material: dict[str, Any]) -> tuple[int, dict[str, Artifact]] | str:
    """(execution id, outputs) of a reusable earlier result, or why the node must run.

    A result is reusable when a COMPLETE execution has the same key and its outputs are LIVE and
    hold the files recorded when they were published. Otherwise the reason is the first part of
    the key that differs from the node's latest execution, or the artifact check that failed.
    """
    if not _uses_cache(node, env):
        return "cache off for this run" if not env.use_cache else "enable_cache=False on this node"
    hit = env.store.find_cached_outputs(key)
    if hit is not None:
        execution_id, outputs = hit
        [original] = env.store.executions_by_id([execution_id])
        if set(outputs) != set(node.component.signature.outputs):
            return f"cached execution {execution_id} lacks outputs"
        damaged = manifests.first_damage(outputs, original.properties.get(manifests.OUTPUT_MANIFEST))
        if damaged is None:
            return execution_id, outputs
        return f"cached artifact failed its check: {damaged}"
    upstream = {port: str(artifact.properties["producer_node"]) for port, artifact in inputs.items()
                if artifact is not None and artifact.properties.get("producer_node")}
    return explain_miss(latest_material(env, node.id), material, upstream)


def latest_material(env: RunEnvironment, node_id: str) -> dict[str, Any] | None:
    """The key material of the node's latest COMPLETE or CACHED execution in this pipeline, or None."""
    for execution in env.store.latest_executions(env.pipeline_name, node_id):
        text = execution.properties.get(KEY_MATERIAL)
        if execution.state in ("COMPLETE", "CACHED") and isinstance(text, str) and text:
            return json.loads(text)
    return None


def _reuse(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
           properties: dict[str, Any], cached_execution_id: int,
           outputs: dict[str, Artifact]) -> NodeResult:
    execution_id = env.store.record_cached_execution(
        node.component.name, {**properties, "cached_from": cached_execution_id}, _present(inputs),
        outputs, env.contexts)
    [original] = env.store.executions_by_id([cached_execution_id])
    if original.properties.get(HALTED):  # the same data gets the same verdict
        return NodeResult(node.id, node.component.name, FAILED, dict(outputs), execution_id,
                          error=f"halted: {original.properties[HALTED]}")
    return NodeResult(node.id, node.component.name, CACHED, dict(outputs), execution_id,
                      reason=f"reused execution {cached_execution_id}")


def _destinations(node: Node, env: RunEnvironment, execution_id: int,
                  output_uris: dict[str, str] | None) -> dict[str, tuple[str, str]]:
    """(staging, final) directory of each output."""
    places = {}
    for name in node.component.signature.outputs:
        if output_uris is None:
            places[name] = (publish.staging_uri(env.root, node.id, name, execution_id),
                            publish.final_uri(env.root, node.id, name, execution_id))
        else:
            final = output_uris[name].rstrip(os.sep)
            staging = os.path.join(os.path.dirname(final), f"{publish.STAGING_PREFIX}"
                                   f"{execution_id}-{os.path.basename(final)}")
            places[name] = (staging, final)
    return places


def _execute(node: Node, env: RunEnvironment, inputs: dict[str, Artifact | None],
             properties: dict[str, Any], output_uris: dict[str, str] | None) -> NodeResult:
    component = node.component
    execution_id = env.store.start_execution(component.name, properties, _present(inputs),
                                             env.contexts)
    places = _destinations(node, env, execution_id, output_uris)
    outputs = new_output_artifacts(node, env.pipeline_name, inputs,
                                   {name: staging for name, (staging, _) in places.items()})
    context = ExecutionContext(env.pipeline_name, env.root, env.run_id, node.id, execution_id,
                               env.beam_args, os.path.join(env.scratch_root, str(execution_id)))
    halted: HaltPipeline | None = None
    try:
        publish.prepare_staging(outputs)
        try:
            invoke_component(node, inputs, outputs, context)
        except HaltPipeline as halt:  # a verdict on the data: keep the outputs, stop what follows
            halted = halt
        publish.publish(outputs, {name: final for name, (_, final) in places.items()})
    except BaseException as error:  # the node fails; the run goes on with independent nodes
        publish.discard_staging(outputs)
        message = describe_error(error)
        env.store.finish_execution(execution_id, component.name, "FAILED",
                                   {**properties, "error_message": message[:4000],
                                    "traceback": traceback.format_exc()[-_MAX_TEXT:]}, {},
                                   env.contexts)
        if isinstance(error, KeyboardInterrupt):
            raise
        return NodeResult(node.id, component.name, FAILED, {}, execution_id, error=message,
                          traceback=traceback.format_exc(), reason=properties.get(RUN_REASON, ""))
    _stamp_outputs(outputs, recorded_facts(properties))
    properties = {**properties, manifests.OUTPUT_MANIFEST: manifests.manifests_text(outputs)}
    if halted is not None:
        properties = {**properties, HALTED: str(halted)[:4000]}
    env.store.finish_execution(execution_id, component.name, "COMPLETE", properties, outputs,
                               env.contexts)
    if halted is not None:
        return NodeResult(node.id, component.name, FAILED, dict(outputs), execution_id,
                          error=f"halted: {halted}", reason=properties.get(RUN_REASON, ""))
    return NodeResult(node.id, component.name, COMPLETE, dict(outputs), execution_id,
                      reason=properties.get(RUN_REASON, ""))


def _stamp_outputs(outputs: dict[str, Artifact], facts: dict[str, Any]) -> None:
    """Marks published outputs LIVE and records the driver's facts the component did not set."""
    for artifact in outputs.values():
        artifact.state = "LIVE"
        for name, value in facts.items():
            if artifact.properties.get(name) is None:
                artifact.properties[name] = value


def invoke_component(node: Node, inputs: dict[str, Artifact | None], outputs: dict[str, Artifact],
                     context: ExecutionContext) -> None:
    """Calls the component's function with its inputs, outputs and parameters.

    The function runs with `context` as the current execution and a fresh scratch directory at
    `context.temp_dir`, removed afterwards. Exceptions propagate.
    """
    function = getattr(node.component, "function")  # noqa: B009 (a @component, not a resolver)
    os.makedirs(context.temp_dir, exist_ok=True)
    try:
        with executing(context):
            function(**inputs, **outputs, **node.parameters)
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
