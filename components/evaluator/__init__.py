"""Evaluator: TFMA sliced evaluation with value thresholds and a baseline comparison."""

from components.evaluator.config import eval_config_from_dict
from components.evaluator.executor import Evaluator

__all__ = ["Evaluator", "eval_config_from_dict"]
