"""Which runs a runs page lists: pipeline, status, outcome and a start-date range.

Each filter becomes an MLMD filter-query clause built only from known values (never from user
text), then a check on the summary where the stored properties alone cannot say it (a HALTED run
is stored FAILED with every failed node halted; see `outcomes.recorded_status`).
"""

from __future__ import annotations

import dataclasses
import datetime

from pipelines.metadata.store import quoted

RUN_STATUSES = ("RUNNING", "COMPLETE", "FAILED", "HALTED", "CANCELLED")
OUTCOMES = ("pushed", "rejected", "not pushed", "halted")
_OUTCOME_COUNTS = {"pushed": "n_pushed", "rejected": "n_rejected", "not pushed": "n_not_pushed"}
DAY_MS = 86_400_000


@dataclasses.dataclass
class RunFilter:
    """The filters of one runs page; empty fields filter nothing."""

    pipeline: str | None = None
    status: str | None = None
    outcome: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None  # exclusive

    def is_known(self, pipelines: list[str]) -> bool:
        """False when a filter names a pipeline, status or outcome that cannot match."""
        return not ((self.pipeline and self.pipeline not in pipelines)
                    or (self.status and self.status not in RUN_STATUSES)
                    or (self.outcome and self.outcome not in OUTCOMES))

    def clauses(self) -> list[str]:
        """MLMD filter-query clauses for the stored properties (call `is_known` first)."""
        clauses = []
        if self.pipeline:
            clauses.append(f"custom_properties.pipeline_name.string_value = {quoted(self.pipeline)}")
        halted = self.status == "HALTED" or self.outcome == "halted"
        if self.status:
            clauses.append(f"custom_properties.status.string_value = "
                           f"'{'FAILED' if halted else self.status}'")
        if halted:
            clauses.append("custom_properties.n_halted.int_value > 0")
        if self.outcome in _OUTCOME_COUNTS:
            clauses.append(f"custom_properties.{_OUTCOME_COUNTS[self.outcome]}.int_value > 0")
        if self.since_ms is not None:
            clauses.append(f"custom_properties.started_at_ms.int_value >= {int(self.since_ms)}")
        if self.until_ms is not None:
            clauses.append(f"custom_properties.started_at_ms.int_value < {int(self.until_ms)}")
        return clauses

    def keeps(self, status: str, verdict: str) -> bool:
        """The checks MLMD cannot make: the shown status, and a verdict that outranks another."""
        if self.status and status != self.status:
            return False
        if self.outcome == "halted":
            return status == "HALTED"
        return not self.outcome or verdict == self.outcome


def day_start_ms(text: str | None, *, end: bool = False) -> int | None:
    """`YYYY-MM-DD` as local midnight in epoch ms (the next midnight with `end`); None if blank.

    Raises:
        ValueError: not a date.
    """
    if not text:
        return None
    day = datetime.datetime.strptime(text, "%Y-%m-%d")
    return int(day.timestamp() * 1000) + (DAY_MS if end else 0)
