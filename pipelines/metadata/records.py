"""What the store hands back besides artifacts: execution and run records, and small helpers."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from pipelines.metadata import codec

if TYPE_CHECKING:
    from ml_metadata.proto.metadata_store_pb2 import Context


@dataclasses.dataclass
class ExecutionRecord:
    """One execution as stored: its node, component, state and custom properties."""

    id: int
    component: str
    state: str
    properties: dict[str, Any]
    created_at_ms: int
    updated_at_ms: int

    @property
    def node_id(self) -> str:
        """The pipeline node that ran."""
        return str(self.properties.get("node_id", self.component))


@dataclasses.dataclass
class RunRecord:
    """One pipeline run (an MLMD context of type pipeline_run) with its summary properties."""

    id: int
    name: str
    properties: dict[str, Any]
    created_at_ms: int


def run_record(context: Context) -> RunRecord:
    """The run record of an MLMD run context."""
    return RunRecord(context.id, context.name,
                     {k: codec.get_value(v) for k, v in context.custom_properties.items()},
                     context.create_time_since_epoch)


def quoted(text: str) -> str:
    """A string literal for an MLMD filter query (quotes and backslashes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def now_ms() -> int:
    """Milliseconds since the epoch, as MLMD records times."""
    return int(time.time() * 1000)
