"""Trainer: TFX-compatible `run_fn(fn_args)` training, plus the serving export helper."""

from components.trainer.executor import Trainer
from components.trainer.fn_args import DataAccessor, FnArgs
from components.trainer.serving_export import export_serving_model, load_base_weights

__all__ = ["DataAccessor", "FnArgs", "Trainer", "export_serving_model", "load_base_weights"]
