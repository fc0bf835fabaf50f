"""One run per pipeline and root at a time: a lock kept by (or beside) the metadata store.

Two runs of the same pipeline on the same root would both train and both push the same span,
so `LocalRunner.run` holds a `RunLock` for the whole run. Runs of other pipelines sharing the
store use other locks and never wait. How the lock is kept depends on the store:

- SQLite (`<root>/metadata.sqlite`, one machine): an exclusive `flock(2)` on a small file
  beside the database, `.starling-run-<key>.lock`, which also holds who owns it (JSON). The
  kernel drops the lock when its process dies, however it dies (`kill -9` included).
- MySQL / MariaDB (shared by machines): a named server lock, `GET_LOCK('starling-run-<key>')`,
  held on a pymysql session of its own, plus a row in the table `starling_run_lock` naming
  the holder. The server drops the lock when the session ends, so a crashed holder frees it
  as soon as its connection closes (a machine that vanishes without closing its sockets
  holds it until the server's TCP keep-alive notices). The session's `wait_timeout` is set
  to its maximum, so a long run does not lose the lock by idling.
- Other stores (an MLMD gRPC service): a lock file in the pipeline root, as for SQLite.

The lock is re-entrant within one thread (so a `--watch` loop may hold it while it calls
`LocalRunner.run`); another thread of the same process waits like another process would.

Example:
    >>> from pipelines.metadata import sqlite_config
    >>> lock = RunLock(sqlite_config("/tmp/doc-lock/metadata.sqlite"), "demo", "/tmp/doc-lock")
    >>> with lock:
    ...     lock.held
    True
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pipelines.errors import StarlingError
from pipelines.metadata.mysql_schema import open_session

if TYPE_CHECKING:
    from ml_metadata.proto.metadata_store_pb2 import MySQLDatabaseConfig
    from pymysql.connections import Connection
    from pymysql.cursors import Cursor

    from pipelines.metadata.connection import StoreConfig

HOLDER_TABLE = "starling_run_lock"
POLL_S = 0.05  # how often a waiting SQLite run retries the lock; MySQL waits on the server
SESSION_TIMEOUT_S = 31_536_000  # MySQL's maximum wait_timeout: the lock's session never idles out


class RunInProgressError(StarlingError):
    """Another run of the same pipeline on the same root holds the run lock (and we would not wait)."""


@dataclasses.dataclass
class RunHolder:
    """Who holds a run lock: the process, its host, and since when (seconds since the epoch)."""

    pipeline_name: str
    root: str
    pid: int
    host: str
    since: float

    def describe(self) -> str:
        """E.g. `pid 4242 on build-3`."""
        return f"pid {self.pid} on {self.host}"


class _LockBackend(Protocol):
    def try_acquire(self, timeout_s: float) -> bool: ...
    def write_holder(self, holder: RunHolder) -> None: ...
    def read_holder(self) -> RunHolder | None: ...
    def release(self) -> None: ...
    def close(self) -> None: ...


def lock_key(pipeline_name: str, root: str) -> str:
    """The short name of the lock of one pipeline on one root (absolute path)."""
    digest = hashlib.sha1(f"{pipeline_name}\0{os.path.abspath(root)}".encode()).hexdigest()
    return digest[:20]


class RunLock:
    """The lock that lets one run of a pipeline on a root go at a time.

    Args:
        config: The pipeline's MLMD connection config (SQLite, MySQL, or gRPC client config).
        pipeline_name: The pipeline's name.
        root: The pipeline root.
    """

    def __init__(self, config: StoreConfig, pipeline_name: str, root: str):
        self.pipeline_name = pipeline_name
        self.root = os.path.abspath(root)
        self.key = lock_key(pipeline_name, root)
        self._backend = _backend_for(config, self.key, self.root)
        self._reentered = False
        self.held = False

    def acquire(self, wait: bool = True, on_wait: Callable[[RunHolder | None], None] | None = None,
                describe: Callable[[RunHolder | None], str] | None = None) -> None:
        """Takes the lock, waiting for its holder to finish unless `wait` is False.

        Args:
            wait: Wait while another run holds it; False raises instead.
            on_wait: Called once, with the holder, when this call has to wait.
            describe: Says who holds the lock, for the error (default: its pid and host).

        Raises:
            RunInProgressError: `wait` is False and another run holds the lock.
        """
        if self._enter_again():
            return
        try:
            self._take(wait, on_wait, describe)
        except BaseException:  # refused or interrupted: drop the session/file, or it might get it
            self._backend.close()
            raise
        self._backend.write_holder(RunHolder(self.pipeline_name, self.root, os.getpid(),
                                             socket.gethostname(), time.time()))
        self.held = True
        with _HELD_GUARD:
            _HELD[self.key] = [threading.get_ident(), 1]

    def _take(self, wait: bool, on_wait: Callable[[RunHolder | None], None] | None,
              describe: Callable[[RunHolder | None], str] | None) -> None:
        if self._backend.try_acquire(0):
            return
        holder = self._backend.read_holder()
        if not wait:
            who = describe(holder) if describe else _describe(holder)
            raise RunInProgressError(
                f"pipeline '{self.pipeline_name}' is already running on {self.root}: {who}; "
                "run again without --no-wait to wait for it")
        if on_wait is not None:
            on_wait(holder)
        while not self._backend.try_acquire(1.0):
            pass

    def release(self) -> None:
        """Lets the next run go (a no-op when not held)."""
        if not self.held:
            return
        self.held = False
        with _HELD_GUARD:
            entry = _HELD[self.key]
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _HELD[self.key]
        if not self._reentered:
            self._backend.release()

    def _enter_again(self) -> bool:
        with _HELD_GUARD:
            entry = _HELD.get(self.key)
            if entry is None or entry[0] != threading.get_ident():
                return False
            entry[1] += 1
        self._reentered = self.held = True
        return True

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


_HELD_GUARD = threading.Lock()
_HELD: dict[str, list[int]] = {}  # lock key -> [owning thread, depth], for this process


def _describe(holder: RunHolder | None) -> str:
    return f"another run ({holder.describe()})" if holder else "another run"


def _backend_for(config: StoreConfig, key: str, root: str) -> _LockBackend:
    if hasattr(config, "sqlite") and config.HasField("mysql"):
        return _MySqlLock(config.mysql, key)
    if hasattr(config, "sqlite") and config.HasField("sqlite"):
        directory = os.path.dirname(os.path.abspath(config.sqlite.filename_uri))
    else:
        directory = root
    return _FileLock(os.path.join(directory, f".starling-run-{key}.lock"))


def _holder_from(fields: dict[str, Any]) -> RunHolder | None:
    try:
        return RunHolder(str(fields["pipeline_name"]), str(fields["root"]), int(fields["pid"]),
                         str(fields["host"]), float(fields["since"]))
    except (KeyError, TypeError, ValueError):
        return None


class _FileLock:
    """flock(2) on a file; the file's content names the holder."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None

    def try_acquire(self, timeout_s: float) -> bool:
        if self._fd is None:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_S)

    def write_holder(self, holder: RunHolder) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(dataclasses.asdict(holder)).encode(), 0)

    def read_holder(self) -> RunHolder | None:
        try:
            with open(self.path, encoding="utf-8") as file:
                return _holder_from(json.loads(file.read() or "{}"))
        except (OSError, json.JSONDecodeError):
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _MySqlLock:
    """A MySQL/MariaDB named lock on a session of its own; a table row names the holder."""

    def __init__(self, mysql: MySQLDatabaseConfig, key: str):
        self.mysql = mysql
        self.name = f"starling-run-{key}"
        self.key = key
        self._connection: Connection | None = None

    def _cursor(self) -> Cursor:
        if self._connection is None:
            self._connection = open_session(self.mysql)
            with self._connection.cursor() as cursor:  # a long run must not lose its lock to
                cursor.execute("SET SESSION wait_timeout = %s", (SESSION_TIMEOUT_S,))  # idling
        return self._connection.cursor()

    def try_acquire(self, timeout_s: float) -> bool:
        with self._cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", (self.name, timeout_s))
            (got,) = cursor.fetchone()
        return got == 1

    def write_holder(self, holder: RunHolder) -> None:
        with self._cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {HOLDER_TABLE} (lock_key VARCHAR(64) PRIMARY KEY, "
                "holder TEXT NOT NULL)")
            cursor.execute(f"REPLACE INTO {HOLDER_TABLE} (lock_key, holder) VALUES (%s, %s)",
                           (self.key, json.dumps(dataclasses.asdict(holder))))

    def read_holder(self) -> RunHolder | None:
        import pymysql

        with self._cursor() as cursor:
            try:
                cursor.execute(f"SELECT holder FROM {HOLDER_TABLE} WHERE lock_key = %s",
                               (self.key,))
            except pymysql.err.ProgrammingError:  # no table yet: the holder has not written it
                return None
            row = cursor.fetchone()
        return _holder_from(json.loads(row[0])) if row else None

    def release(self) -> None:
        if self._connection is None:
            return
        with self._cursor() as cursor:
            cursor.execute(f"DELETE FROM {HOLDER_TABLE} WHERE lock_key = %s", (self.key,))
            cursor.execute("SELECT RELEASE_LOCK(%s)", (self.name,))
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # an interrupted session may be broken already
                self._connection.close()
            self._connection = None
