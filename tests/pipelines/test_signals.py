"""SIGTERM mid-node, through the real CLI in a child process: the node FAILED, the run CANCELLED,
no staging or scratch directory left, and the next run resumes from the cached prefix."""

import os
import signal
import subprocess
import sys
import time

from pipelines.metadata import MetadataStore, sqlite_config

PIPELINE = '''
import time
from pathlib import Path
from pipelines import Input, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model

@component
def prepare(examples: Output[Examples]):
    Path(examples.path("rows.txt")).write_text("1 2 3")

@component
def slow_train(examples: Input[Examples], model: Output[Model], seconds: Parameter[float] = 60.0):
    Path(model.path("partial.bin")).write_text("half-written")
    Path("STARTED").write_text("")
    time.sleep(seconds)

def create_pipeline(seconds: float = 60.0):
    data = prepare()
    return Pipeline("slow", "ROOT", [data, slow_train(examples=data.outputs["examples"], seconds=seconds)])
'''


def _start(tmp_path, *params):
    command = [sys.executable, "-m", "pipelines.cli.main", "run", "pipeline.py", *params]
    return subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for(path, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_sigterm_mid_node_fails_the_node_cancels_the_run_and_leaves_nothing_behind(tmp_path):
    root = tmp_path / "root"
    (tmp_path / "pipeline.py").write_text(PIPELINE.replace("ROOT", str(root)))
    child = _start(tmp_path)
    _wait_for(tmp_path / "STARTED")
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signal.SIGTERM, out + err
    assert "starling: stopped (received signal SIGTERM)" in err

    store = MetadataStore(sqlite_config(str(root / "metadata.sqlite")))
    [run] = store.list_runs("slow")
    assert run.properties["status"] == "CANCELLED"
    assert run.properties["pid"] == child.pid and run.properties["host"]
    states = {e.node_id: e.state for e in store.executions_of_run(run.id)}
    assert states == {"prepare": "COMPLETE", "slow_train": "FAILED"}
    assert not list(root.rglob(".staging-*")) and not list((root / ".tmp").glob("*"))
    assert store.query_artifacts("type = 'Model'") == []

    (tmp_path / "STARTED").unlink()
    rerun = _start(tmp_path, "--param", "seconds=0")
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, out + err
    assert "prepare" in out and "CACHED" in out.split("prepare", 1)[1].splitlines()[0]
    assert os.path.isfile(next(root.glob("slow_train/model/*/partial.bin")))
