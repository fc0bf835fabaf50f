"""A run killed mid-node (kill -9) is recovered by the next run and by `starling runs`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.runner.recovery import recover_abandoned


def running_executions(store):
    from ml_metadata.metadata_store import metadata_store

    options = metadata_store.ListOptions(filter_query="last_known_state = RUNNING")
    return store.mlmd.get_executions(list_options=options)


def leftovers(root: Path) -> list[Path]:
    return [*root.glob("*/*/.staging-*"), *(root / ".tmp").glob("*")]


def crash_mid_node(gated_pipeline):
    """Starts a run, kills it (SIGKILL) inside the gated node; returns the dead run."""
    run = gated_pipeline.start()
    gated_pipeline.wait_until_gated(run)
    store = gated_pipeline.store()
    assert len(running_executions(store)) == 1, "the gated node should be RUNNING"
    assert leftovers(gated_pipeline.root), "the gated node should have staging/scratch dirs"
    run.kill()
    return run


@pytest.mark.e2e
def test_rerun_after_kill_recovers_and_reuses_the_prefix(gated_pipeline):
    dead = crash_mid_node(gated_pipeline)
    [crashed_run] = gated_pipeline.store().list_runs()
    assert crashed_run.properties["status"] == "RUNNING"
    gated_pipeline.open_gate()

    started = time.monotonic()
    rerun = gated_pipeline.start()
    assert rerun.finish() == 0, rerun.output()
    elapsed = time.monotonic() - started

    out = rerun.output()
    reason = f"abandoned: process {dead.pid} on {socket.gethostname()} is gone"
    assert "recovered execution" in out and reason in out, out
    assert f"recovered run(s) {crashed_run.name}: marked FAILED" in out, out
    assert "removed 2 staging/scratch directories" in out, out
    assert "prefix" in out and "CACHED" in out.split("prefix", 1)[1].splitlines()[0], out
    store = gated_pipeline.store()
    assert running_executions(store) == []
    runs = {run.name: run.properties for run in store.list_runs()}
    assert all(props["status"] != "RUNNING" for props in runs.values()), runs
    assert runs[crashed_run.name]["status"] == "FAILED"
    assert runs[crashed_run.name]["error"] == reason
    failed = [e for e in store.executions_of_run(crashed_run.id) if e.state == "FAILED"]
    assert [e.properties["error_message"] for e in failed] == [reason]
    assert leftovers(gated_pipeline.root) == []
    assert len(gated_pipeline.pushes()) == 1
    print(f"rerun with recovery: {elapsed:.2f}s")


@pytest.mark.e2e
def test_starling_runs_recovers_too(gated_pipeline):
    dead = crash_mid_node(gated_pipeline)
    where = (["--metadata", gated_pipeline.metadata_url] if gated_pipeline.metadata_url
             else ["--root", str(gated_pipeline.root)])
    listing = subprocess.run([sys.executable, "-m", "pipelines.cli.main", "runs", *where],
                             capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert f"abandoned: process {dead.pid}" in listing.stdout + listing.stderr
    assert "RUNNING" not in listing.stdout and "FAILED" in listing.stdout, listing.stdout
    assert leftovers(gated_pipeline.root) == []


def record_running(store: MetadataStore, pid: int, host: str) -> int:
    context = store.create_run_context(f"run-{pid}-{host}", {
        "pipeline_name": "p", "status": "RUNNING", "pid": pid, "host": host})
    return store.start_execution("step", {"node_id": "step", "pipeline_name": "p",
                                          "pid": pid, "host": host}, {}, [context])


def test_only_gone_processes_of_this_host_are_recovered(tmp_path):
    store = MetadataStore(sqlite_config(str(tmp_path / "metadata.sqlite")))
    here = socket.gethostname()
    alive = record_running(store, subprocess.os.getpid(), here)
    elsewhere = record_running(store, 1, "another-host")
    reused = record_running(store, 0, here)  # pid filled in below, by a later process
    time.sleep(1.3)  # the reusing process must start clearly after the execution
    newcomer = subprocess.Popen(["sleep", "30"])
    try:
        [execution] = store.mlmd.get_executions_by_id([reused])
        execution.custom_properties["pid"].int_value = newcomer.pid
        store.mlmd.put_executions([execution])
        report = recover_abandoned(store)
    finally:
        newcomer.kill()
        newcomer.wait()
    states = {e.id: e.state for e in store.executions_by_id([alive, elsewhere, reused])}
    assert states == {alive: "RUNNING", elsewhere: "RUNNING", reused: "FAILED"}
    assert report.other_hosts == {"another-host": 1}
    assert [line.split(":")[0] for line in report.executions] == [
        f"execution {reused} (node 'step', run ?)"]


def test_recovery_removes_only_the_abandoned_executions_directories(tmp_path):
    store = MetadataStore(sqlite_config(str(tmp_path / "metadata.sqlite")))
    finished = subprocess.Popen(["true"])
    finished.wait()
    context = store.create_run_context("crashed", {
        "pipeline_name": "p", "status": "RUNNING", "root": str(tmp_path),
        "pid": finished.pid, "host": socket.gethostname()})
    execution_id = store.start_execution("step", {
        "node_id": "step", "pid": finished.pid, "host": socket.gethostname()}, {}, [context])
    mine = [tmp_path / "step" / "out" / f".staging-{execution_id}", tmp_path / ".tmp" / str(execution_id)]
    others = [tmp_path / "step" / "out" / f".staging-{execution_id}7",
              tmp_path / "step" / "out" / str(execution_id), tmp_path / ".tmp" / f"{execution_id}7"]
    for path in mine + others:
        path.mkdir(parents=True)
    report = recover_abandoned(store)
    assert sorted(report.removed_dirs) == sorted(str(path) for path in mine)
    assert [path.exists() for path in mine + others] == [False, False, True, True, True]
    assert report.runs == ["crashed"]
