"""An artifact's lineage as one graph: upstream and downstream, walked a level at a time, bounded.

`pipelines.metadata.lineage` builds complete trees; over a long continuous-training history an
artifact's lineage reaches every earlier day (warm starts, baselines, a shared schema), so the
page walks breadth-first with a few MLMD calls per level and stops at `MAX_NODES`, saying so.
As in `starling lineage`, only COMPLETE executions are followed (cache hits made nothing new).
"""

from __future__ import annotations

import dataclasses

from pipelines.artifacts import Artifact
from pipelines.metadata import MetadataStore
from pipelines.metadata.store import ExecutionRecord
from pipelines.ui.graph_svg import GraphEdge, GraphNode
from pipelines.ui.queries import NotFound, event_port, node_status

MAX_NODES = 120
LINEAGE_FOCUS = ("upstream", "downstream")
MAX_LEVELS = 60  # a second bound, on MLMD round trips: three per level


@dataclasses.dataclass
class LineageGraph:
    """Artifacts and executions around one artifact; `truncated` when the bound was reached."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = False


class _Walk:
    def __init__(self, store: MetadataStore, focus: Artifact, max_nodes: int):
        self.store = store
        self.focus = int(focus.id or 0)
        self.max_nodes = max_nodes
        self.nodes: dict[str, GraphNode] = {f"a{self.focus}": _artifact_node(focus, self.focus)}
        self.edges: set[tuple[str, str, str]] = set()
        self.truncated = False

    def full(self) -> bool:
        return len(self.nodes) >= self.max_nodes

    def walk(self, upstream: bool) -> None:
        from ml_metadata.proto import metadata_store_pb2

        toward = metadata_store_pb2.Event.OUTPUT if upstream else metadata_store_pb2.Event.INPUT
        away = metadata_store_pb2.Event.INPUT if upstream else metadata_store_pb2.Event.OUTPUT
        frontier, seen_executions = [self.focus], set[int]()
        for _ in range(MAX_LEVELS):
            if not frontier:
                return
            links = [e for e in self.store.events_of_artifacts(frontier) if e.type == toward]
            executions = {e.id: e for e in self.store.executions_by_id(
                {link.execution_id for link in links} - seen_executions) if e.state == "COMPLETE"}
            seen_executions |= set(executions)
            drawn = {int(key[1:]) for key in self.nodes if key.startswith("e")}
            for link in links:  # also into executions met earlier (a Pusher reading model and blessing)
                if link.execution_id in executions or link.execution_id in drawn:
                    self._edge(f"a{link.artifact_id}", f"e{link.execution_id}", event_port(link),
                               upstream)
            frontier = self._far_side(executions, away, upstream)
            if self.full():
                break
        self.truncated = self.truncated or bool(frontier)

    def _far_side(self, executions: dict[int, ExecutionRecord], away: int, upstream: bool) -> list[int]:
        events = [e for e in self.store.events_of_executions(sorted(executions)) if e.type == away]
        artifacts = {a.id: a for a in self.store.artifacts_by_id({e.artifact_id for e in events})}
        fresh = []
        for event in events:
            artifact = artifacts.get(event.artifact_id)
            if artifact is None:
                continue
            if self.full() and f"a{artifact.id}" not in self.nodes:
                self.truncated = True
                continue
            self.nodes.setdefault(f"e{event.execution_id}",
                                  _execution_node(executions[event.execution_id]))
            if f"a{artifact.id}" not in self.nodes:
                self.nodes[f"a{artifact.id}"] = _artifact_node(artifact, self.focus)
                fresh.append(int(artifact.id or 0))
            self._edge(f"a{artifact.id}", f"e{event.execution_id}", event_port(event), not upstream)
        for execution_id, execution in executions.items():
            self.nodes.setdefault(f"e{execution_id}", _execution_node(execution))
        return fresh

    def _edge(self, artifact_key: str, execution_key: str, port: str, is_output: bool) -> None:
        """An edge execution -> artifact when it is the execution's output, else the reverse."""
        if is_output:
            self.edges.add((execution_key, artifact_key, port))
        else:
            self.edges.add((artifact_key, execution_key, port))


def lineage_graph(store: MetadataStore, artifact_id: int, max_nodes: int = MAX_NODES,
                  direction: str | None = None) -> LineageGraph:
    """The artifact's upstream and downstream lineage merged into one graph.

    With `direction` ("upstream" or "downstream"), only that side is walked.

    Raises:
        NotFound: no artifact has this id.
    """
    found = store.artifacts_by_id([artifact_id])
    if not found:
        raise NotFound(f"no artifact with id {artifact_id} in {store.location}")
    walk = _Walk(store, found[0], max_nodes)
    for upstream in (True, False):
        if direction in (None, LINEAGE_FOCUS[0 if upstream else 1]):
            walk.walk(upstream=upstream)
    return LineageGraph(list(walk.nodes.values()),
                        [GraphEdge(source, target, label)
                         for source, target, label in sorted(walk.edges)], walk.truncated)


def _artifact_node(artifact: Artifact, focus: int) -> GraphNode:
    span = artifact.properties.get("span")
    return GraphNode(f"a{artifact.id}", f"{artifact.type_name} #{artifact.id}",
                     f"span {span}" if span is not None else artifact.state, status="ARTIFACT",
                     href=f"/artifacts/{artifact.id}", highlight=artifact.id == focus)


def _execution_node(execution: ExecutionRecord) -> GraphNode:
    return GraphNode(f"e{execution.id}", execution.node_id, f"execution {execution.id}",
                     status=node_status(execution), data_id=str(execution.id))
