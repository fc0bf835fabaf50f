"""Pipeline: a validated graph of nodes with a root directory and a metadata store."""

from __future__ import annotations

import os
import re
import sys
import types
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipelines.dsl.arguments import keywords_checked
from pipelines.dsl.locations import is_project_file
from pipelines.dsl.node import Node
from pipelines.errors import PipelineDefinitionError

if TYPE_CHECKING:
    from ml_metadata.proto import metadata_store_pb2

def _calling_project_dir() -> str | None:
    """The directory of the project file that called Pipeline(...), if a project file did."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and os.path.abspath(frame.f_code.co_filename) == os.path.abspath(__file__):
        frame = frame.f_back
    if frame is None or not os.path.isfile(frame.f_code.co_filename):
        return None
    path = os.path.abspath(frame.f_code.co_filename)
    return os.path.dirname(path) if is_project_file(path) else None


_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Pipeline:
    """A named graph of nodes, validated when built.

    Args:
        name: The pipeline name (its MLMD context; letters, digits, `_ . -`).
        root: Directory for artifacts (`<root>/<node_id>/<output>/<execution_id>/`) and, by
            default, the SQLite metadata store `<root>/metadata.sqlite`.
        nodes: The nodes; every node whose output is consumed must be listed.
        enable_cache: Reuse outputs of identical earlier executions (on by default).
        beam_args: Arguments for every Beam-using component, e.g. `["--direct_num_workers=2"]`.
        metadata: An MLMD `ConnectionConfig` (see `pipelines.metadata.mysql_config`); default
            SQLite under `root`.
        project_dir: The project's directory: paths inside it (and inside `root`) enter cache keys
            relative to it, so the project can move. Default: the directory of the file that
            builds the Pipeline (`starling run` sets the pipeline file's).

    Raises:
        PipelineDefinitionError: duplicate node ids, a consumed node missing from `nodes`, or a
            cycle.

    Example:
        >>> from pipelines import Pipeline, component, Output
        >>> from pipelines.artifacts import Examples
        >>> @component
        ... def make(examples: Output[Examples]): ...
        >>> Pipeline(name="tiny", root="/tmp/tiny", nodes=[make()]).node_ids
        ['make']
    """

    @keywords_checked("Pipeline")
    def __init__(
        self,
        name: str,
        root: str | os.PathLike,
        nodes: Sequence[Node],
        *,
        enable_cache: bool = True,
        beam_args: Sequence[str] | None = None,
        metadata: (metadata_store_pb2.ConnectionConfig | metadata_store_pb2.MetadataStoreClientConfig
                   | None) = None,
        description: str = "",
        project_dir: str | None = None,
    ):
        if not _NAME_PATTERN.match(name or ""):
            raise PipelineDefinitionError(
                f"pipeline name {name!r}: use letters, digits, '_', '.' and '-', starting with a "
                "letter or digit")
        self.name = name
        self.root = os.fspath(root)
        self.enable_cache = enable_cache
        self.beam_args = list(beam_args or [])
        self.metadata = metadata
        self.description = description
        self.project_dir = os.path.abspath(project_dir) if project_dir else _calling_project_dir()
        self.nodes: list[Node] = _with_hidden_resolvers(list(nodes))
        _check_node_objects(self.nodes)
        _assign_ids(self.nodes)
        _check_upstream_listed(self.nodes)
        self.ordered_nodes: list[Node] = _topological_order(self.nodes)

    @property
    def node_ids(self) -> list[str]:
        """Node ids in dependency order."""
        return [node.id for node in self.ordered_nodes]

    def node(self, node_id: str) -> Node:
        """The node with this id."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise PipelineDefinitionError(f"pipeline '{self.name}' has no node '{node_id}' (nodes: "
                                      + ", ".join(self.node_ids) + ")")

    def metadata_path(self) -> str:
        """Where the default SQLite metadata store lives."""
        return os.path.join(self.root, "metadata.sqlite")

    def __repr__(self) -> str:
        return f"Pipeline(name={self.name!r}, root={self.root!r}, nodes={self.node_ids})"


def _with_hidden_resolvers(nodes: list[Node]) -> list[Node]:
    """Adds resolver nodes that listed nodes consume but the user did not list.

    Component factories (e.g. ExampleValidator's drift input) create such resolvers themselves.
    """
    listed = {id(node) for node in nodes if isinstance(node, Node)}
    added: list[Node] = []
    for node in nodes:
        for channel in getattr(node, "inputs", {}).values():
            producer = channel.producer if channel is not None else None
            if producer is not None and producer.is_resolver and id(producer) not in listed:
                listed.add(id(producer))
                added.append(producer)
    return added + nodes


def _check_node_objects(nodes: list[Node]) -> None:
    for index, node in enumerate(nodes):
        if not isinstance(node, Node):
            hint = " (did you forget to call the component?)" if hasattr(node, "signature") else ""
            raise PipelineDefinitionError(
                f"nodes[{index}]: expected a node made by calling a component, got "
                f"{type(node).__name__}{hint}")
    repeated = [node for node, count in Counter(map(id, nodes)).items() if count > 1]
    if repeated:
        node = next(n for n in nodes if id(n) == repeated[0])
        raise PipelineDefinitionError(f"node '{node.id}' is listed twice in nodes")


def _assign_ids(nodes: list[Node]) -> None:
    """Numbers repeated default ids (`name`, `name_2`, ...) and rejects duplicate explicit ids."""
    explicit = Counter(node.explicit_id for node in nodes if node.explicit_id)
    for node_id, count in explicit.items():
        if count > 1:
            components = sorted({n.component.name for n in nodes if n.explicit_id == node_id})
            raise PipelineDefinitionError(
                f"duplicate node id '{node_id}': {count} nodes ({', '.join(components)}) use it; "
                "give each a unique id with .with_id(...)")
    taken = set(explicit)
    seen: Counter[str] = Counter()
    for node in nodes:
        if node.explicit_id:
            continue
        base = node.component.name
        seen[base] += 1
        candidate = base if seen[base] == 1 else f"{base}_{seen[base]}"
        if candidate in taken:
            raise PipelineDefinitionError(
                f"duplicate node id '{candidate}': a node's explicit id collides with the default "
                f"id of component '{base}'; give one of them another id with .with_id(...)")
        node.id = candidate
        taken.add(candidate)


def _check_upstream_listed(nodes: list[Node]) -> None:
    listed = {id(node) for node in nodes}
    for node in nodes:
        for port, channel in node.inputs.items():
            if channel is not None and id(channel.producer) not in listed:
                raise PipelineDefinitionError(
                    f"node '{node.id}' input '{port}': its producer, node "
                    f"'{channel.producer.id}', is not in the pipeline's nodes; add it to nodes=[...]")
        for upstream in node.extra_upstream:
            if id(upstream) not in listed:
                raise PipelineDefinitionError(
                    f"node '{node.id}' runs after node '{upstream.id}', which is not in the "
                    "pipeline's nodes")


def _topological_order(nodes: list[Node]) -> list[Node]:
    """Kahn's algorithm, keeping the listed order among ready nodes; raises on a cycle."""
    position = {id(node): index for index, node in enumerate(nodes)}
    waiting = {id(node): len(node.upstream_nodes()) for node in nodes}
    downstream: dict[int, list[Node]] = {id(node): [] for node in nodes}
    for node in nodes:
        for upstream in node.upstream_nodes():
            downstream[id(upstream)].append(node)
    ready = [node for node in nodes if waiting[id(node)] == 0]
    ordered: list[Node] = []
    while ready:
        ready.sort(key=lambda n: position[id(n)])
        node = ready.pop(0)
        ordered.append(node)
        for child in downstream[id(node)]:
            waiting[id(child)] -= 1
            if waiting[id(child)] == 0:
                ready.append(child)
    if len(ordered) < len(nodes):
        stuck = [node for node in nodes if waiting[id(node)] > 0]
        raise PipelineDefinitionError(
            "cycle in pipeline: nodes " + " -> ".join(f"'{n.id}'" for n in _cycle_path(stuck))
            + " depend on each other")
    return ordered


def _cycle_path(stuck: list[Node]) -> list[Node]:
    """Follows upstream links among stuck nodes until a node repeats, giving one cycle."""
    stuck_ids = {id(node) for node in stuck}
    path: list[Node] = [stuck[0]]
    while True:
        upstream = next(n for n in path[-1].upstream_nodes() if id(n) in stuck_ids)
        if upstream in path:
            cycle = [*path[path.index(upstream):], upstream]
            return list(reversed(cycle))
        path.append(upstream)
