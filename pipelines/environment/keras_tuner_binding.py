"""Importing KerasTuner so that it builds and fits tf_keras (Keras 2) models.

KerasTuner 1.4 picks its Keras at import time: when the `keras` package is Keras 3 it works in
"multi-backend" mode and refuses tf_keras models ("Expected ... a valid Keras Model instance").
Starling's models are tf_keras, so `prepare_runtime()` installs an import hook: whoever imports
`keras_tuner` first in the process (a user module loaded by Transform, the Tuner, a notebook),
KerasTuner loads while `keras` names tf_keras and settles on `tf.keras`, which Starling routes to
tf_keras. The hook imports nothing until `keras_tuner` is imported, so TensorFlow stays unimported
in cached runs.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

KERAS_TUNER = "keras_tuner"


class KerasTunerBackendError(RuntimeError):
    """KerasTuner was already imported for Keras 3, so it cannot tune tf_keras models."""


class _TfKerasWhileLoading(importlib.abc.Loader):
    """Runs the real loader of `keras_tuner` with `keras` naming tf_keras."""

    def __init__(self, real: Any):
        self.real = real

    def create_module(self, spec: Any) -> Any:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        import tf_keras

        saved = sys.modules.get("keras")
        sys.modules["keras"] = tf_keras
        try:
            self.real.exec_module(module)
        finally:
            if saved is not None:
                sys.modules["keras"] = saved
            else:
                sys.modules.pop("keras", None)


class _KerasTunerFinder(importlib.abc.MetaPathFinder):
    """Finds `keras_tuner` as usual, but loads it through `_TfKerasWhileLoading`."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != KERAS_TUNER:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _TfKerasWhileLoading(spec.loader)
        return spec


def install_import_hook() -> None:
    """Makes later `import keras_tuner` bind tf_keras (idempotent)."""
    if not any(isinstance(finder, _KerasTunerFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _KerasTunerFinder())


def keras_tuner_bound_to_keras3() -> bool:
    """Whether `keras_tuner` is already imported, in Keras 3 ("multi-backend") mode; imports nothing."""
    if KERAS_TUNER not in sys.modules:
        return False
    config = sys.modules.get("keras_tuner.src.backend.config")
    return bool(config is not None and config.multi_backend())


def import_keras_tuner() -> ModuleType:
    """The `keras_tuner` module, bound to tf_keras.

    Raises:
        KerasTunerBackendError: KerasTuner was imported in Keras 3 mode before the hook was installed.

    Example:
        >>> keras_tuner = import_keras_tuner()  # doctest: +SKIP
        >>> keras_tuner.HyperParameters.from_config(fn_args.hyperparameters)  # doctest: +SKIP
    """
    install_import_hook()
    import keras_tuner

    if keras_tuner_bound_to_keras3():
        raise KerasTunerBackendError(
            "keras_tuner was imported for Keras 3 before Starling could bind it to tf_keras; import "
            "`pipelines` (or `components`) before keras_tuner")
    return keras_tuner
