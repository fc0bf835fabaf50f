"""A run's record from start to end, shared by every runner (LocalRunner, the Kubeflow steps).

- `check_local_root`: a watched run's root is on this machine (an s3:// root is refused at once).
- `start_run`: the pipeline and run contexts, the run RUNNING with its start time, root and size
  (a Kubeflow run is started by whichever step comes first; later steps join it as it is).
- `check_required_inputs`: a required input that resolved to no artifact stops the node.
- `finish_run`: the final status (COMPLETE, FAILED, or CANCELLED) with counts by status and
  outcome (`n_complete`, ..., `n_halted`, `n_pushed`), which `starling runs` and the UI show; a
  run whose every failure is a halt shows HALTED.
- `results_from_store`: a Kubeflow run's node results rebuilt from what its steps recorded (each
  step is its own process), for its exit handler and for a failing step.
- `scratch_store`: a private SQLite store for a step given no metadata store, removed after it.

Example:
    >>> contexts = start_run(store, pipeline, "demo-1", orchestrator="local")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pipelines.storage as storage
from pipelines.artifacts import Artifact
from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import StarlingError
from pipelines.metadata.connection import sqlite_config
from pipelines.metadata.store import MetadataStore, now_ms
from pipelines.runner.launcher import HALTED
from pipelines.runner.results import COMPLETE, FAILED, SKIPPED, NodeResult, RunResult

if TYPE_CHECKING:
    from ml_metadata.proto.metadata_store_pb2 import Context

RUNNING = "RUNNING"


def start_run(store: MetadataStore, pipeline: Pipeline, run_id: str, *, orchestrator: str,
              root: str, identity: dict[str, Any] | None = None) -> list[Context]:
    """The pipeline and run contexts of a run; a new run is recorded RUNNING.

    Args:
        store: The metadata store.
        pipeline: The pipeline being run.
        run_id: The run's id (its context name); a run already recorded is joined as it is.
        orchestrator: `local` or `kubeflow`.
        root: The pipeline root as recorded (an absolute path or a URL).
        identity: `pid` and `host` of the one process running the whole run (crash recovery
            judges the run by them); None when no single process owns it (Kubeflow).
    """
    pipeline_context = store.pipeline_context(pipeline.name)
    run_context = store.create_run_context(run_id, {
        "pipeline_name": pipeline.name, "status": RUNNING, "started_at_ms": now_ms(),
        "root": root, "n_nodes": len(pipeline.nodes), "orchestrator": orchestrator,
        **(identity or {})})
    return [pipeline_context, run_context]


def check_local_root(pipeline: Pipeline) -> None:
    """Raises StarlingError for an object-store root where a local one is needed (`--watch`)."""
    if storage.is_url(pipeline.root):
        raise StarlingError(
            f"root {pipeline.root}: --watch keeps its root on this machine (a local directory or "
            "a mounted volume); a single run may use an s3:// or gs:// root (it runs on a local "
            "mirror written back at its end), and so may a Kubeflow run")


def check_required_inputs(node: Node, inputs: dict[str, Artifact | None], why: str) -> None:
    """Raises StarlingError when a required input of the node has no artifact.

    `why` says where the input came from, e.g. "its resolver found no artifact".
    """
    for port, artifact in inputs.items():
        if artifact is None and not node.component.signature.inputs[port].optional:
            raise StarlingError(f"node '{node.id}' input '{port}' is empty: {why}")


def run_status(results: dict[str, NodeResult]) -> str:
    """FAILED when a node failed, else COMPLETE."""
    return FAILED if any(result.status == FAILED for result in results.values()) else COMPLETE


def finish_run(store: MetadataStore, run_context: Context, result: RunResult) -> None:
    """Records a run's final status, end time, duration and counts on its context.

    Raises:
        MetadataError: the record cannot be written (the caller decides what that means).
    """
    store.update_context(run_context, {
        "status": result.status, "finished_at_ms": now_ms(), "duration_s": result.duration_s,
        **{f"n_{name}": count for name, count in result.summary().items()}})


def results_from_store(store: MetadataStore, nodes: dict[str, str],
                       run_context: Context) -> dict[str, NodeResult]:
    """Each node's result as its step recorded it in the run (SKIPPED when it recorded nothing).

    `nodes` maps node ids to component names, in run order. A node's newest execution in the
    run counts; a halt reads as FAILED with a `halted:` error, as the launcher words it, so
    halts and outcomes count exactly as in a local run.
    """
    newest = {execution.node_id: execution for execution in store.executions_of_run(run_context.id)}
    results = {}
    for node_id, component in nodes.items():
        execution = newest.get(node_id)
        if execution is None:
            results[node_id] = NodeResult(node_id, component, SKIPPED, error="no step recorded this node")
            continue
        status, error = execution.state, execution.properties.get("error_message")
        if execution.properties.get(HALTED):
            status, error = FAILED, f"halted: {execution.properties[HALTED]}"
        outputs: dict[str, Artifact | None] = dict(store.execution_artifacts(execution.id, "OUTPUT"))
        results[node_id] = NodeResult(node_id, component, status, outputs, execution.id, error=error)
    return results


def stored_run_result(store: MetadataStore, pipeline_name: str, nodes: dict[str, str],
                      run_context: Context, *, ended: bool) -> RunResult:
    """The run as its steps recorded it. `ended`: every step that will run has run (exit handler).

    An ended run with nodes that recorded nothing and no failure is FAILED too: a step ended
    without reaching the store (its pod was lost, the project could not be unpacked).
    """
    results = results_from_store(store, nodes, run_context)
    status = run_status(results)
    if ended and status == COMPLETE and any(r.status == SKIPPED for r in results.values()):
        status = FAILED
    started_ms = int(store.run(run_context.name).properties.get("started_at_ms") or now_ms())
    return RunResult(run_context.name, pipeline_name, status, results,
                     max(0.0, time.time() - started_ms / 1000), store.location)


@contextmanager
def scratch_store() -> Iterator[MetadataStore]:
    """A private SQLite store in the temp directory, deleted when the block ends."""
    handle, path = tempfile.mkstemp(prefix="starling-scratch-", suffix=".sqlite")
    os.close(handle)
    try:
        yield MetadataStore(sqlite_config(path))
    finally:
        for leftover in (path, path + "-journal", path + "-wal", path + "-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
