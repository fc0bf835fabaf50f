"""Artifact queries for the UI: one artifact with its producer and consumers, listings, lineage."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.metadata import MetadataStore
from pipelines.metadata.store import quoted
from pipelines.ui.queries import DEFAULT_PAGE_SIZE, NotFound, event_port, node_status

# Artifact types whose directory holds something `pipelines.reports` renders.
REPORT_TYPES = ("ExampleStatistics", "ExampleAnomalies", "ModelEvaluation")


@dataclasses.dataclass
class ExecutionLink:
    """An execution as a link: node, component, status, port and the run it belongs to."""

    execution_id: int
    node_id: str
    component: str
    status: str
    port: str
    run: str | None


@dataclasses.dataclass
class ArtifactDetail:
    """An artifact with the executions that produced, used or resolved it."""

    id: int
    type: str
    uri: str
    state: str
    created_at_ms: int
    properties: dict[str, Any]
    producers: list[ExecutionLink]
    consumers: list[ExecutionLink]
    has_report: bool


def artifact_summary(artifact: Artifact) -> dict[str, Any]:
    """The JSON form of an artifact in listings."""
    return {"id": artifact.id, "type": artifact.type_name, "uri": artifact.uri,
            "state": artifact.state, "created_at_ms": artifact.created_at_ms,
            "properties": artifact.properties}


def list_artifacts(store: MetadataStore, type_name: str | None = None, before: int | None = None,
                   limit: int = DEFAULT_PAGE_SIZE) -> tuple[list[Artifact], int | None]:
    """A page of artifacts, newest first, optionally of one (known) type; and the next cursor."""
    known = {artifact_type.name for artifact_type in store.mlmd.get_artifact_types()}
    if type_name and type_name not in known:
        return [], None
    clauses = [f"type = {quoted(type_name)}"] if type_name else []
    if before is not None:
        clauses.append(f"id < {int(before)}")
    found = store.query_artifacts(" AND ".join(clauses), limit=limit + 1)
    page = found[:limit]
    return page, (page[-1].id if len(found) > limit and page[-1].id is not None else None)


def artifact_detail(store: MetadataStore, artifact_id: int) -> ArtifactDetail:
    """One artifact and its producing and consuming executions.

    Raises:
        NotFound: no artifact has this id.
    """
    from ml_metadata.proto import metadata_store_pb2

    found = store.artifacts_by_id([artifact_id])
    if not found:
        raise NotFound(f"no artifact with id {artifact_id} in {store.location}")
    artifact = found[0]
    events = store.events_of_artifacts([artifact_id])
    executions = {e.id: e for e in store.executions_by_id({event.execution_id for event in events})}
    producers, consumers = [], []
    for event in sorted(events, key=lambda e: e.execution_id):
        execution = executions.get(event.execution_id)
        if execution is None:
            continue
        link = ExecutionLink(execution.id, execution.node_id, execution.component,
                             node_status(execution), event_port(event),
                             execution.properties.get("run_id"))
        if event.type == metadata_store_pb2.Event.INPUT:
            consumers.append(link)
        else:
            producers.append(link)
    return ArtifactDetail(int(artifact.id or 0), artifact.type_name, artifact.uri, artifact.state,
                          int(artifact.created_at_ms or 0), artifact.properties, producers, consumers,
                          artifact.type_name in REPORT_TYPES)


def artifact_report_html(store: MetadataStore, artifact_id: int) -> str:
    """The artifact's report page, rendered by `pipelines.reports` from its directory.

    Raises:
        NotFound: no such artifact, or it is of a type without a report.
    """
    artifact = artifact_detail(store, artifact_id)
    if not artifact.has_report:
        raise NotFound(f"artifact {artifact_id} is a {artifact.type}; it has no report")
    if artifact.type == "ExampleStatistics":
        from pipelines.reports.statistics import StatisticsReport

        return StatisticsReport.from_uri(artifact.uri).html()
    if artifact.type == "ExampleAnomalies":
        from pipelines.reports.anomalies import AnomaliesReport

        return AnomaliesReport.from_uri(artifact.uri).html()
    from pipelines.reports.evaluation import EvaluationReport

    return EvaluationReport.from_uri(artifact.uri).html()
