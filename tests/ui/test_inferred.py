"""The run's log file, found the way `starling run` names it."""

from __future__ import annotations

import datetime

from pipelines.runner.run_log import new_log_path
from pipelines.ui.inferred import run_log_path


def test_the_log_of_the_run_process_started_just_before_the_run(tmp_path):
    path = new_log_path(str(tmp_path))
    (tmp_path / "logs").mkdir()
    open(path, "w").close()
    pid = int(path.rsplit("-", 1)[1].split(".")[0])
    stamp = datetime.datetime.strptime(path.split("run-")[1][:15], "%Y%m%d-%H%M%S").timestamp()
    started_ms = int((stamp + 3) * 1000)
    (tmp_path / "logs" / f"run-20000101-000000-{pid}.log").touch()      # an old run, same pid
    (tmp_path / "logs" / f"run-{path.split('run-')[1][:15]}-{pid + 1}.log").touch()  # another pid
    properties = {"root": str(tmp_path), "pid": pid, "started_at_ms": started_ms}
    assert run_log_path(properties) == path
    assert run_log_path({**properties, "pid": pid + 7}) is None
    assert run_log_path({**properties, "started_at_ms": int((stamp - 5) * 1000)}) is None
    assert run_log_path({"root": str(tmp_path / "gone"), "pid": pid, "started_at_ms": started_ms}) is None
