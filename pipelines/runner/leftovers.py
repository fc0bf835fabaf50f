"""What a running execution must undo if its process dies: the servers it started, its half-copies.

A component that starts a process outside its own (InfraValidator's sandboxed model server, in
its own session so that it can be stopped as a group) or writes outside its staging directory
(Pusher's `.pushing-*` copy in the serving directory) records it here first. The record is a
line of JSON in the execution's scratch directory, `<root>/.tmp/<execution_id>/leftovers.jsonl`,
written before the process starts or the directory fills, so that it survives a `kill -9` of
the component's process. On success the component cleans up itself and the scratch directory
is removed with the record. After a crash, recovery (`recovery.recover_abandoned`) calls
`undo`: it stops each recorded process group whose leader is still the process recorded (same
pid and start time, so a reused pid is never signalled) and removes each recorded directory.

Outside a running component (no current execution) nothing is recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time

from pipelines.errors import StarlingError
from pipelines.runner.context import current_execution

LEFTOVERS_FILE = "leftovers.jsonl"
STOP_WAIT_S = 5.0


def _record(entry: dict[str, object]) -> None:
    try:
        scratch = current_execution().temp_dir
    except StarlingError:
        return  # not inside a component: nobody will recover it
    os.makedirs(scratch, exist_ok=True)
    with open(os.path.join(scratch, LEFTOVERS_FILE), "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")
        file.flush()


def record_process_group(pid: int, what: str) -> None:
    """Records a process group this execution started (`start_new_session=True`; pgid == pid).

    Args:
        pid: The group leader's pid.
        what: What it is, for the recovery message (e.g. "sandbox model server on port 8501").
    """
    _record({"process_group": pid, "start_ticks": process_start_ticks(pid), "what": what})


def record_directory(path: str, what: str) -> None:
    """Records a directory outside the staging area that a crash would leave half-written."""
    _record({"directory": os.path.abspath(path), "what": what})


def process_start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), if known."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as file:
            return int(file.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _is_running(pid: int, start_ticks: int | None) -> bool:
    """Whether the recorded process still runs (not a zombie, not a newer process on its pid)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as file:
            state = file.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and (start_ticks is None or process_start_ticks(pid) == start_ticks)


def stop_process_group(pid: int, start_ticks: int | None) -> bool:
    """SIGTERM to the group, then SIGKILL after STOP_WAIT_S; False if the process was gone already."""
    if not _is_running(pid, start_ticks):
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + STOP_WAIT_S
        while time.monotonic() < deadline and _is_running(pid, start_ticks):
            time.sleep(0.05)
        if not _is_running(pid, start_ticks):
            return True
    return True


def _entries(path: str) -> list[dict]:
    """The records of a leftovers file; a line torn by the crash is skipped."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def undo(scratch_dir: str) -> list[str]:
    """Stops the recorded processes and removes the recorded directories of a dead execution.

    Returns:
        One line per thing undone, e.g. `stopped process 4242 (sandbox model server ...)`.
    """
    path = os.path.join(scratch_dir, LEFTOVERS_FILE)
    done: list[str] = []
    for entry in _entries(path):
        if "process_group" in entry and stop_process_group(entry["process_group"],
                                                           entry.get("start_ticks")):
            done.append(f"stopped process {entry['process_group']} ({entry['what']})")
        elif "directory" in entry and os.path.isdir(entry["directory"]):
            shutil.rmtree(entry["directory"], ignore_errors=True)
            done.append(f"removed {entry['directory']} ({entry['what']})")
    return done
