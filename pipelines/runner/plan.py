"""`starling plan`: what a run would do, node by node, without running anything.

Each node gets the verdict the launcher would reach: CACHED (naming the execution it would
reuse) or WILL RUN with the reason (the first part of its cache key that differs from its
latest execution, an artifact that failed its check, an upstream node that will run). Resolvers
are resolved against the store as it is. Nothing is written to the store and no component,
TensorFlow or Beam is imported beyond what the pipeline file itself imports.

Example:
    >>> for line in plan_pipeline(pipeline, store):                   # doctest: +SKIP
    ...     print(line.node_id, line.verdict, line.reason)
"""

from __future__ import annotations

import dataclasses

from pipelines.artifacts import Artifact
from pipelines.caching import key_material, key_of
from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import StarlingError
from pipelines.metadata.store import MetadataStore
from pipelines.resolvers import ResolverComponent
from pipelines.runner.failures import describe_error
from pipelines.runner.launcher import RunEnvironment, cache_verdict, resolution, run_driver
from pipelines.runner.node_execution import input_artifacts
from pipelines.runner.results import CACHED, NodeResult

WILL_RUN = "WILL RUN"
RESOLVES = "RESOLVES"


@dataclasses.dataclass(frozen=True)
class PlannedNode:
    """One node's verdict: CACHED, WILL RUN or RESOLVES, and why."""

    node_id: str
    verdict: str
    reason: str


def _planned(node: Node, outputs: dict[str, Artifact | None]) -> NodeResult:
    return NodeResult(node.id, node.component.name, CACHED, dict(outputs))


def plan_pipeline(pipeline: Pipeline, store: MetadataStore, use_cache: bool = True) -> list[PlannedNode]:
    """The verdict of every node, in dependency order (see the module docstring)."""
    env = RunEnvironment(pipeline.name, pipeline.root, "", store, [], tuple(pipeline.beam_args),
                         use_cache and pipeline.enable_cache, project_dir=pipeline.project_dir)
    known: dict[str, NodeResult] = {}
    planned: list[PlannedNode] = []
    for node in pipeline.ordered_nodes:
        running = [up.id for up in node.upstream_nodes() if up.id not in known]
        if running:
            planned.append(PlannedNode(node.id, WILL_RUN, f"upstream {running[0]} will run"))
            continue
        verdict = _plan_node(node, env, known)
        planned.append(verdict)
    return planned


def _plan_node(node: Node, env: RunEnvironment, known: dict[str, NodeResult]) -> PlannedNode:
    try:
        inputs = input_artifacts(node, known)
        facts = run_driver(node)
        material = key_material(env.pipeline_name, node, inputs, facts, env.anchors)
        if isinstance(node.component, ResolverComponent):
            resolved, _reused = resolution(node, env, inputs, key_of(material))
            known[node.id] = _planned(node, {node.component.output_name: resolved})
            shown = f"{resolved.type_name} {resolved.id}" if resolved is not None else "nothing"
            return PlannedNode(node.id, RESOLVES, shown)
        verdict = cache_verdict(node, env, inputs, key_of(material), material)
    except StarlingError as error:
        return PlannedNode(node.id, WILL_RUN, f"cannot plan: {error}")
    except Exception as error:  # a driver that fails now (e.g. no input files) fails the run too
        return PlannedNode(node.id, WILL_RUN, f"will fail: {describe_error(error)}")
    if isinstance(verdict, str):
        return PlannedNode(node.id, WILL_RUN, verdict)
    execution_id, outputs = verdict
    known[node.id] = _planned(node, dict(outputs))
    return PlannedNode(node.id, CACHED, f"reuses execution {execution_id}")
