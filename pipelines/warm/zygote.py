"""The warm worker's own process: imports the libraries once, then forks one child per request.

    python -c "import sys; from pipelines.warm.zygote import main; sys.exit(main(sys.argv[1:]))" \
        SOCKET_PATH RECORD_PATH IDLE_SECONDS CODE_DIGEST

The loop runs in one thread and starts none before forking (a fork copies only the thread that
calls it). Each child takes the caller's stdin, stdout and stderr, working directory, umask and
environment, runs the `starling` command line in them and exits with its status, which goes back
to the caller. A caller that disconnects (killed) has its child sent SIGTERM, which a run handles
as cancellation. SIGTERM to the worker stops it taking requests; it exits when its children have.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
import traceback
from types import FrameType
from typing import Any

from pipelines.environment.process_exit import exit_code, finish_like_an_interpreter
from pipelines.warm.wire import WorkerGone, receive_message, send_message

# Imported once in the worker, in this order: what a run's nodes would import first.
PRELOADED_MODULES = ("tf_keras", "apache_beam", "tensorflow_transform", "tensorflow_transform.beam",
                     "tensorflow_data_validation", "tensorflow_model_analysis", "tfx_bsl.public.tfxio",
                     "pipelines.cli.main", "pipelines.runner", "components", "serving.server")
_PEER_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
REQUEST_SECONDS = 10.0  # a caller has this long to send its request once connected


def preload() -> None:
    """Imports TensorFlow (quietly) and the libraries and Starling modules runs use."""
    from pipelines.environment import import_tensorflow_quietly

    import_tensorflow_quietly()
    for name in PRELOADED_MODULES:
        importlib.import_module(name)
    from pipelines.cli.main import build_parser

    build_parser()  # imports every command's module, as `starling` does on each start


def _caller_uid(connection: socket.socket) -> int:
    raw = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEER_CREDENTIALS.size)
    return int(_PEER_CREDENTIALS.unpack(raw)[1])


class Zygote:
    """The accept-fork-reap loop of one worker."""

    def __init__(self, socket_path: str, record_path: str, idle_seconds: float, code: str):
        self.code = code
        self.socket_path = socket_path
        self.record_path = record_path
        self.idle_seconds = idle_seconds
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.children: dict[int, socket.socket] = {}
        self.stopping = False
        # a byte arrives here on every signal (a child's SIGCHLD), so the loop reaps at once
        self.wakeup, self._wakeup_writer = socket.socketpair()

    def serve(self) -> None:
        """Listens until idle for `idle_seconds` (no child running) or stopped by SIGTERM."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, _wake_only)
        self._wakeup_writer.setblocking(False)
        signal.set_wakeup_fd(self._wakeup_writer.fileno(), warn_on_full_buffer=False)
        self.selector.register(self.wakeup, selectors.EVENT_READ)
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        self.listener.bind(self.socket_path)
        self.listener.listen(16)
        self.selector.register(self.listener, selectors.EVENT_READ)
        self._write_record()
        idle_since = time.monotonic()
        try:
            while not (self.stopping and not self.children):
                for key, _ in self.selector.select(timeout=0.5):
                    self._on_readable(key.fileobj)  # type: ignore[arg-type]
                if self.stopping:  # new callers find no socket and start another worker
                    self._close_listener()
                self._reap()
                if self.children:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > self.idle_seconds:
                    break
        finally:
            self._close_listener()

    def _stop(self, signal_number: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _write_record(self) -> None:
        record = {"pid": os.getpid(), "started": time.time(), "python": sys.executable,
                  "idle_seconds": self.idle_seconds, "socket": self.socket_path, "code": self.code}
        temporary = f"{self.record_path}.{os.getpid()}"
        with open(temporary, "w") as file:
            json.dump(record, file)
        os.replace(temporary, self.record_path)

    def _close_listener(self) -> None:
        """Stops taking requests; the socket and record go unless a newer worker replaced them."""
        if self.listener.fileno() < 0:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        try:
            with open(self.record_path) as file:
                ours = json.load(file).get("pid") == os.getpid()
        except (OSError, ValueError):
            ours = False
        if ours:
            for path in (self.socket_path, self.record_path):
                if os.path.exists(path):
                    os.unlink(path)

    def _on_readable(self, source: socket.socket) -> None:
        if source is self.wakeup:
            source.recv(4096)  # signals arrived: the loop reaps next
            return
        if source is self.listener:
            self._accept()
            return
        # a caller's connection is readable only when the caller went away: stop its child
        self.selector.unregister(source)
        for pid, connection in list(self.children.items()):
            if connection is source:
                _signal_quietly(pid, signal.SIGTERM)

    def _accept(self) -> None:
        connection, _ = self.listener.accept()
        fds: list[int] = []
        try:
            if _caller_uid(connection) != os.getuid():
                raise PermissionError("a caller of another user")
            connection.settimeout(REQUEST_SECONDS)
            request, fds = receive_message(connection, max_fds=3)
            if len(fds) != 3:
                raise ValueError("a request needs the caller's stdin, stdout and stderr")
            pid = self._fork(checked_request(request), fds, connection)
        except (OSError, ValueError, WorkerGone) as error:
            _send_quietly(connection, {"error": f"{type(error).__name__}: {error}"})
            connection.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        connection.settimeout(None)
        self.children[pid] = connection
        self.selector.register(connection, selectors.EVENT_READ)
        _send_quietly(connection, {"pid": pid})

    def _fork(self, request: dict[str, Any], fds: list[int], connection: socket.socket) -> int:
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            self._leave_the_worker(connection)
            code = run_request(request, fds, self.socket_path)
        except BaseException:  # a child must never return into the worker's loop
            traceback.print_exc()
        finally:
            os._exit(code)

    def _leave_the_worker(self, connection: socket.socket) -> None:
        """In a child: drops the worker's sockets and signal handlers."""
        signal.set_wakeup_fd(-1)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self.selector.close()
        self._wakeup_writer.close()
        connection.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = self.children.pop(pid, None)
            if connection is not None:
                if connection in {key.fileobj for key in self.selector.get_map().values()}:
                    self.selector.unregister(connection)
                _send_quietly(connection, {"exit": os.waitstatus_to_exitcode(status)})
                connection.close()


# What a request holds: field -> the type of its value.
_REQUEST_FIELDS: dict[str, type] = {"argv": list, "cwd": str, "env": dict, "umask": int, "new_session": bool,
                                    "argv0": str, "path0": str}


def checked_request(request: dict[str, Any]) -> dict[str, Any]:
    """The request, once every field is there with its type and the directory exists.

    Raises:
        ValueError: naming the first missing or mistyped field.
    """
    for field, kind in _REQUEST_FIELDS.items():
        if not isinstance(request.get(field), kind):
            raise ValueError(f"the request's '{field}' must be a {kind.__name__}")
    strings = [*request["argv"], *request["env"], *request["env"].values()]
    if not all(isinstance(item, str) for item in strings):
        raise ValueError("the request's 'argv' and 'env' must hold strings")
    if not os.path.isdir(request["cwd"]):
        raise ValueError(f"the request's 'cwd' is not a directory: {request['cwd']}")
    return request


def run_request(request: dict[str, Any], fds: list[int], socket_path: str) -> int:
    """In a child: becomes the caller's process (streams, directory, environment) and runs the command."""
    if request.get("new_session"):
        os.setsid()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["STARLING_WARM_SOCKET"] = socket_path
    from pipelines.environment import prepare_runtime

    prepare_runtime()
    sys.stdout.reconfigure(line_buffering=os.isatty(1))  # type: ignore[union-attr]
    argv = [str(argument) for argument in request["argv"]]
    sys.argv = [str(request["argv0"]), *argv]
    sys.path[0] = str(request["path0"])  # what the caller's own interpreter put first
    from pipelines.cli.main import main

    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_code(exit_)
    return finish_like_an_interpreter(code)


def _wake_only(signal_number: int, frame: FrameType | None) -> None:
    """A handler that does nothing: the signal's byte on the wakeup socket is what counts."""


def _send_quietly(connection: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the caller is gone; nobody is left to tell
        send_message(connection, message)


def _signal_quietly(pid: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal_number)


def main(arguments: list[str]) -> int:
    """Entry point: arguments SOCKET_PATH RECORD_PATH IDLE_SECONDS CODE_DIGEST."""
    socket_path, record_path, idle_seconds, code = arguments
    preload()
    gc.collect()
    gc.freeze()  # the imported objects: forks never scan them, so their pages stay shared
    Zygote(socket_path, record_path, float(idle_seconds), code).serve()
    return 0
