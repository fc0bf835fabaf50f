"""Read-only queries the UI needs on top of `MetadataStore`: pages of runs, one run as a graph."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipelines.artifacts import Artifact
from pipelines.metadata.store import (
    PIPELINE_CONTEXT,
    RUN_CONTEXT,
    ExecutionRecord,
    MetadataStore,
)
from pipelines.runner.launcher import DRIVER_FACTS, KEY_MATERIAL, RUN_REASON, recorded_facts
from pipelines.runner.manifests import OUTPUT_MANIFEST
from pipelines.runner.outcomes import node_outcome, recorded_status, recorded_verdict
from pipelines.ui import inferred
from pipelines.ui.run_filters import RunFilter
from pipelines.ui.source import StoreUnavailable

NODE_COUNTS = ("complete", "cached", "failed", "skipped")
# Execution properties shown in their own place on a node's panel, not in the generic list.
SPECIAL_PROPERTIES = ("node_id", "pipeline_name", "run_id", "cache_key", "error_message",
                      "traceback", "log_path", DRIVER_FACTS, KEY_MATERIAL, OUTPUT_MANIFEST, RUN_REASON,
                      "cached_from")
DEFAULT_PAGE_SIZE = 50
SKIPPED_LOOKBACK = 5  # earlier runs searched for the names of a run's skipped or pending nodes
Ported = list[tuple[str, Artifact]]  # (port name, artifact) pairs of one execution


class NotFound(StoreUnavailable):
    """The store has no run or artifact by that name or id."""


@dataclasses.dataclass
class RunSummary:
    """One row of the runs page."""

    id: int
    name: str
    pipeline: str
    status: str
    started_at_ms: int | None
    duration_s: float | None
    counts: dict[str, int | None]
    properties: dict[str, Any]
    verdict: str = ""  # pushed, rejected, not pushed (see `outcomes.recorded_verdict`)


@dataclasses.dataclass
class RunsPage:
    """A page of runs, newest first; `next_before` is the cursor of the following page."""

    runs: list[RunSummary]
    pipelines: list[str]
    next_before: int | None


@dataclasses.dataclass
class ArtifactRef:
    """An artifact as a link: id, type, port and the few properties worth showing inline."""

    id: int
    type: str
    port: str
    uri: str
    span: Any = None

    @classmethod
    def of(cls, artifact: Artifact, port: str = "") -> ArtifactRef:
        """The reference of an artifact seen on a port."""
        return cls(int(artifact.id or 0), artifact.type_name, port, artifact.uri,
                   artifact.properties.get("span"))


@dataclasses.dataclass
class NodeRun:
    """One node's execution within a run, as its panel shows it."""

    execution_id: int
    node_id: str
    component: str
    status: str
    is_resolver: bool
    started_at_ms: int
    duration_s: float
    cache_key: str | None
    reason: str | None
    driver_facts: dict[str, Any]
    error: str | None
    traceback: str | None
    log_path: str | None
    properties: dict[str, Any]
    inputs: list[ArtifactRef]
    outputs: list[ArtifactRef]
    outcome: str | None = None  # BLESSED, NOT BLESSED, PUSHED, NOT PUSHED
    outcome_detail: str = ""

    @property
    def shown_status(self) -> str:
        """The status, or the outcome of a node that completed with a verdict (e.g. NOT BLESSED)."""
        return self.outcome if self.outcome and self.status in ("COMPLETE", "CACHED") else self.status

    @property
    def needs_attention(self) -> bool:
        """Failed, halted, or rejected its candidate: the node a run's page opens on."""
        return self.status in ("FAILED", "HALTED") or self.outcome == "NOT BLESSED"


@dataclasses.dataclass
class RunDetail:
    """A run, its nodes and the edges between them (producer node, consumer node, artifact type)."""

    summary: RunSummary
    nodes: list[NodeRun]
    edges: list[tuple[str, str, str]]
    log_path: str | None = None
    missing: list[str] = dataclasses.field(default_factory=list)
    missing_status: str = "SKIPPED"
    missing_as_in: str | None = None

    @property
    def focus(self) -> int | None:
        """The execution the page opens on: the first failed, halted or rejecting node, else the first."""
        chosen = next((node for node in self.nodes if node.needs_attention), None)
        chosen = chosen or (self.nodes[0] if self.nodes else None)
        return chosen.execution_id if chosen is not None else None


def _run_summary(context: Any, executions: list[ExecutionRecord] | None = None) -> RunSummary:
    from pipelines.metadata import codec

    props = {key: codec.get_value(value) for key, value in context.custom_properties.items()}
    counts: dict[str, int | None] = {name: props.get(f"n_{name}") for name in NODE_COUNTS}
    if executions is not None and _counts_from_executions(context):
        counts = _count_statuses(executions)
    return RunSummary(context.id, context.name, str(props.get("pipeline_name", "?")),
                      recorded_status(props), props.get("started_at_ms"),
                      props.get("duration_s"), counts, props, recorded_verdict(props))


