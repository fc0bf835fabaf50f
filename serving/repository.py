"""The models being served: versions found on disk, chosen by policy, loaded in the background."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
from collections.abc import Callable

from pipelines import storage
from serving.errors import NotFound
from serving.loaded_model import IncompleteVersion, LoadedModel, load_version
from serving.model_config import ModelConfig, VersionPolicy
from serving.object_store import ObjectStoreMirror

log = logging.getLogger("starling.serving")
_VERSION = re.compile(r"^\d+$")


@dataclasses.dataclass
class VersionState:
    """What became of one version directory: LOADING, AVAILABLE, FAILED or END, with the reason."""

    version: int
    state: str
    reason: str = ""
    signature: tuple[float, int] = (0.0, 0)  # (mtime, file count) when last tried


class ServedModel:
    """One model name: its loaded versions (newest serves by default), labels and states.

    Every read and write of the loaded versions and their states holds one lock, so a status
    request never sees a half-applied swap.
    """

    def __init__(self, config: ModelConfig):
        self.name = config.name
        self.base_dir = config.base_path
        self.policy = config.policy
        self.labels = dict(config.labels)
        self._loaded: dict[int, LoadedModel] = {}
        self._states: dict[int, VersionState] = {}
        self._lock = threading.Lock()

    @property
    def loaded(self) -> list[int]:
        """The versions serving now, ascending."""
        with self._lock:
            return sorted(self._loaded)

    def get(self, version: int | None = None, label: str | None = None) -> LoadedModel:
        """The newest loaded version, a given one, or the one a label points at.

        Raises:
            NotFound: no version is loaded, or that version or label is not.
        """
        with self._lock:
            if label:
                if label not in self.labels:
                    known = ", ".join(sorted(self.labels)) or "none"
                    raise NotFound(f"model '{self.name}' has no version label '{label}' (labels: {known})")
                version = self.labels[label]
            if version is None:
                if not self._loaded:
                    raise NotFound(f"model '{self.name}' has no loaded version yet")
                return self._loaded[max(self._loaded)]
            if version not in self._loaded:
                available = ", ".join(map(str, sorted(self._loaded))) or "none"
                raise NotFound(f"model '{self.name}' has no version {version} (available: {available})")
            return self._loaded[version]

    def install(self, model: LoadedModel) -> None:
        """Makes a loaded version available."""
        with self._lock:
            self._loaded[model.version] = model
            self._states[model.version] = VersionState(model.version, "AVAILABLE",
                                                       signature=_dir_signature(model.path))

    def set_state(self, state: VersionState) -> None:
        """Records a version's state (LOADING or FAILED)."""
        with self._lock:
            self._states[state.version] = state

    def known_broken(self, version: int, signature: tuple[float, int]) -> bool:
        """True when the version failed or was incomplete with these very files."""
        with self._lock:
            known = self._states.get(version)
            return known is not None and known.state in ("FAILED", "LOADING") and known.signature == signature

    def retire(self, keep: list[int]) -> list[int]:
        """Unloads loaded versions not in `keep` (in-flight requests finish on their reference)."""
        with self._lock:
            gone = [v for v in self._loaded if v not in keep]
            for version in gone:
                del self._loaded[version]
                self._states[version] = VersionState(version, "END", "unloaded by the version policy")
            return gone

    def status(self) -> list[VersionState]:
        """Every known version's state, newest first."""
        with self._lock:
            return sorted(self._states.values(), key=lambda s: s.version, reverse=True)


def _dir_signature(path: str) -> tuple[float, int]:
    count, newest = 0, 0.0
    for root, _, files in os.walk(path):
        for name in files:
            count += 1
            newest = max(newest, os.path.getmtime(os.path.join(root, name)))
    return newest, count


