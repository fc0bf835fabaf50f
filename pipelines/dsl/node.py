"""Nodes: a component bound to inputs and parameters, and the channels that carry its outputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pipelines.artifacts import Artifact
from pipelines.errors import PipelineDefinitionError

if TYPE_CHECKING:
    from pipelines.dsl.annotations import Signature


# A component's driver: node parameters in, JSON-able facts about its inputs outside MLMD out.
Driver = Callable[[Mapping[str, Any]], Mapping[str, Any]]


class NodeComponent(Protocol):
    """What a node needs of its component: `@component` functions and resolvers alike."""

    name: str
    signature: Signature
    is_resolver: bool

    @property
    def driver(self) -> Driver | None:
        """Run before the cache check (None: the component has no driver)."""

    @property
    def code_parts(self) -> dict[str, str]:
        """The code the component runs, {relative file or function: content hash} (in every cache key)."""


@dataclasses.dataclass(frozen=True, eq=False)
class Channel:
    """One output port of a node, as an input of other nodes: `node.outputs["examples"]`."""

    producer: Node
    output_name: str
    artifact_type: type[Artifact]

    def describe(self) -> str:
        """Names the producing node and port, for error messages."""
        return f"output '{self.output_name}' of node '{self.producer.id}'"


class Outputs(dict):
    """The output channels of a node by name; a missing name raises PipelineDefinitionError."""

    def __init__(self, node: Node, channels: dict[str, Channel]):
        super().__init__(channels)
        self._node = node

    def __missing__(self, name: str) -> Channel:
        known = ", ".join(sorted(self)) or "none"
        raise PipelineDefinitionError(f"node '{self._node.id}' has no output '{name}' (outputs: {known})")


class Node:
    """A component bound to inputs and parameters inside a pipeline.

    Created by calling a component: `gen = CsvExampleGen(input_base="data")`. Its outputs are
    channels by name (`gen.outputs["examples"]`); its id defaults to the component name.
    """

    def __init__(
        self,
        component: NodeComponent,
        inputs: Mapping[str, Channel | None],
        parameters: dict[str, Any],
        *,
        enable_cache: bool | None = None,
    ):
        self.component = component
        self.inputs: dict[str, Channel | None] = dict(inputs)
        self.parameters = parameters
        self.enable_cache = enable_cache
        self.explicit_id: str | None = None
        self.id = component.name
        self.extra_upstream: list[Node] = []
        self.outputs = Outputs(self, {
            name: Channel(self, name, port.artifact_type)
            for name, port in component.signature.outputs.items()
        })

    def with_id(self, node_id: str) -> Node:
        """Sets this node's id (unique within the pipeline); returns the node for chaining."""
        if not node_id or not node_id.replace("_", "a").replace("-", "a").isalnum():
            raise PipelineDefinitionError(
                f"node id {node_id!r} for component '{self.component.name}': use letters, digits, "
                "'_' and '-' only")
        self.explicit_id = node_id
        self.id = node_id
        return self

    def with_cache(self, enabled: bool) -> Node:
        """Turns caching on or off for this node alone; returns the node for chaining."""
        self.enable_cache = enabled
        return self

    def after(self, *nodes: Node) -> Node:
        """Orders this node after others that it takes no input from; returns the node."""
        self.extra_upstream.extend(nodes)
        return self

    def upstream_nodes(self) -> list[Node]:
        """Nodes whose outputs this node consumes, plus those named with `after()`."""
        found = [channel.producer for channel in self.inputs.values() if channel is not None]
        return _unique(found + self.extra_upstream)

    @property
    def is_resolver(self) -> bool:
        """True for resolver nodes, which read MLMD instead of running user code."""
        return self.component.is_resolver

    def __repr__(self) -> str:
        return f"Node(id={self.id!r}, component={self.component.name!r})"


def _unique(nodes: Iterable[Node]) -> list[Node]:
    seen: dict[int, Node] = {}
    for node in nodes:
        seen.setdefault(id(node), node)
    return list(seen.values())