def _counts_from_executions(context: Any) -> bool:
    """True for a run without recorded counts: still RUNNING, or ended by a crash and recovered."""
    return _is_running(context) or "n_complete" not in context.custom_properties


def _count_statuses(executions: list[ExecutionRecord]) -> dict[str, int | None]:
    """Counts by status from the executions; skipped nodes leave none, so that one is unknown."""
    counts: dict[str, int | None] = {name: 0 for name in NODE_COUNTS}
    for execution in executions:
        key = node_status(execution).lower()
        if key in counts:
            counts[key] = (counts[key] or 0) + 1
    counts["skipped"] = None
    return counts


def node_status(execution: ExecutionRecord) -> str:
    """COMPLETE, CACHED, FAILED, RUNNING, or HALTED (completed, but stopped the run on purpose)."""
    if execution.state == "COMPLETE" and execution.properties.get("halted"):
        return "HALTED"
    return execution.state


def pipeline_names(store: MetadataStore) -> list[str]:
    """Every pipeline recorded in the store, sorted."""
    return sorted(context.name for context in store.mlmd.get_contexts_by_type(PIPELINE_CONTEXT))


def list_runs(store: MetadataStore, pipeline: str | None = None, status: str | None = None,
              before: int | None = None, limit: int = DEFAULT_PAGE_SIZE,
              filters: RunFilter | None = None) -> RunsPage:
    """One page of runs, newest first, filtered by pipeline and status (or by `filters`).

    Filters are matched against the known pipelines, statuses and outcomes before they reach
    MLMD's filter query, so no user text is ever spliced into it; a stored name is quoted,
    whatever it holds. A page may hold fewer than `limit` runs when a filter MLMD cannot apply
    (HALTED apart from FAILED) drops some; `next_before` still pages on.
    """
    from ml_metadata.metadata_store import metadata_store

    chosen = filters or RunFilter(pipeline, status)
    pipelines = pipeline_names(store)
    if not chosen.is_known(pipelines):
        return RunsPage([], pipelines, None)
    clauses = [f"type = '{RUN_CONTEXT}'", *chosen.clauses()]
    if before is not None:
        clauses.append(f"id < {int(before)}")
    options = metadata_store.ListOptions(limit=limit + 1, order_by=metadata_store.OrderByField.ID,
                                         is_asc=False, filter_query=" AND ".join(clauses))
    contexts = store.mlmd.get_contexts(list_options=options)
    page = contexts[:limit]
    runs = []
    for context in page:
        needed = _counts_from_executions(context)
        summary = _run_summary(context, store.executions_of_run(context.id) if needed else None)
        if chosen.keeps(summary.status, summary.verdict):
            runs.append(summary)
    next_before = page[-1].id if len(contexts) > limit else None
    return RunsPage(runs, pipelines, next_before)


def _is_running(context: Any) -> bool:
    status = context.custom_properties.get("status")
    return status is not None and status.string_value == "RUNNING"


def run_context(store: MetadataStore, name: str) -> Any:
    """The MLMD context of a run by its name.

    Raises:
        NotFound: no run has that name.
    """
    context = store.mlmd.get_context_by_type_and_name(RUN_CONTEXT, name)
    if context is None:
        raise NotFound(f"no run named {name!r} in {store.location}")
    return context


def run_detail(store: MetadataStore, name: str, infer_missing: bool = True) -> RunDetail:
    """A run with each node's latest execution and the artifact edges between them.

    With `infer_missing`, nodes the run skipped (or, while RUNNING, has not reached yet) are
    named after an earlier run of the pipeline (see `pipelines.ui.inferred`).
    """
    context = run_context(store, name)
    executions = latest_per_node(store.executions_of_run(context.id))
    events = store.events_of_executions([e.id for e in executions])
    artifacts = {int(a.id or 0): a
                 for a in store.artifacts_by_id({event.artifact_id for event in events})}
    linked = _linked_artifacts(events, artifacts)
    producers = {artifact.id: execution_id
                 for execution_id, (_, outputs, resolved) in linked.items()
                 for _, artifact in outputs + resolved}
    by_id = {execution.id: execution for execution in executions}
    nodes, edges = [], []
    for execution in executions:
        inputs, outputs, resolved = linked.get(execution.id, ([], [], []))
        nodes.append(_node_run(execution, inputs, outputs + resolved, is_resolver=bool(resolved)))
        for _, artifact in inputs:
            producer = by_id.get(producers.get(artifact.id, -1))
            if producer is not None and producer.id != execution.id:
                edges.append((producer.node_id, execution.node_id, artifact.type_name))
    summary = _run_summary(context, executions)
    if summary.status == "HALTED" and not any(node.status == "HALTED" for node in nodes):
        _mark_cached_halts(store, nodes)
    detail = RunDetail(summary, nodes, sorted(set(edges)), inferred.run_log_path(summary.properties))
    running = summary.status == "RUNNING"
    if infer_missing and (running or summary.counts.get("skipped")):
        earlier = list_runs(store, summary.pipeline, before=summary.id, limit=SKIPPED_LOOKBACK).runs
        detail.missing, missing_edges, detail.missing_as_in = inferred.missing_nodes(
            {node.node_id for node in nodes},
            [run_detail(store, run.name, infer_missing=False) for run in earlier],
            None if running else int(summary.counts["skipped"] or 0))
        detail.missing_status = "PENDING" if running else "SKIPPED"
        detail.edges = sorted(set(detail.edges) | set(missing_edges))
    return detail