def version_dirs(base_dir: str) -> list[int]:
    """The numeric version directories under a model's base path, ascending."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(n) for n in os.listdir(base_dir) if _VERSION.match(n))


class ModelRepository:
    """Finds versions under each model's base path and loads what its policy wants.

    Models come from explicit configs (a config file), or are every directory under
    `base_path` (or the `model_names` among them) with one policy and label set. A new version
    is loaded (and warmed up) on the watcher thread and swapped in only when ready; a version
    that cannot load is FAILED with its reason and retried only when its files change, while the
    previous version keeps serving.
    """

    def __init__(self, base_path: str, model_names: list[str] | None = None,
                 policy: VersionPolicy | None = None, labels: dict[str | None, dict[str, int]] | None = None,
                 poll_seconds: float = 2.0, warmup: Callable[[LoadedModel], None] | None = None,
                 configs: list[ModelConfig] | None = None):
        self.mirror = ObjectStoreMirror(base_path) if storage.is_url(base_path) else None
        self.base_path = self.mirror.local_dir if self.mirror is not None else base_path
        self.fixed_names = list(model_names or [])
        self.policy = policy or VersionPolicy()
        self.labels = labels or {}
        self.poll_seconds = poll_seconds
        self.warmup = warmup
        self.models: dict[str, ServedModel] = {c.name: ServedModel(c) for c in configs or []}
        self._discover = not configs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def model(self, name: str) -> ServedModel:
        """A served model by name.

        Raises:
            NotFound: no such model.
        """
        served = self.models.get(name)
        if served is None:
            known = ", ".join(sorted(self.models)) or "none"
            raise NotFound(f"unknown model '{name}' (serving: {known})")
        return served

    def scan(self) -> None:
        """Looks for new or changed versions once, loading what each policy wants.

        With an object-store base path, complete new versions are mirrored locally first.
        """
        if self.mirror is not None:
            self.mirror.sync()
        if self._discover:
            for name in self._model_names():
                if name not in self.models:
                    labels = {**self.labels.get(None, {}), **self.labels.get(name, {})}
                    self.models[name] = ServedModel(ModelConfig(
                        name, os.path.join(self.base_path, name), self.policy, labels))
        for served in list(self.models.values()):
            self._scan_model(served)

    def _model_names(self) -> list[str]:
        if self.fixed_names:
            return self.fixed_names
        if not os.path.isdir(self.base_path):
            return []
        return sorted(n for n in os.listdir(self.base_path)
                      if os.path.isdir(os.path.join(self.base_path, n)) and not n.startswith("."))

    def _scan_model(self, served: ServedModel) -> None:
        on_disk = version_dirs(served.base_dir)
        signatures = {v: _dir_signature(os.path.join(served.base_dir, str(v))) for v in on_disk}
        wanted: list[int] = []
        for _ in range(len(on_disk) + 1):  # a failed version lets the policy reach further back
            wanted = served.policy.wanted([v for v in on_disk if not served.known_broken(v, signatures[v])])
            newly_broken = [v for v in wanted if not self._consider(served, v, signatures[v])]
            if not newly_broken:
                break
        for version in served.retire(wanted):
            log.info("model %s version %s unloaded (policy %s)", served.name, version, served.policy.kind)

    def _consider(self, served: ServedModel, version: int, signature: tuple[float, int]) -> bool:
        """Loads a version unless it is loaded; False when it cannot (state recorded)."""
        if version in served.loaded:
            return True
        path = os.path.join(served.base_dir, str(version))
        try:
            model = load_version(served.name, version, path)
            if self.warmup is not None:
                self.warmup(model)
        except IncompleteVersion as reason:
            served.set_state(VersionState(version, "LOADING", str(reason), signature))
            log.warning("model %s version %s not loaded yet: %s", served.name, version, reason)
            return False
        except Exception as error:  # a corrupt SavedModel: keep serving the old version
            first_line = (str(error).splitlines() or [""])[0][:300]
            served.set_state(VersionState(version, "FAILED", f"{type(error).__name__}: {first_line}",
                                          signature))
            log.error("model %s version %s failed to load: %s", served.name, version, error)
            return False
        served.install(model)
        log.info("model %s version %s is now serving", served.name, version)
        return True

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
