"""What a node's outputs say about the run's result: a model BLESSED or NOT BLESSED, PUSHED or not.

A node can complete and still reject its input: the Evaluator's ModelBlessing says NOT BLESSED, the
Pusher's PushedModel records `pushed` 0. The console, `starling runs`, `starling artifacts` and
the UI show these outcomes instead of a bare COMPLETE. They are read from TFX's own properties
(`ModelBlessing.blessed`, `InfraBlessing.blessed`, `PushedModel.pushed`), so a user's component
that writes a ModelBlessing is shown the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.artifacts import Artifact

BLESSED, NOT_BLESSED, PUSHED, NOT_PUSHED = "BLESSED", "NOT BLESSED", "PUSHED", "NOT PUSHED"
HALTED = "HALTED"
HALTED_PREFIX = "halted: "  # how the launcher words the error of a node that stopped the run
_BLESSING_TYPES = ("ModelBlessing", "InfraBlessing")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A verdict an artifact records.

    Attributes:
        label: BLESSED, NOT BLESSED, PUSHED or NOT PUSHED.
        ok: True when the model goes on (blessed, pushed).
        detail: Why, or where: `platform=web: auc 0.53 (needs >= 0.55)`, `version 3 of ctr`.
    """

    label: str
    ok: bool
    detail: str = ""

    def describe(self) -> str:
        """`NOT BLESSED (platform=web: auc 0.53 (needs >= 0.55))`, or the label alone."""
        return f"{self.label} ({self.detail})" if self.detail else self.label


def artifact_outcome(artifact: Artifact | None) -> Outcome | None:
    """The verdict a blessing or push record holds (None for other artifacts)."""
    if artifact is None:
        return None
    properties = artifact.properties
    if artifact.type_name in _BLESSING_TYPES and properties.get("blessed") is not None:
        if int(properties["blessed"]) == 1:
            return Outcome(BLESSED, True)
        return Outcome(NOT_BLESSED, False, str(properties.get("failures") or ""))
    if artifact.type_name == "PushedModel" and properties.get("pushed") is not None:
        if int(properties["pushed"]) == 1:
            return Outcome(PUSHED, True, pushed_version_text(properties))
        return Outcome(NOT_PUSHED, False, str(properties.get("not_pushed_because") or ""))
    return None


def pushed_version_text(properties: Mapping[str, Any]) -> str:
    """`version 3 of ctr` from a PushedModel's properties ("" when it records none)."""
    version, name = properties.get("pushed_version"), properties.get("model_name")
    if version is None:
        return ""
    return f"version {version}" + (f" of {name}" if name else "")


def node_outcome(outputs: Iterable[Artifact | None]) -> Outcome | None:
    """The verdict among a node's outputs, a rejection first (None when they record none)."""
    found = [outcome for outcome in map(artifact_outcome, outputs) if outcome is not None]
    return min(found, key=lambda outcome: outcome.ok, default=None)


def is_halt(error: str | None) -> bool:
    """True for the error of a node that stopped the run on purpose (e.g. data anomalies)."""
    return bool(error) and str(error).startswith(HALTED_PREFIX)


def run_verdict(outcomes: Iterable[Outcome]) -> str:
    """One sentence on what became of the run's candidate, "" when no node recorded a verdict.

    Examples: `candidate NOT BLESSED (platform=web: auc 0.5312 (needs >= 0.55)); nothing pushed`,
    `candidate BLESSED; PUSHED version 3 of ctr`.
    """
    found = list(outcomes)
    labels = [outcome.label for outcome in found]
    parts = []
    rejected = next((o for o in found if o.label == NOT_BLESSED), None)
    if rejected is not None:
        parts.append(f"candidate {rejected.describe()}")
    elif BLESSED in labels:
        parts.append(f"candidate {BLESSED}")
    parts += [f"{PUSHED} {o.detail}".rstrip() for o in found if o.label == PUSHED]
    refused = next((o for o in found if o.label == NOT_PUSHED), None)
    if refused is not None and PUSHED not in labels:
        reason = f" ({refused.detail})" if refused.detail and rejected is None else ""
        parts.append(f"nothing pushed{reason}")
    return "; ".join(parts)


def recorded_status(properties: Mapping[str, Any]) -> str:
    """A stored run's status as shown: HALTED when every failed node halted it on purpose."""
    status = str(properties.get("status", "?"))
    halted = int(properties.get("n_halted") or 0)
    if status == "FAILED" and halted and halted >= int(properties.get("n_failed") or 0):
        return HALTED
    return status


def recorded_verdict(properties: Mapping[str, Any]) -> str:
    """What a stored run did with its candidate: `pushed`, `rejected`, `not pushed` or ""."""
    if int(properties.get("n_pushed") or 0):
        return "pushed"
    if int(properties.get("n_rejected") or 0):
        return "rejected"
    if int(properties.get("n_not_pushed") or 0):
        return "not pushed"
    return ""
