"""Running `starling` commands against a private set of warm workers, and stopping them after."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARLING = os.path.join(os.path.dirname(sys.executable), "starling")


def private_workers_env(**extra: str) -> dict[str, str]:
    """This environment with a fresh XDG_RUNTIME_DIR (short: a Unix socket path allows 107 bytes)."""
    return dict(os.environ, XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="sw", dir="/tmp"), **extra)


def run_cli(command: list[str], cwd: Path, env: dict[str, str], expect: int = 0) -> str:
    """Runs a command to its end; its stdout + stderr, asserting the exit status."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == expect, f"{command}: exit {done.returncode}\n{output[-4000:]}"
    return output


def worker_pids(env: dict[str, str]) -> list[int]:
    """The pids in the worker records of that environment's XDG_RUNTIME_DIR."""
    workers_dir = Path(env["XDG_RUNTIME_DIR"]) / f"starling-warm-{os.getuid()}"
    pids = []
    for record in workers_dir.glob("*.json"):
        try:
            pids.append(int(json.loads(record.read_text())["pid"]))
        except (OSError, ValueError):
            continue  # removed meanwhile: that worker has stopped
    return pids


def stop_workers(env: dict[str, str]) -> None:
    """Stops the workers of that environment's XDG_RUNTIME_DIR, waits until they are gone and
    removes the directory."""
    pids = worker_pids(env)
    subprocess.run([STARLING, "warm", "stop"], env=env, capture_output=True, timeout=60, check=True)
    for pid in pids:
        wait_gone(pid)
    shutil.rmtree(env["XDG_RUNTIME_DIR"], ignore_errors=True)


def wait_gone(pid: int, seconds: float = 60) -> None:
    """Waits until no process has this pid (a zombie counts as gone)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    return
        except (FileNotFoundError, ProcessLookupError):  # gone between the open and the read too
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} still runs after {seconds:g} s")
