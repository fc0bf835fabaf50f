"""The models being served: versions found under a base path, loaded in the background, hot-swapped."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
from collections.abc import Callable

from serving.errors import NotFound
from serving.loaded_model import IncompleteVersion, LoadedModel, load_version

log = logging.getLogger("starling.serving")
_VERSION = re.compile(r"^\d+$")


@dataclasses.dataclass
class VersionState:
    """What became of one version directory: AVAILABLE, or FAILED with the reason."""

    version: int
    state: str
    reason: str = ""
    signature: tuple[float, int] = (0.0, 0)  # (mtime, file count) when last tried


class ServedModel:
    """One model name: its loaded versions (newest serves by default) and failed ones."""

    def __init__(self, name: str, base_dir: str, keep_versions: int):
        self.name = name
        self.base_dir = base_dir
        self.keep_versions = keep_versions
        self.loaded: dict[int, LoadedModel] = {}
        self.states: dict[int, VersionState] = {}
        self._lock = threading.Lock()

    def get(self, version: int | None = None) -> LoadedModel:
        """The newest loaded version, or a given one.

        Raises:
            NotFound: no version is loaded, or that version is not.
        """
        with self._lock:
            if version is None:
                if not self.loaded:
                    raise NotFound(f"model '{self.name}' has no loaded version yet")
                return self.loaded[max(self.loaded)]
            if version not in self.loaded:
                available = ", ".join(map(str, sorted(self.loaded))) or "none"
                raise NotFound(f"model '{self.name}' has no version {version} (available: {available})")
            return self.loaded[version]

    def install(self, model: LoadedModel) -> None:
        """Makes a loaded version available; versions beyond `keep_versions` are unloaded."""
        with self._lock:
            self.loaded[model.version] = model
            self.states[model.version] = VersionState(model.version, "AVAILABLE",
                                                      signature=_dir_signature(model.path))
            for old in sorted(self.loaded)[:-self.keep_versions]:
                del self.loaded[old]  # in-flight requests keep their reference until they finish
                self.states[old] = VersionState(old, "END", "unloaded: newer versions serve")

    def status(self) -> list[VersionState]:
        """Every known version's state, newest first."""
        with self._lock:
            return sorted(self.states.values(), key=lambda s: s.version, reverse=True)


def _dir_signature(path: str) -> tuple[float, int]:
    count, newest = 0, 0.0
    for root, _, files in os.walk(path):
        for name in files:
            count += 1
            newest = max(newest, os.path.getmtime(os.path.join(root, name)))
    return newest, count


class ModelRepository:
    """Watches `<base>/<name>/<version>/` and keeps each model's newest versions loaded.

    New versions are loaded (and warmed up) on the watcher thread and swapped in only when
    ready; a version that cannot load is recorded as FAILED with its reason and retried only when
    its files change, while the previous version keeps serving.
    """

    def __init__(self, base_path: str, model_names: list[str] | None = None, keep_versions: int = 2,
                 poll_seconds: float = 2.0, warmup: Callable[[LoadedModel], None] | None = None):
        self.base_path = base_path
        self.fixed_names = list(model_names or [])
        self.keep_versions = keep_versions
        self.poll_seconds = poll_seconds
        self.warmup = warmup
        self.models: dict[str, ServedModel] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def model(self, name: str) -> ServedModel:
        """A served model by name.

        Raises:
            NotFound: no such model.
        """
        if name not in self.models:
            known = ", ".join(sorted(self.models)) or "none"
            raise NotFound(f"unknown model '{name}' (serving: {known})")
        return self.models[name]

    def scan(self) -> None:
        """Looks for new or changed versions once, loading what is new."""
        for name in self._model_names():
            served = self.models.setdefault(
                name, ServedModel(name, os.path.join(self.base_path, name), self.keep_versions))
            for version in self._versions(served.base_dir)[-self.keep_versions:]:
                self._consider(served, version)

    def _model_names(self) -> list[str]:
        if self.fixed_names:
            return self.fixed_names
        if not os.path.isdir(self.base_path):
            return []
        return sorted(n for n in os.listdir(self.base_path)
                      if os.path.isdir(os.path.join(self.base_path, n)) and not n.startswith("."))

    @staticmethod
    def _versions(base_dir: str) -> list[int]:
        if not os.path.isdir(base_dir):
            return []
        return sorted(int(n) for n in os.listdir(base_dir) if _VERSION.match(n))

    def _consider(self, served: ServedModel, version: int) -> None:
        newest_loaded = max(served.loaded, default=0)
        if version < newest_loaded - served.keep_versions + 1 or version in served.loaded:
            return
        path = os.path.join(served.base_dir, str(version))
        signature = _dir_signature(path)
        known = served.states.get(version)
        if known is not None and known.signature == signature:
            return  # same files as the failed attempt: wait for them to change
        try:
            model = load_version(served.name, version, path)
            if self.warmup is not None:
                self.warmup(model)
        except IncompleteVersion as reason:
            served.states[version] = VersionState(version, "LOADING", str(reason), signature)
            log.warning("model %s version %s not loaded yet: %s", served.name, version, reason)
            return
        except Exception as error:  # a corrupt SavedModel: keep serving the old version
            served.states[version] = VersionState(version, "FAILED", f"{type(error).__name__}: "
                                                  f"{str(error).splitlines()[0][:300]}", signature)
            log.error("model %s version %s failed to load: %s", served.name, version, error)
            return
        served.install(model)
        log.info("model %s version %s is now serving", served.name, version)

    def start(self) -> None:
        """Scans once now, then keeps scanning every `poll_seconds` on a daemon thread."""
        self.scan()
        self._thread = threading.Thread(target=self._watch, name="model-watcher", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.scan()
            except Exception:  # never let the watcher die
                log.exception("scanning %s failed", self.base_path)

    def stop(self) -> None:
        """Stops watching."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
