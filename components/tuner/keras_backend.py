"""Importing KerasTuner so that it builds and fits tf_keras (Keras 2) models.

KerasTuner 1.4 picks its Keras at import time: when the `keras` package is Keras 3 it works in
"multi-backend" mode and refuses tf_keras models ("Expected ... a valid Keras Model instance").
Starling's models are tf_keras (`TF_USE_LEGACY_KERAS=1`, as TFT and TFMA expect), so the Tuner
and the Trainer import KerasTuner through `import_keras_tuner()` before any user module does:
while KerasTuner loads, `keras` names tf_keras, and KerasTuner settles on `tf.keras` (which
`TF_USE_LEGACY_KERAS=1` makes tf_keras).
"""

from __future__ import annotations

import os
import sys
from types import ModuleType


class KerasTunerBackendError(RuntimeError):
    """KerasTuner was already imported for Keras 3, so it cannot tune tf_keras models."""


def _legacy_keras_wanted() -> bool:
    return os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true", "yes")


def import_keras_tuner() -> ModuleType:
    """The `keras_tuner` module, bound to tf_keras when `TF_USE_LEGACY_KERAS=1`.

    Raises:
        KerasTunerBackendError: KerasTuner was imported earlier in this process in Keras 3 mode.

    Example:
        >>> keras_tuner = import_keras_tuner()  # doctest: +SKIP
        >>> keras_tuner.HyperParameters.from_config(fn_args.hyperparameters)  # doctest: +SKIP
    """
    if "keras_tuner" not in sys.modules and _legacy_keras_wanted():
        import tf_keras

        saved = sys.modules.get("keras")
        sys.modules["keras"] = tf_keras
        try:
            import keras_tuner
        finally:
            if saved is not None:
                sys.modules["keras"] = saved
            else:
                sys.modules.pop("keras", None)
    import keras_tuner
    from keras_tuner.src.backend import config

    if _legacy_keras_wanted() and config.multi_backend():
        raise KerasTunerBackendError(
            "keras_tuner was imported for Keras 3 before Starling could bind it to tf_keras; "
            "import it after the run starts (inside tuner_fn/run_fn modules), or call "
            "components.tuner.import_keras_tuner() first")
    return keras_tuner
