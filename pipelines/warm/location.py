"""Which warm worker serves this process, and where its socket, record and log live."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import sys
import tempfile

from pipelines.dsl.locations import library_dirs, starling_package_dirs

# Environment variables read when libraries are imported (not only when they run): a worker
# imported under other values would behave differently, so they pick the worker.
IMPORT_TIME_ENV_PREFIXES = ("TF_", "TENSORFLOW", "KERAS", "CUDA", "XLA_", "OMP_", "MKL_", "OPENBLAS",
                            "PYTHON", "LD_", "GRPC_", "ARROW_", "BEAM", "STARLING_")
# Variables that only configure the worker itself.
WORKER_ONLY_ENV = ("STARLING_WARM_IDLE_SECONDS", "STARLING_WARM_SOCKET")


def _source_stamp(directory: str) -> list[tuple[str, int, int]]:
    stamp = []
    for folder, subfolders, files in os.walk(directory):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                stamp.append((os.path.relpath(os.path.join(folder, name), directory), info.st_mtime_ns,
                              info.st_size))
    return stamp


def code_digest() -> str:
    """A digest of the code a worker imports.

    It covers the interpreter, Starling's sources (names, sizes, modification times) and the
    installed packages (their directories' modification times change on every install).
    """
    material = {
        "python": [os.path.realpath(sys.executable), sys.version],
        "starling": [_source_stamp(directory) for directory in starling_package_dirs()],
        "libraries": [[path, os.stat(path).st_mtime_ns] for path in library_dirs() if os.path.isdir(path)],
    }
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()[:16]


def worker_key(code: str, environ: dict[str, str] | None = None) -> str:
    """The worker this process may use: its code (`code_digest()`) and import-time environment."""
    environ = dict(os.environ if environ is None else environ)
    imported_under = sorted((name, value) for name, value in environ.items()
                            if name.startswith(IMPORT_TIME_ENV_PREFIXES) and name not in WORKER_ONLY_ENV)
    return hashlib.sha256(json.dumps([code, imported_under]).encode()).hexdigest()[:16]


def workers_dir() -> str:
    """A directory only this user can enter: `$XDG_RUNTIME_DIR/starling-warm` or the temp dir's."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()
    directory = os.path.join(base, f"starling-warm-{os.getuid()}")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    info = os.stat(directory)
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{directory} must belong to you and be private (mode 0700)")
    return directory


@dataclasses.dataclass(frozen=True)
class WorkerFiles:
    """A worker's socket, its record (pid, start time, what it serves) and its own log."""

    key: str
    directory: str

    @classmethod
    def for_key(cls, key: str) -> WorkerFiles:
        """The files of the worker with this key."""
        return cls(key, workers_dir())

    @property
    def socket(self) -> str:
        """The Unix socket the worker listens on."""
        return os.path.join(self.directory, f"{self.key}.sock")

    @property
    def record(self) -> str:
        """JSON written once the worker is ready: pid, started, python, code, idle_seconds."""
        return os.path.join(self.directory, f"{self.key}.json")

    @property
    def log(self) -> str:
        """What the worker itself (not its runs) printed."""
        return os.path.join(self.directory, f"{self.key}.log")

    def read_record(self) -> dict | None:
        """The worker's record, or None when there is none or its process is gone."""
        try:
            with open(self.record) as file:
                record = json.load(file)
            os.kill(int(record["pid"]), 0)
        except (OSError, ValueError, KeyError):
            return None
        return dict(record)


def running_workers() -> list[WorkerFiles]:
    """Every worker of this user whose process is alive."""
    directory = workers_dir()
    keys = sorted(name[:-len(".json")] for name in os.listdir(directory) if name.endswith(".json"))
    return [files for files in map(lambda key: WorkerFiles(key, directory), keys) if files.read_record()]


def retire_stale_workers(code: str) -> list[int]:
    """Asks this interpreter's workers of other code to stop once their runs end; returns their pids.

    Their code is older (sources or packages changed since they started): nobody will ask for them.
    """
    retired = []
    for files in running_workers():
        record = files.read_record() or {}
        if record.get("python") == sys.executable and record.get("code") != code:
            try:
                os.kill(int(record["pid"]), signal.SIGTERM)
            except ProcessLookupError:
                continue
            retired.append(int(record["pid"]))
    return retired


LEFTOVER_SECONDS = 86400.0


def remove_leftovers(directory: str, now: float) -> list[str]:
    """Removes the lock and log files of workers that are gone, untouched for a day; their names."""
    alive = {files.key for files in running_workers()}
    removed = []
    for name in os.listdir(directory):
        key, _, suffix = name.partition(".")
        path = os.path.join(directory, name)
        if suffix in ("lock", "log") and key not in alive and now - os.path.getmtime(path) > LEFTOVER_SECONDS:
            os.remove(path)
            removed.append(name)
    return removed
