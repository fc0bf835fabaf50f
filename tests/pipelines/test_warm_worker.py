"""`starling run --warm` through a real worker process: fresh user modules on every run, exit
statuses, Ctrl-C and a killed caller passed on to the run, idle stop, refused requests, stale
workers retired. Each test's workers live in a private XDG_RUNTIME_DIR."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.warm.location import WorkerFiles, remove_leftovers, retire_stale_workers
from pipelines.warm.wire import receive_message, send_message
from tests.pipelines.test_cache_keys import TAXI_MODULES, TAXI_PIPELINE, _write
from tests.pipelines.test_signals import PIPELINE as SLOW_PIPELINE
from tests.pipelines.test_signals import _wait_for
from tests.pipelines.warm_worker_fixture import (
    STARLING,
    private_workers_env,
    run_cli,
    stop_workers,
    wait_gone,
    worker_pids,
)


@pytest.fixture(scope="module")
def warm_env():
    """One worker for the module's tests, stopped at the end."""
    env = private_workers_env()
    yield env
    stop_workers(env)


def _warm_run(project, env, *args, expect=0):
    return run_cli([STARLING, "run", "pipeline.py", "--warm", *args], project, env, expect=expect)


def test_each_warm_run_imports_the_projects_modules_afresh(tmp_path, warm_env):
    _write(tmp_path, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    assert "(2 complete)" in _warm_run(tmp_path, warm_env)
    (tmp_path / "models/keras_model/constants.py").write_text("HIDDEN_UNITS = [32, 16, 8]\n")
    second = _warm_run(tmp_path, warm_env)
    assert "code models/keras_model/constants.py changed (run_fn)" in second, second
    models = (tmp_path / "runs/taxi/Trainer/model").glob("*/model.json")
    newest = max(models, key=lambda path: int(path.parent.name))
    assert json.loads(newest.read_text())["units"] == [32, 16, 8]


def test_a_warm_run_exits_with_the_status_and_message_a_cold_run_gives(tmp_path, warm_env):
    cold = run_cli([STARLING, "run", "missing.py"], tmp_path, warm_env, expect=2)
    warm = _warm_run(tmp_path, warm_env, "--param", "x=1", expect=2)  # pipeline.py is missing too
    assert "starling: error:" in cold and "starling: error:" in warm
    (tmp_path / "pipeline.py").write_text("raise RuntimeError('broken on purpose')\n")
    assert "broken on purpose" in _warm_run(tmp_path, warm_env, expect=2)


def _start_slow_warm_run(tmp_path, env):
    root = tmp_path / "root"
    (tmp_path / "pipeline.py").write_text(SLOW_PIPELINE.replace("ROOT", str(root)))
    caller = subprocess.Popen([STARLING, "run", "pipeline.py", "--warm"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path / "STARTED", timeout_s=120)
    return caller, MetadataStore(sqlite_config(str(root / "metadata.sqlite")))


def test_ctrl_c_at_the_caller_interrupts_the_run_in_the_worker(tmp_path, warm_env):
    caller, store = _start_slow_warm_run(tmp_path, warm_env)
    [run] = store.list_runs("slow")
    caller.send_signal(signal.SIGINT)
    out, err = caller.communicate(timeout=60)
    assert caller.returncode == 130, out + err
    assert "starling: interrupted" in err
    wait_gone(int(run.properties["pid"]))  # the fork that ran it, not the caller
    assert store.list_runs("slow")[0].properties["status"] == "CANCELLED"


def test_a_killed_caller_gets_its_run_cancelled_not_orphaned(tmp_path, warm_env):
    caller, store = _start_slow_warm_run(tmp_path, warm_env)
    [run] = store.list_runs("slow")
    caller.kill()
    caller.communicate(timeout=60)
    wait_gone(int(run.properties["pid"]))
    assert store.list_runs("slow")[0].properties["status"] == "CANCELLED"


def test_a_malformed_request_is_refused_and_the_worker_keeps_serving(tmp_path, warm_env):
    run_cli([STARLING, "warm", "start"], tmp_path, warm_env)
    [files] = _files_of(warm_env)
    for request, fds in (({"argv": ["run"]}, []), ({"no": "argv"}, [0, 1, 2])):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(files.socket)
            send_message(connection, request, fds=fds or None)
            reply, _ = receive_message(connection)
            assert "error" in reply and "pid" not in reply, reply
    _write(tmp_path, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    assert "(2 complete)" in _warm_run(tmp_path, warm_env)


def _workers_dir(env):
    return os.path.join(env["XDG_RUNTIME_DIR"], f"starling-warm-{os.getuid()}")


def _files_of(env):
    """The files of each worker that has a record in that environment's directory."""
    return [WorkerFiles(name[:-len(".json")], _workers_dir(env)) for name in os.listdir(_workers_dir(env))
            if name.endswith(".json")]


def test_an_idle_worker_stops_by_itself_and_removes_its_socket(tmp_path):
    env = private_workers_env(STARLING_WARM_IDLE_SECONDS="1")
    _write(tmp_path, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    assert "starting a warm worker" in _warm_run(tmp_path, env)
    [pid] = worker_pids(env)
    try:
        wait_gone(pid, seconds=30)
        left = os.listdir(_workers_dir(env))
        assert not _files_of(env) and not any(name.endswith(".sock") for name in left), left
        assert "no warm worker is running" in run_cli([STARLING, "warm", "status"], tmp_path, env)
    finally:
        stop_workers(env)


def test_a_worker_of_older_code_is_retired_when_a_new_one_starts(tmp_path, monkeypatch):
    env = private_workers_env()
    monkeypatch.setenv("XDG_RUNTIME_DIR", env["XDG_RUNTIME_DIR"])
    older = subprocess.Popen(["sleep", "60"])  # stands in for a worker's process: only its pid is used
    files = WorkerFiles.for_key("0" * 16)
    with open(files.record, "w") as record:
        json.dump({"pid": older.pid, "python": sys.executable, "code": "older"}, record)
    try:
        assert retire_stale_workers("newer") == [older.pid]
        assert older.wait(timeout=10) == -signal.SIGTERM
    finally:
        older.kill()
        stop_workers(env)


def test_files_of_workers_gone_for_a_day_are_removed_and_others_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    directory = WorkerFiles.for_key("a" * 16).directory
    for name in ("old.lock", "old.log", "new.lock", "other.txt"):
        (Path(directory) / name).write_text("")
    os.utime(Path(directory) / "old.lock", (0, 0))
    os.utime(Path(directory) / "old.log", (0, 0))
    assert sorted(remove_leftovers(directory, now=time.time())) == ["old.lock", "old.log"]
    assert sorted(os.listdir(directory)) == ["new.lock", "other.txt"]


def test_stopping_a_worker_mid_run_lets_the_run_finish_and_new_runs_start_another(tmp_path):
    env = private_workers_env()
    root = tmp_path / "root"
    (tmp_path / "pipeline.py").write_text(SLOW_PIPELINE.replace("ROOT", str(root)))
    try:
        caller = subprocess.Popen([STARLING, "run", "pipeline.py", "--warm", "--param", "seconds=4"],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        _wait_for(tmp_path / "STARTED", timeout_s=120)
        [files] = _files_of(env)
        run_cli([STARLING, "warm", "stop"], tmp_path, env)
        deadline = time.monotonic() + 3
        while os.path.exists(files.socket):  # closed at once, not when the next caller knocks
            assert time.monotonic() < deadline, "the stopping worker still listens"
            time.sleep(0.05)
        out, err = caller.communicate(timeout=120)
        assert caller.returncode == 0 and "COMPLETE" in out, out + err
        _write(tmp_path / "next", {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
        assert "starting a warm worker" in _warm_run(tmp_path / "next", env)
    finally:
        stop_workers(env)


def _unanswering_worker(env) -> socket.socket:
    """A socket where this shell's worker would listen, closing every connection unanswered."""
    from pipelines.warm.location import code_digest, worker_key

    files = WorkerFiles(worker_key(code_digest(), env), _workers_dir(env))
    os.makedirs(files.directory, mode=0o700, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(files.socket)
    listener.listen(8)

    def close_each() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.close()

    threading.Thread(target=close_each, daemon=True).start()
    return listener


def test_a_worker_that_closes_requests_unanswered_is_a_named_error_not_a_traceback(tmp_path):
    env = private_workers_env()
    listener = _unanswering_worker(env)
    _write(tmp_path, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    try:
        output = _warm_run(tmp_path, env, expect=2)
        assert "closed the request unanswered twice" in output and "Traceback" not in output, output
    finally:
        listener.close()
        shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)


def test_the_sandbox_is_a_new_interpreter_when_the_warm_worker_does_not_answer(tmp_path, monkeypatch):
    from components.infra_validator.sandbox import _fork_of_warm_worker

    env = private_workers_env()
    listener = _unanswering_worker(env)
    try:
        monkeypatch.setenv("STARLING_WARM_SOCKET", listener.getsockname())
        assert _fork_of_warm_worker(["serve"], 2, dict(os.environ)) is None
        monkeypatch.setenv("STARLING_WARM_SOCKET", str(tmp_path / "gone.sock"))
        assert _fork_of_warm_worker(["serve"], 2, dict(os.environ)) is None
    finally:
        listener.close()
        shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)