def _mark_cached_halts(store: MetadataStore, nodes: list[NodeRun]) -> None:
    """Marks HALTED the cached nodes whose reused outputs came from an execution that halted.

    A rerun over the same data reuses the halting node's outputs, so the verdict is the same,
    but the CACHED execution does not carry the `halted` property its original does.
    """
    from ml_metadata.proto import metadata_store_pb2

    cached = {ref.id: node for node in nodes if node.status == "CACHED" for ref in node.outputs}
    if not cached:
        return
    originals: dict[int, list[NodeRun]] = {}
    for event in store.events_of_artifacts(list(cached)):
        node = cached[event.artifact_id]
        if event.type == metadata_store_pb2.Event.OUTPUT and event.execution_id != node.execution_id:
            originals.setdefault(event.execution_id, []).append(node)
    for execution in store.executions_by_id(originals):
        if execution.properties.get("halted"):
            for node in originals[execution.id]:
                node.status, node.error = "HALTED", f"halted: {execution.properties['halted']}"


def latest_per_node(executions: list[ExecutionRecord]) -> list[ExecutionRecord]:
    """The newest execution of each node, in the order the nodes first ran."""
    latest: dict[str, ExecutionRecord] = {}
    for execution in executions:
        latest[execution.node_id] = execution
    order = {node_id: index for index, node_id in
             enumerate(dict.fromkeys(e.node_id for e in executions))}
    return sorted(latest.values(), key=lambda e: order[e.node_id])


def _linked_artifacts(events: list[Any], artifacts: dict[int, Artifact],
                      ) -> dict[int, tuple[Ported, Ported, Ported]]:
    """Maps execution id -> (inputs, outputs, resolved) as (port, artifact) pairs."""
    from ml_metadata.proto import metadata_store_pb2

    kinds = {metadata_store_pb2.Event.INPUT: 0, metadata_store_pb2.Event.OUTPUT: 1,
             metadata_store_pb2.Event.INTERNAL_OUTPUT: 2}
    linked: dict[int, tuple[Ported, Ported, Ported]] = {}
    for event in events:
        if event.type not in kinds or event.artifact_id not in artifacts:
            continue
        ports = linked.setdefault(event.execution_id, ([], [], []))
        ports[kinds[event.type]].append((event_port(event), artifacts[event.artifact_id]))
    return linked


def event_port(event: Any) -> str:
    """The port name an event's path records ("" when it has none)."""
    return next((step.key for step in event.path.steps if step.HasField("key")), "")


def _node_run(execution: ExecutionRecord, inputs: Ported, outputs: Ported,
              is_resolver: bool) -> NodeRun:
    props = execution.properties
    outcome = node_outcome(artifact for _, artifact in outputs)
    return NodeRun(
        execution_id=execution.id, node_id=execution.node_id, component=execution.component,
        status=node_status(execution), is_resolver=is_resolver,
        started_at_ms=execution.created_at_ms,
        duration_s=max(execution.updated_at_ms - execution.created_at_ms, 0) / 1000.0,
        cache_key=props.get("cache_key"), reason=_reason(props), driver_facts=_driver_facts(props),
        error=props.get("error_message") or props.get("halted"),
        traceback=props.get("traceback"), log_path=props.get("log_path"),
        properties={k: v for k, v in sorted(props.items()) if k not in SPECIAL_PROPERTIES},
        inputs=[ArtifactRef.of(artifact, port) for port, artifact in inputs],
        outputs=[ArtifactRef.of(artifact, port) for port, artifact in outputs],
        outcome=outcome.label if outcome else None, outcome_detail=outcome.detail if outcome else "")


def _reason(properties: dict[str, Any]) -> str | None:
    """Why the node ran (the first part of its cache key that changed), or which result it reused."""
    if properties.get("cached_from"):
        return f"reused execution {properties['cached_from']}"
    return properties.get(RUN_REASON)


def _driver_facts(properties: dict[str, Any]) -> dict[str, Any]:
    try:
        return recorded_facts(properties)
    except ValueError:  # not JSON: show it as it was stored
        return {DRIVER_FACTS: properties.get(DRIVER_FACTS)}
