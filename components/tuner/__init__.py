"""Tuner: TFX-compatible `tuner_fn(fn_args) -> TunerFnResult` hyperparameter search with KerasTuner."""

from components.tuner.executor import Tuner, TunerFnResult
from components.tuner.keras_backend import import_keras_tuner, install_import_hook

install_import_hook()  # any later `import keras_tuner` binds tf_keras (with TF_USE_LEGACY_KERAS=1)

__all__ = ["Tuner", "TunerFnResult", "import_keras_tuner"]
