"""Lineage: the upstream (where it came from) and downstream (what used it) trees of an artifact."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from pipelines.artifacts import Artifact
from pipelines.errors import StarlingError
from pipelines.metadata.store import ExecutionRecord, MetadataStore

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"


@dataclasses.dataclass
class LineageStep:
    """An execution in a lineage tree and the artifacts on its far side, by port."""

    execution: ExecutionRecord
    artifacts: list[tuple[str, LineageTree]]


@dataclasses.dataclass
class LineageTree:
    """An artifact and the executions that produced it (upstream) or consumed it (downstream).

    `repeated` is True when the artifact already appears elsewhere in the tree (a diamond);
    its steps are then not expanded again.
    """

    artifact: Artifact
    steps: list[LineageStep]
    repeated: bool = False

    def artifacts(self) -> Iterator[Artifact]:
        """Every artifact in the tree, this one first."""
        yield self.artifact
        for step in self.steps:
            for _, subtree in step.artifacts:
                yield from subtree.artifacts()

    def artifact_ids(self) -> set[int]:
        """The ids of every artifact in the tree."""
        return {artifact.id for artifact in self.artifacts() if artifact.id is not None}


def lineage(store: MetadataStore, artifact_id: int, direction: str = UPSTREAM,
            max_depth: int = 50) -> LineageTree:
    """The lineage tree of an artifact in one direction.

    Upstream follows each artifact's producing execution (the COMPLETE one, not cache hits) to
    its inputs; downstream follows completed consuming executions to their outputs.

    Example:
        >>> tree = lineage(store, pushed_model_id)            # doctest: +SKIP
        >>> examples_id in tree.artifact_ids()                # doctest: +SKIP
        True
    """
    if direction not in (UPSTREAM, DOWNSTREAM):
        raise StarlingError(f"direction must be '{UPSTREAM}' or '{DOWNSTREAM}', got {direction!r}")
    walker = _Walker(store, direction, max_depth)
    return walker.tree(store.artifact(artifact_id), depth=0)


class _Walker:
    def __init__(self, store: MetadataStore, direction: str, max_depth: int):
        self.store = store
        self.max_depth = max_depth
        self.toward_execution = "OUTPUT" if direction == UPSTREAM else "INPUT"
        self.away_from_execution = "INPUT" if direction == UPSTREAM else "OUTPUT"
        self.expanded: set[int] = set()

    def tree(self, artifact: Artifact, depth: int) -> LineageTree:
        if artifact.id is None or artifact.id in self.expanded or depth >= self.max_depth:
            return LineageTree(artifact, [], repeated=artifact.id in self.expanded)
        self.expanded.add(artifact.id)
        steps = []
        for execution in self._linked_executions(artifact.id):
            linked = self.store.execution_artifacts(execution.id, self.away_from_execution)
            subtrees = [(port, self.tree(linked_artifact, depth + 1))
                        for port, linked_artifact in sorted(linked.items())]
            steps.append(LineageStep(execution, subtrees))
        return LineageTree(artifact, steps)

    def _linked_executions(self, artifact_id: int) -> list[ExecutionRecord]:
        from ml_metadata.proto import metadata_store_pb2

        wanted = metadata_store_pb2.Event.Type.Value(self.toward_execution)
        execution_ids = sorted({event.execution_id
                                for event in self.store.events_of_artifacts([artifact_id])
                                if event.type == wanted})
        return [record for record in self.store.executions_by_id(execution_ids)
                if record.state == "COMPLETE"]
