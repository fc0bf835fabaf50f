"""The InfraValidator's sandbox interpreter prepared during the run (`components.infra_validator.prepared`).

Each test serves the fixture SavedModel with a real `starling serve`; the unhappy paths first:
an interpreter that died while waiting, an environment that changed, one nobody took, and one
whose run was killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from components.infra_validator.prepared import prepared_sandbox, take_prepared
from components.infra_validator.sandbox import SandboxServer
from tests.pipelines.warm_worker_fixture import wait_gone
from tests.serving.conftest import saved_model  # noqa: F401  (the shared fixture SavedModel)

pytestmark = pytest.mark.e2e
PREPARED_LINE = "sandbox model server: the interpreter prepared during the run"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Sandbox directories go under this test's tmp_path, where the test can count them."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield tmp_path
    assert take_prepared() is None  # nothing left waiting for the next test


def sandbox_directories(root: Path) -> list[Path]:
    return sorted(root.glob("starling-infra-*"))


def serve_once(model: Path) -> int:
    """Serves the model in a sandbox until it is AVAILABLE; returns the server's pid."""
    with SandboxServer(str(model / "Format-Serving")) as sandbox:
        sandbox.wait_until_loaded(max_seconds=120)
        assert sandbox._process is not None
        return sandbox._process.pid


@pytest.fixture
def model(saved_model, tmp_path):  # noqa: F811
    target = tmp_path / "model"
    (target / "Format-Serving").parent.mkdir(parents=True)
    os.symlink(saved_model, target / "Format-Serving")
    return target


def test_the_prepared_interpreter_serves_the_model_and_leaves_nothing(model, private_tmp, capfd):
    with prepared_sandbox():
        time.sleep(1)  # the interpreter imports meanwhile, as it would while other nodes run
        pid = serve_once(model)
    assert PREPARED_LINE in capfd.readouterr().err
    wait_gone(pid, seconds=30)
    assert sandbox_directories(private_tmp) == []


def test_an_interpreter_that_died_while_waiting_is_replaced_by_a_new_one(model, private_tmp, capfd):
    with prepared_sandbox():
        [waiting] = private_tmp.glob("starling-infra-*")
        prepared_pid = int(subprocess.check_output(["pgrep", "-f", str(waiting)]).split()[0])
        os.kill(prepared_pid, 9)
        wait_gone(prepared_pid, seconds=30)
        pid = serve_once(model)
    assert pid != prepared_pid
    assert PREPARED_LINE not in capfd.readouterr().err
    assert sandbox_directories(private_tmp) == []


def test_a_changed_environment_gets_a_new_interpreter(model, private_tmp, monkeypatch, capfd):
    monkeypatch.setenv("STARLING_TEST_SETTING", "before")
    with prepared_sandbox():
        monkeypatch.setenv("STARLING_TEST_SETTING", "after")  # it may have read "before"
        serve_once(model)
    assert PREPARED_LINE not in capfd.readouterr().err
    assert sandbox_directories(private_tmp) == []


def test_an_interpreter_nobody_took_is_ended_with_the_run_even_while_importing(private_tmp):
    started = time.monotonic()
    with prepared_sandbox():
        [waiting] = sandbox_directories(private_tmp)
        prepared_pid = int(subprocess.check_output(["pgrep", "-f", str(waiting)]).split()[0])
    wait_gone(prepared_pid, seconds=5)
    assert time.monotonic() - started < 2  # ended at once, not left to finish importing TensorFlow (~3 s)
    assert sandbox_directories(private_tmp) == []


def test_the_interpreter_of_a_killed_run_leaves_and_removes_its_directory(private_tmp):
    script = ("import os, sys, time; sys.path.insert(0, os.getcwd()); import tempfile; "
              f"tempfile.tempdir = {str(private_tmp)!r}; "
              "from components.infra_validator.prepared import PreparedInterpreter; "
              "prepared = PreparedInterpreter(); print(prepared.process.pid, flush=True); "
              "os.kill(os.getpid(), 9)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=60)
    prepared_pid = int(run.stdout.split()[0])
    wait_gone(prepared_pid, seconds=60)  # after its imports it reads end of input, and leaves
    deadline = time.monotonic() + 10
    while sandbox_directories(private_tmp) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_directories(private_tmp) == []
