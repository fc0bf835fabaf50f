"""Crash recovery: what a run killed mid-node (`kill -9`, a lost machine) left behind is repaired.

A run that dies without its `finally` leaves its running execution RUNNING in MLMD, its run
RUNNING in `starling runs`, a `.staging-*` directory under the node's output and a scratch
directory `<root>/.tmp/<execution_id>`. Every execution and run records the `pid` and `host`
of its process (`launcher.process_identity`). At the start of every run, and in `starling
runs`, `recover_abandoned` looks at what is still RUNNING:

- on this host, when the process is gone (no such pid, a zombie, or a pid reused by a process
  that started after the execution did), the execution is marked FAILED with the error
  "abandoned: process N on HOST is gone", its run context FAILED too, what it recorded in
  `leftovers` is undone (sandbox model servers stopped, half-copied `.pushing-*` directories
  removed; listed in the execution's `recovered` property), and its staging and scratch
  directories are removed;
- on other hosts nothing can be judged from here: those are counted and left as they are.

`exclusive_run` combines this with the pipeline's run lock (`pipelines.metadata.run_lock`):
`LocalRunner.run` holds it for the whole run, so a second run of the same pipeline and root
waits (or, not waiting, raises `RunInProgressError`).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pipelines.dsl.pipeline import Pipeline
from pipelines.errors import MetadataError
from pipelines.metadata import codec
from pipelines.metadata.connection import sqlite_config
from pipelines.metadata.run_lock import RunHolder, RunLock
from pipelines.metadata.store import RUN_CONTEXT, ExecutionRecord, MetadataStore, now_ms
from pipelines.runner import leftovers, publish

if TYPE_CHECKING:
    from ml_metadata.proto.metadata_store_pb2 import Context

START_TIME_SLACK_S = 1.0  # clock steps and rounding between a record and its process's start


@dataclasses.dataclass
class RecoveryReport:
    """What `recover_abandoned` repaired and what it could not judge."""

    executions: list[str] = dataclasses.field(default_factory=list)  # one line per execution
    runs: list[str] = dataclasses.field(default_factory=list)  # run ids marked FAILED
    removed_dirs: list[str] = dataclasses.field(default_factory=list)
    undone: list[str] = dataclasses.field(default_factory=list)  # processes stopped, copies removed
    other_hosts: dict[str, int] = dataclasses.field(default_factory=dict)  # host -> RUNNING count

    def lines(self) -> list[str]:
        """Console lines saying what was recovered (none when nothing was)."""
        lines = [f"recovered {line}" for line in self.executions]
        if self.runs:
            lines.append(f"recovered run(s) {', '.join(self.runs)}: marked FAILED")
        lines += [f"recovered: {line}" for line in self.undone]
        if self.removed_dirs:
            lines.append(f"removed {len(self.removed_dirs)} staging/scratch director"
                         f"{'y' if len(self.removed_dirs) == 1 else 'ies'} they left")
        for host, count in sorted(self.other_hosts.items()):
            lines.append(f"{count} RUNNING execution(s) of processes on {host} left as they are "
                         "(only this host's processes can be checked)")
        return lines


def process_is_gone(pid: int, started_before_ms: int) -> bool:
    """Whether the process that recorded something at `started_before_ms` no longer runs here.

    A pid that exists but belongs to a process started later (the pid was reused) counts as
    gone, and so does a zombie.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, owned by someone else
    stat = _proc_stat(pid)
    if stat is None:
        return not os.path.exists(f"/proc/{pid}") and os.path.isdir("/proc")
    state, started_s = stat
    return state == "Z" or started_s > started_before_ms / 1000 + START_TIME_SLACK_S


