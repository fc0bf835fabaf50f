"""What a run returns: per-node records and the run's overall status."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.errors import ComponentFailure

COMPLETE = "COMPLETE"
CACHED = "CACHED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
CANCELLED = "CANCELLED"  # a run stopped by SIGINT or SIGTERM


@dataclasses.dataclass
class NodeResult:
    """How one node fared in a run.

    Attributes:
        node_id: The node.
        component: Its component name.
        status: COMPLETE, CACHED, FAILED or SKIPPED.
        outputs: Output artifacts by name (None for an empty resolver output).
        execution_id: The MLMD execution recorded for it (None when SKIPPED).
        started_at: Wall-clock start (seconds since the epoch).
        duration_s: Seconds spent on the node, including cache lookup and publishing.
        error: For FAILED, the error ("ValueError: ..."); for SKIPPED, why.
        traceback: For FAILED, the component's traceback.
    """

    node_id: str
    component: str
    status: str
    outputs: dict[str, Artifact | None] = dataclasses.field(default_factory=dict)
    execution_id: int | None = None
    started_at: float = 0.0
    duration_s: float = 0.0
    error: str | None = None
    traceback: str | None = None

    @property
    def error_text(self) -> str:
        """The error as said after the node's name: without a leading `node '<id>'` it may repeat."""
        text = self.error or ""
        for prefix in (f"node '{self.node_id}': ", f"node '{self.node_id}' "):
            if text.startswith(prefix):
                return text[len(prefix):]
        return text

    @property
    def ok(self) -> bool:
        """True when the node's outputs are available (COMPLETE or CACHED)."""
        return self.status in (COMPLETE, CACHED)


@dataclasses.dataclass
class RunResult:
    """The outcome of one pipeline run.

    Example:
        >>> result = LocalRunner().run(pipeline)                        # doctest: +SKIP
        >>> result.status, result.nodes["train"].status                 # doctest: +SKIP
        ('COMPLETE', 'CACHED')
    """

    run_id: str
    pipeline_name: str
    status: str
    nodes: dict[str, NodeResult]
    duration_s: float
    metadata: str

    def output(self, node_id: str, name: str) -> Artifact | None:
        """An output artifact of a node."""
        return self.nodes[node_id].outputs.get(name)

    def count(self, status: str) -> int:
        """How many nodes ended with this status."""
        return sum(1 for node in self.nodes.values() if node.status == status)

    @property
    def failed_nodes(self) -> list[NodeResult]:
        """The nodes that failed, in run order."""
        return [node for node in self.nodes.values() if node.status == FAILED]

    def raise_for_status(self) -> RunResult:
        """Raises ComponentFailure for the first failed node; returns self otherwise."""
        for node in self.failed_nodes:
            raise ComponentFailure(node.node_id, node.error_text or "unknown error")
        return self

    def summary(self) -> dict[str, Any]:
        """Counts by status, for run records and printing."""
        return {status.lower(): self.count(status) for status in (COMPLETE, CACHED, FAILED, SKIPPED)}
