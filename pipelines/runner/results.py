"""What a run returns: per-node records and the run's overall status."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.errors import ComponentFailure
from pipelines.runner.outcomes import HALTED, NOT_BLESSED, NOT_PUSHED, PUSHED, Outcome, is_halt, node_outcome

COMPLETE = "COMPLETE"
CACHED = "CACHED"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
CANCELLED = "CANCELLED"  # a run stopped by SIGINT or SIGTERM
STATUS_COUNTS = (COMPLETE, CACHED, FAILED, SKIPPED)
# Outcome counts a run records beside its status counts (as n_halted, n_rejected, ... on its context).
OUTCOME_COUNTS = {"halted": HALTED, "rejected": NOT_BLESSED, "pushed": PUSHED, "not_pushed": NOT_PUSHED}


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
        reason: Why it ran ("parameter train_steps 100 → 200", "no earlier execution") or, for
            CACHED, which execution it reused.
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
    reason: str = ""

    @property
    def error_text(self) -> str:
        """The error as said after the node's name: without a leading `node '<id>'` it may repeat."""
        text = self.error or ""
        for prefix in (f"node '{self.node_id}': ", f"node '{self.node_id}' "):
            if text.startswith(prefix):
                return text[len(prefix):]
        return text

    @property
    def halted(self) -> bool:
        """True when the node stopped the run on purpose (e.g. anomalies); its status is FAILED."""
        return self.status == FAILED and is_halt(self.error)

    @property
    def outcome(self) -> Outcome | None:
        """What its outputs say: a model BLESSED or NOT BLESSED, PUSHED or NOT PUSHED (see outcomes)."""
        return node_outcome(self.outputs.values()) if self.ok else None

    @property
    def shown_status(self) -> str:
        """The status as shown: HALTED for a halt, the outcome for a completed verdict, else the status."""
        if self.halted:
            return HALTED
        outcome = self.outcome
        return outcome.label if outcome is not None and self.status == COMPLETE else self.status

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

    @property
    def shown_status(self) -> str:
        """HALTED when every failed node stopped the run on purpose; else the status."""
        failed = self.failed_nodes
        return HALTED if failed and all(node.halted for node in failed) else self.status

    def outcomes(self) -> list[tuple[str, Outcome]]:
        """(node id, outcome) of every node whose outputs record a verdict, in run order."""
        return [(node.node_id, outcome) for node in self.nodes.values()
                if (outcome := node.outcome) is not None]

    def summary(self) -> dict[str, Any]:
        """Counts by status, then of halted nodes, rejected models, pushes and refused pushes.

        Recorded on the run (`n_complete`, ..., `n_rejected`, `n_pushed`), so `starling runs` and
        the UI tell a run that shipped a model from one whose candidate was rejected.
        """
        counts = {status.lower(): self.count(status) for status in STATUS_COUNTS}
        labels = [outcome.label for _, outcome in self.outcomes()]
        for key, label in OUTCOME_COUNTS.items():
            counts[key] = labels.count(label)
        counts["halted"] = sum(1 for node in self.nodes.values() if node.halted)
        return counts
