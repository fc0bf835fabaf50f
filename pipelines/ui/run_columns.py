"""Columns a user adds to the runs table: overall metrics, node parameters, spans.

A column is an overall metric of the run's evaluation (`auc`), a node's parameter
(`node.parameter`), or `span` (the spans the run's examples cover).

Only the chosen columns are read, a page of runs at a time; the choices offered are those of the
newest run on the page (any other name can be typed).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from pipelines.metadata import MetadataStore
from pipelines.metadata.records import ExecutionRecord
from pipelines.ui.queries import SPECIAL_PROPERTIES, RunSummary

EVALUATION_FILE = "evaluation.json"
OVERALL = "Overall"
SPAN = "span"
HIDDEN_PARAMETERS = ("pid", "host", "halted")


@dataclasses.dataclass
class RunFacts:
    """What one run offers as columns: overall metrics, node parameters, spans."""

    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    spans: list[int] = dataclasses.field(default_factory=list)

    def value(self, column: str) -> Any:
        """The value of a chosen column (None when the run has none)."""
        if column == SPAN:
            return ", ".join(map(str, self.spans)) if self.spans else None
        return self.metrics.get(column, self.parameters.get(column))


def run_facts(store: MetadataStore, run_id: int, with_outputs: bool = True) -> RunFacts:
    """The parameters of each node of a run; with `with_outputs`, its spans and overall metrics."""
    executions = store.executions_of_run(run_id)
    facts = RunFacts(parameters=_parameters(executions))
    if with_outputs:
        outputs = _outputs(store, executions)
        facts.spans = sorted({int(a.properties["span"]) for a in outputs
                              if a.type_name == "Examples" and isinstance(a.properties.get("span"), int)})
        found = (overall_metrics(a.uri) for a in outputs if a.type_name == "ModelEvaluation")
        facts.metrics = next((metrics for metrics in found if metrics), {})
    return facts


def _parameters(executions: list[ExecutionRecord]) -> dict[str, Any]:
    return {f"{node}.{name}": value for execution in executions
            for (node, name), value in node_parameters(execution.node_id, execution.properties).items()}


def node_parameters(node_id: str, properties: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """(node, parameter) -> value: a node's parameters and its other plain properties.

    The component's `parameters` JSON is decoded, one entry per parameter; bookkeeping (cache
    key, process id, manifests) is left out.
    """
    found: dict[tuple[str, str], Any] = {}
    for name, value in sorted(properties.items()):
        if name in SPECIAL_PROPERTIES or name in HIDDEN_PARAMETERS:
            continue
        decoded = _json_object(value) if name == "parameters" else None
        if decoded is not None:
            found.update({(node_id, key): item for key, item in decoded.items()})
        else:
            found[(node_id, name)] = value
    return found


def _json_object(value: Any) -> dict[str, Any] | None:
    try:
        decoded = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _outputs(store: MetadataStore, executions: list[ExecutionRecord]) -> list[Any]:
    from ml_metadata.proto import metadata_store_pb2

    events = store.events_of_executions([e.id for e in executions])
    return store.artifacts_by_id({e.artifact_id for e in events
                                  if e.type == metadata_store_pb2.Event.OUTPUT})


def overall_metrics(uri: str) -> dict[str, Any]:
    """The candidate's Overall metrics of an evaluation directory ({} when it has none)."""
    path = os.path.join(uri, EVALUATION_FILE)
    if not os.path.isfile(path):
        return {}
    with open(path) as source:
        summary = json.load(source)
    overall: dict[str, Any] = next((s for s in summary.get("slices", []) if s.get("slice") == OVERALL), {})
    return {name: values.get("candidate") for name, values in overall.get("metrics", {}).items()}


def column_values(store: MetadataStore, runs: list[RunSummary], columns: list[str],
                  ) -> dict[int, dict[str, Any]]:
    """Run id -> chosen column -> value, for the runs of one page."""
    if not columns:
        return {}
    with_outputs = any("." not in column for column in columns)
    found = {}
    for run in runs:
        facts = run_facts(store, run.id, with_outputs)
        found[run.id] = {column: facts.value(column) for column in columns}
    return found


def offered_columns(store: MetadataStore, runs: list[RunSummary]) -> list[str]:
    """The columns the newest run of the page offers: span, its metrics, its node parameters."""
    if not runs:
        return []
    facts = run_facts(store, runs[0].id)
    return [SPAN, *sorted(facts.metrics), *facts.parameters]


def runs_of_span(store: MetadataStore, runs: list[RunSummary], span: int) -> list[RunSummary]:
    """The runs (of one page) whose examples cover `span`."""
    return [run for run in runs if span in run_facts(store, run.id).spans]
