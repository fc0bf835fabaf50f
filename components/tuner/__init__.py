"""Tuner: TFX-compatible `tuner_fn(fn_args) -> TunerFnResult` hyperparameter search with KerasTuner."""

from components.tuner.executor import Tuner, TunerFnResult
from pipelines.environment.keras_tuner_binding import import_keras_tuner

__all__ = ["Tuner", "TunerFnResult", "import_keras_tuner"]
