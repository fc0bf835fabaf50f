"""The sandbox's interpreter, started while earlier nodes run so that its imports are done in time.

Starting `starling serve` costs about 3 s before it loads a model, nearly all of it importing
TensorFlow. The InfraValidator's `prepare` hook (see `pipelines.dsl.component`) starts that
interpreter as soon as a node the InfraValidator takes inputs from has executed: it imports the
server, then waits for its command line on stdin. The sandbox hands it one
(`PreparedInterpreter.start`); it is then exactly the process `SandboxServer` would have started
itself (a new interpreter in its own session, with this process's environment and working
directory, writing to a log in its own temporary directory). An interpreter nobody took is
told to leave when the run ends (its stdin closes), and leaves by itself if this process dies.

    python -c "from components.infra_validator.prepared import serve_when_asked; serve_when_asked()" BASE
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator

from pipelines.warm import worker_for_spawning

LOG_NAME = "server.log"
_WAIT_THEN_SERVE = ("from components.infra_validator.prepared import serve_when_asked; "
                    "serve_when_asked()")
_waiting: list[PreparedInterpreter] = []
_waiting_lock = threading.Lock()


def sandbox_environment() -> dict[str, str]:
    """The environment the sandbox's server runs in: this process's, with TensorFlow's C++ log quiet."""
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")


class PreparedInterpreter:
    """A new interpreter that imported the model server and waits for its command line.

    Attributes:
        base: Its temporary directory (the server's log, and the model copy once started).
        log_path: Where its stdout and stderr go.
        process: The interpreter.
    """

    def __init__(self) -> None:
        self.base = tempfile.mkdtemp(prefix="starling-infra-")
        self.log_path = os.path.join(self.base, LOG_NAME)
        self._environment = sandbox_environment()
        self._directory = os.getcwd()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WAIT_THEN_SERVE, self.base], stdin=subprocess.PIPE,
                stdout=log, stderr=subprocess.STDOUT, env=self._environment, start_new_session=True)

    def fits(self) -> bool:
        """Whether it still waits, started in this directory and in this environment.

        Variables set since it started are no reason to refuse it: they are the ones the
        libraries set on import (e.g. TensorFlow's `TF2_BEHAVIOR`), which its own imports set
        alike, and `start` hands it the whole environment anyway. A variable that changed or
        went away is, since it may have been read while it imported.
        """
        now = sandbox_environment()
        return (self.process.poll() is None and self._directory == os.getcwd()
                and all(now.get(name) == value for name, value in self._environment.items()))

    def start(self, arguments: list[str]) -> subprocess.Popen[bytes]:
        """Hands it `starling ARGUMENTS` and the environment a new sandbox would have; returns it.

        Raises:
            OSError: it is gone (e.g. killed); its stdin is a closed pipe.
        """
        assert self.process.stdin is not None
        request = {"argv": arguments, "env": sandbox_environment()}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.close()
        return self.process

    def discard(self) -> None:
        """Stops it (see `stop`) and removes its directory."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def stop(self) -> None:
        """Ends it at once (it has done nothing that needs an orderly end) and waits for it."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.process.poll() is None:  # not reaped yet, so its pid is still its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def prepared_sandbox() -> Iterator[None]:
    """The InfraValidator's `prepare` hook: an interpreter waiting while the run goes on.

    Nothing is started in a warm run (its sandbox is a fork of the warm worker, already
    imported). On leaving, an interpreter the sandbox did not take is discarded.
    """
    if worker_for_spawning() is not None:
        yield
        return
    interpreter = PreparedInterpreter()
    with _waiting_lock:
        _waiting.append(interpreter)
    try:
        yield
    finally:
        with _waiting_lock:
            untaken = interpreter in _waiting
            if untaken:
                _waiting.remove(interpreter)
        if untaken:
            interpreter.discard()


def take_prepared() -> PreparedInterpreter | None:
    """A waiting interpreter that fits this process's environment, now the caller's, or None.

    Interpreters that no longer fit (exited, or the environment changed) are discarded.
    """
    with _waiting_lock:
        taken, unfit = None, []
        for interpreter in list(_waiting):
            _waiting.remove(interpreter)
            if interpreter.fits():
                taken = interpreter
                break
            unfit.append(interpreter)
    for interpreter in unfit:
        interpreter.discard()
    return taken


def serve_when_asked() -> None:
    """In the prepared interpreter: imports the server, then runs the request read from stdin.

    The request is one JSON line: the command line ("argv") and the environment ("env") to run
    it in.

    End of input before a command line (the run ended, or its process died) removes the
    directory given as the first argument and exits 0.
    """
    import serving.server  # noqa: F401 - the import this interpreter is prepared for
    from pipelines.cli.main import command
    from pipelines.environment.process_exit import exit_now

    line = sys.stdin.readline()
    if not line.strip():
        shutil.rmtree(sys.argv[1], ignore_errors=True)
        exit_now(0)
    request = json.loads(line)
    sys.stdin.close()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.environ.clear()
    os.environ.update({str(name): str(value) for name, value in request["env"].items()})
    sys.argv = ["starling", *(str(argument) for argument in request["argv"])]
    command()
