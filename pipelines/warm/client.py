"""Callers of a warm worker: `starling run --warm`, and the InfraValidator's sandbox server."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from pipelines.errors import StarlingError
from pipelines.warm.location import (
    WorkerFiles,
    code_digest,
    remove_leftovers,
    retire_stale_workers,
    worker_key,
)
from pipelines.warm.wire import WorkerGone, receive_message, send_message

DEFAULT_IDLE_SECONDS = 900.0
START_SECONDS = 300.0  # the libraries' imports on a busy machine
_ZYGOTE = "import sys; from pipelines.warm.zygote import main; sys.exit(main(sys.argv[1:]))"
_FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def idle_seconds() -> float:
    """How long a new worker waits for work before it exits: `STARLING_WARM_IDLE_SECONDS` or 900."""
    value = os.environ.get("STARLING_WARM_IDLE_SECONDS", "")
    try:
        return float(value) if value else DEFAULT_IDLE_SECONDS
    except ValueError:
        raise StarlingError(f"STARLING_WARM_IDLE_SECONDS must be a number of seconds, not {value!r}"
                            ) from None


def _connect(path: str) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None
    return connection


def _start_worker(files: WorkerFiles, code: str) -> subprocess.Popen[bytes]:
    print(f"starling: starting a warm worker: TensorFlow, Beam, TFT, TFDV and TFMA are imported once "
          f"and kept for later runs (it stops after {idle_seconds():g} s idle, or with `starling warm "
          f"stop`)", file=sys.stderr, flush=True)
    environment = {name: value for name, value in os.environ.items() if name != "STARLING_WARM_SOCKET"}
    with open(files.log, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, files.socket, files.record, str(idle_seconds()), code],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, env=environment,
            cwd=os.sep)


def connect_to_worker(files: WorkerFiles, code: str) -> socket.socket:
    """A connection to the worker with these files, started (and waited for) when none answers.

    A newly started worker retires those of older code (`retire_stale_workers`).

    Raises:
        StarlingError: the worker exited while starting, or did not answer within START_SECONDS.
    """
    connection = _connect(files.socket)
    if connection is not None:
        return connection
    with open(os.path.join(files.directory, f"{files.key}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one caller starts the worker; the others wait for it
        connection = _connect(files.socket)
        if connection is not None:
            return connection
        process = _start_worker(files, code)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StarlingError(f"the warm worker exited with code {process.returncode} while starting; "
                                    f"see {files.log}")
            if files.read_record() is not None and (connection := _connect(files.socket)) is not None:
                retire_stale_workers(code)
                remove_leftovers(files.directory, time.time())
                return connection
            time.sleep(0.1)
    raise StarlingError(f"the warm worker did not start within {START_SECONDS:g} s; see {files.log}")


def _request(argv: list[str], *, new_session: bool = False, env: dict[str, str] | None = None,
             cwd: str | None = None) -> dict[str, Any]:
    umask = os.umask(0)
    os.umask(umask)
    return {"argv": argv, "cwd": cwd or os.getcwd(), "env": dict(os.environ if env is None else env),
            "umask": umask, "new_session": new_session, "argv0": sys.argv[0], "path0": sys.path[0]}


def _started_pid(connection: socket.socket) -> int:
    reply, _ = receive_message(connection)
    if "pid" not in reply:
        raise StarlingError(f"the warm worker refused the request: {reply.get('error', reply)}")
    return int(reply["pid"])


@contextlib.contextmanager
def _signals_passed_to(pid: int) -> Iterator[None]:
    def forward(signal_number: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal_number)

    previous = {number: signal.signal(number, forward) for number in _FORWARDED_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _exit_status(code: int) -> int:
    """A shell's exit status for a child's: 128 + N when signal N ended it."""
    return 128 - code if code < 0 else code


def run_warm(argv: list[str]) -> int:
    """Runs `starling ARGV` in a fork of the warm worker on this terminal; returns its exit status.

    Raises:
        StarlingError: the worker could not be started or refused the request.
    """
    code = code_digest()
    files = WorkerFiles.for_key(worker_key(code))
    connection, pid = _started_run(files, code, argv)
    with connection, _signals_passed_to(pid):
        try:
            reply, _ = receive_message(connection)
        except WorkerGone:
            print(f"starling: the warm worker stopped during the run; see {files.log}", file=sys.stderr)
            return 1
    return _exit_status(int(reply["exit"]))


def _started_run(files: WorkerFiles, code: str, argv: list[str]) -> tuple[socket.socket, int]:
    """A connection to the worker running `argv` and the run's pid.

    A worker that was stopping or idling out as the request arrived closes it unanswered; the
    request then goes to a worker started afresh, once.
    """
    for attempt in (1, 2):
        connection = connect_to_worker(files, code)
        try:
            send_message(connection, _request(argv), fds=[0, 1, 2])
            return connection, _started_pid(connection)
        except (WorkerGone, BrokenPipeError, ConnectionResetError):
            connection.close()
            if attempt == 2:
                raise StarlingError(f"the warm worker on {files.socket} closed the request unanswered "
                                    f"twice; see {files.log}, or `starling warm stop`") from None
    raise AssertionError("unreachable")


def worker_for_spawning() -> str | None:
    """The socket of the warm worker this process runs in (set in its children), if it still listens."""
    path = os.environ.get("STARLING_WARM_SOCKET")
    return path if path and os.path.exists(path) else None


class WarmProcess:
    """`starling ARGV` run by a fork of a warm worker, with the part of Popen's interface callers use.

    The fork is in its own session (so `os.killpg(process.pid, ...)` stops it and whatever it
    started) and writes to the given descriptors; stdin is /dev/null.

    Example:
        >>> process = WarmProcess(socket_path, ["serve", "--model-base-path", base], log_fd)  # doctest: +SKIP
        >>> process.poll() is None                                                          # doctest: +SKIP
        True
    """

    def __init__(self, socket_path: str, argv: list[str], output_fd: int, env: dict[str, str] | None = None,
                 cwd: str | None = None):
        connection = _connect(socket_path)
        if connection is None:
            raise StarlingError(f"no warm worker answers on {socket_path}")
        self._connection = connection
        self.returncode: int | None = None
        with open(os.devnull, "rb") as devnull:
            send_message(connection, _request(argv, new_session=True, env=env, cwd=cwd),
                         fds=[devnull.fileno(), output_fd, output_fd])
        self.pid = _started_pid(connection)

    def poll(self) -> int | None:
        """The exit status once the process ended (negative: killed by that signal), else None."""
        return self.wait(timeout=0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """Waits for the end; `timeout=0` only looks.

        Raises:
            subprocess.TimeoutExpired: a positive timeout passed first.
        """
        if self.returncode is not None:
            return self.returncode
        readable, _, _ = select.select([self._connection], [], [], timeout)
        if not readable:
            if timeout:
                raise subprocess.TimeoutExpired(f"warm process {self.pid}", timeout)
            return None
        try:
            reply, _ = receive_message(self._connection)
            self.returncode = int(reply["exit"])
        except WorkerGone:
            self.returncode = -int(signal.SIGKILL)  # the worker itself was killed
        self._connection.close()
        return self.returncode
