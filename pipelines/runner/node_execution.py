"""The local runner's half of running a node: take inputs from upstream results, then launch."""

from __future__ import annotations

import time

from pipelines.artifacts import Artifact
from pipelines.dsl.node import Node
from pipelines.errors import StarlingError
from pipelines.runner.launcher import RunEnvironment, launch
from pipelines.runner.results import FAILED, SKIPPED, NodeResult


def run_node(node: Node, env: RunEnvironment, upstream: dict[str, NodeResult]) -> NodeResult:
    """Runs a node whose upstream nodes have finished, returning its result (never raises).

    KeyboardInterrupt (SIGINT, SIGTERM) is the exception: it propagates after the node's
    execution is marked FAILED and its staging removed.
    """
    started = time.time()
    blocked = [up.id for up in node.upstream_nodes() if not upstream[up.id].ok]
    if blocked:
        return NodeResult(node.id, node.component.name, SKIPPED, started_at=started,
                          error=f"upstream node '{blocked[0]}' did not complete")
    try:
        result = launch(node, env, input_artifacts(node, upstream))
    except StarlingError as error:
        result = NodeResult(node.id, node.component.name, FAILED, error=str(error))
    result.started_at = started
    result.duration_s = time.time() - started
    return result


def input_artifacts(node: Node, upstream: dict[str, NodeResult]) -> dict[str, Artifact | None]:
    """The node's input artifacts by port, taken from its upstream nodes' results.

    Raises:
        StarlingError: a required input resolved to no artifact.
    """
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
