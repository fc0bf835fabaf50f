"""What the run page draws from a run's records: its graph, parameters and timeline.

The graph has skipped nodes too; the parameters are every node's; the timeline shows how long
each node took, and when.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pipelines.ui.graph_svg import GraphEdge, GraphNode, render_svg
from pipelines.ui.queries import RunDetail
from pipelines.ui.run_columns import node_parameters
from pipelines.ui.templating import format_seconds


@dataclasses.dataclass
class TimelineBar:
    """One node on the run's timeline: offset and length as percentages of the run's span."""

    node_id: str
    execution_id: int
    status: str
    left_pct: float
    width_pct: float
    duration_s: float


def run_graph_svg(detail: RunDetail) -> str:
    """The run's pipeline graph: one box per node, coloured by status, resolvers dashed.

    Skipped nodes leave no execution: they are drawn as an earlier run had them, or, when no
    earlier run names them, as one unnamed box each below the node that failed.
    """
    nodes = [_node_box(node) for node in detail.nodes]
    status = detail.missing_status
    nodes += [GraphNode(node_id, node_id, status.lower(), status) for node_id in detail.missing]
    edges = [GraphEdge(source, target, label) for source, target, label in detail.edges]
    unnamed = int(detail.summary.counts.get("skipped") or 0) - len(detail.missing)
    if unnamed > 0 and detail.summary.status != "RUNNING":
        stopped = [node.node_id for node in detail.nodes if node.status in ("FAILED", "HALTED")]
        for index in range(unnamed):
            key = f"skipped-{index + 1}"
            nodes.append(GraphNode(key, f"skipped node {index + 1}", "skipped · name not recorded",
                                   "SKIPPED"))
            edges += [GraphEdge(source, key) for source in stopped[:1]]
    return render_svg(nodes, edges)


def _node_box(node: Any) -> GraphNode:
    subtitle = node.shown_status.lower()
    if node.status == "CACHED" and node.shown_status != "CACHED":
        subtitle = f"cached · {subtitle}"
    elif node.status not in ("CACHED", "RUNNING"):
        subtitle += f" · {format_seconds(node.duration_s)}"
    return GraphNode(node.node_id, node.node_id, subtitle, node.shown_status,
                     resolver=node.is_resolver, data_id=str(node.execution_id))


def run_parameters(detail: RunDetail) -> list[tuple[str, str, Any]]:
    """(node, parameter, value) of every node that ran, in run order."""
    return [(node_id, name, value) for node in detail.nodes
            for (node_id, name), value in node_parameters(node.node_id, node.properties).items()]


def timeline(detail: RunDetail) -> list[TimelineBar]:
    """The nodes as bars on one time axis, from the first start to the last end."""
    if not detail.nodes:
        return []
    start = min(node.started_at_ms for node in detail.nodes)
    end = max(node.started_at_ms + node.duration_s * 1000 for node in detail.nodes)
    total = max(end - start, 1.0)
    return [TimelineBar(node.node_id, node.execution_id, node.shown_status,
                        100 * (node.started_at_ms - start) / total,
                        max(100 * node.duration_s * 1000 / total, 0.4), node.duration_s)
            for node in sorted(detail.nodes, key=lambda n: n.started_at_ms)]