def _proc_stat(pid: int) -> tuple[str, float] | None:
    """(state, start time in seconds since the epoch) of a process, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as file:
            fields = file.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="utf-8") as file:
            boot_s = time.time() - float(file.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    ticks = int(fields[19])  # field 22 of stat(5), counted after "pid (comm)"
    return fields[0], boot_s + ticks / os.sysconf("SC_CLK_TCK")


def abandoned_by(properties: dict[str, Any], created_at_ms: int, host: str) -> str | None:
    """The reason a RUNNING record of this host is abandoned, or None if its process lives.

    Records without `pid`/`host` (older Starling) or of other hosts are never judged.
    """
    pid, recorded_host = properties.get("pid"), properties.get("host")
    if not isinstance(pid, int) or recorded_host != host:
        return None
    if not process_is_gone(pid, created_at_ms):
        return None
    return f"abandoned: process {pid} on {host} is gone"


def recover_abandoned(store: MetadataStore, pipeline_name: str | None = None) -> RecoveryReport:
    """Marks FAILED what crashed processes of this host left RUNNING, and removes their dirs.

    Args:
        store: The metadata store (every pipeline in it is recovered).
        pipeline_name: Count other hosts' RUNNING executions of this pipeline only (all if None).

    Returns:
        What was recovered, and how many RUNNING executions belong to other hosts.
    """
    host = socket.gethostname()
    report = RecoveryReport()
    failed_runs: dict[int, str] = {}
    for execution in _running_executions(store):
        reason = abandoned_by(execution.properties, execution.created_at_ms, host)
        if reason is None:
            other = execution.properties.get("host")
            mine = pipeline_name in (None, execution.properties.get("pipeline_name"))
            if isinstance(other, str) and other != host and mine:
                report.other_hosts[other] = report.other_hosts.get(other, 0) + 1
            continue
        run_context = _run_context(store, execution)
        undone = _undo_leftovers(run_context, execution, report) if run_context is not None else []
        _fail_execution(store, execution, reason, undone)
        report.executions.append(f"execution {execution.id} (node '{execution.node_id}', run "
                                 f"{execution.properties.get('run_id', '?')}): {reason}")
        if run_context is not None:
            failed_runs[run_context.id] = reason
    for run in _running_runs(store):
        properties = {name: codec.get_value(value) for name, value in run.custom_properties.items()}
        reason = failed_runs.get(run.id) or abandoned_by(properties, run.create_time_since_epoch,
                                                         host)
        if reason is not None:
            store.update_context(run, {"status": "FAILED", "error": reason,
                                       "finished_at_ms": now_ms()})
            report.runs.append(run.name)
    return report


def mark_run_failed(store: MetadataStore, run_context_id: int, reason: str) -> bool:
    """Marks a run FAILED, saying why; on a full disk at least its status (an in-place update).

    Returns:
        Whether the status was recorded (False: the store cannot be written at all; recovery
        marks the run FAILED at the next command, as its process will be gone).
    """
    from ml_metadata import errors

    for properties in ({"status": "FAILED", "error": reason, "finished_at_ms": now_ms()},
                       {"status": "FAILED"}):
        try:
            [run] = store.mlmd.get_contexts_by_id([run_context_id])
            store.update_context(run, properties)
            return True
        except (MetadataError, errors.StatusError):
            continue
    return False


def _running_runs(store: MetadataStore) -> list[Context]:
    """Run contexts whose status is still RUNNING (MLMD protos)."""
    from ml_metadata.metadata_store import metadata_store

    query = (f"type = '{RUN_CONTEXT}' AND custom_properties.status.string_value = 'RUNNING'")
    return list(store.mlmd.get_contexts(
        list_options=metadata_store.ListOptions(filter_query=query)))


def _running_executions(store: MetadataStore) -> list[ExecutionRecord]:
    from ml_metadata.metadata_store import metadata_store

    options = metadata_store.ListOptions(filter_query="last_known_state = RUNNING")
    ids = [execution.id for execution in store.mlmd.get_executions(list_options=options)]
    return store.executions_by_id(ids) if ids else []


def _fail_execution(store: MetadataStore, execution: ExecutionRecord, reason: str,
                    undone: list[str]) -> None:
    """Marks the execution FAILED, recording what recovery undid for it (`recovered`)."""
    properties = {**execution.properties, "error_message": reason}
    if undone:
        properties["recovered"] = "; ".join(undone)[:4000]
    store.finish_execution(execution.id, execution.component, "FAILED", properties, {}, [])


def _run_context(store: MetadataStore, execution: ExecutionRecord) -> Context | None:
    """The execution's run context (None if it has none)."""
    run_type = store.mlmd.get_context_type(RUN_CONTEXT)
    contexts = store.mlmd.get_contexts_by_execution(execution.id)
    return next((c for c in contexts if c.type_id == run_type.id), None)


def _undo_leftovers(run_context: Context, execution: ExecutionRecord,
                    report: RecoveryReport) -> list[str]:
    """Stops what the execution started and removes its directories; returns what was undone.

    First what it recorded (`leftovers`: sandbox servers, `.pushing-*` copies), then its staging
    directories and its scratch directory (which holds that record).
    """
    root = run_context.custom_properties["root"].string_value
    if not root or not os.path.isdir(root):
        return []
    scratch = os.path.join(root, ".tmp", str(execution.id))
    undone = leftovers.undo(scratch)
    report.undone += undone
    staging = publish.staging_uri(glob.escape(root), glob.escape(execution.node_id), "*",
                                  execution.id)  # `.staging-<id>`, or `.staging-<id>-<name>`
    removed = [path for path in [*glob.glob(staging), *glob.glob(f"{staging}-*"), scratch]
               if os.path.isdir(path)]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    report.removed_dirs += removed
    return undone


def describe_holder(store: MetadataStore, pipeline_name: str, holder: RunHolder | None) -> str:
    """E.g. `run demo-20260101-120000-ab12cd (pid 4242 on build-3)`, from the lock and MLMD."""
    if holder is None:
        return "another run"
    for run in store.list_runs(pipeline_name):
        props = run.properties
        if (props.get("status") == "RUNNING" and props.get("pid") == holder.pid
                and props.get("host") == holder.host):
            return f"run {run.name} ({holder.describe()})"
    return f"another run ({holder.describe()})"


@contextmanager
def exclusive_run(pipeline: Pipeline, wait: bool = True,
                  notify: Callable[[str], None] = print) -> Iterator[RecoveryReport]:
    """Holds the pipeline's run lock, after recovering what crashed runs left behind.

    Args:
        pipeline: The pipeline about to run.
        wait: Wait for a run of the same pipeline and root that holds the lock; False raises.
        notify: Receives the one-line notices (waiting, what was recovered).

    Yields:
        The recovery report.

    Raises:
        RunInProgressError: `wait` is False and another run holds the lock.
    """
    os.makedirs(pipeline.root, exist_ok=True)
    config = pipeline.metadata or sqlite_config(pipeline.metadata_path())
    store = MetadataStore(config)
    lock = RunLock(config, pipeline.name, pipeline.root)

    def describe(holder: RunHolder | None) -> str:
        return describe_holder(store, pipeline.name, holder)

    lock.acquire(wait, on_wait=lambda holder: notify(f"waiting for {describe(holder)} to finish..."),
                 describe=describe)
    try:
        report = recover_abandoned(store, pipeline.name)
        for line in report.lines():
            notify(line)
        yield report
    finally:
        lock.release()
