"""What a metric's name says about it: which way is better, and whether it counts things.

A loss or an error improves when it falls, AUC or accuracy when it rises; a count (examples,
positives) has no better direction and prints as an integer. Unknown metrics are neutral: a
change is shown as a change, never as good or bad.
"""

from __future__ import annotations

import json
from typing import Any

HIGHER_IS_BETTER = 1
LOWER_IS_BETTER = -1
NEUTRAL = 0
_LOWER_WORDS = ("loss", "error", "crossentropy", "mse", "mae", "rmse", "brier", "ece", "perplexity")
_HIGHER_WORDS = ("auc", "accuracy", "precision", "recall", "f1", "ndcg", "map", "hit", "r2",
                 "specificity", "lift")
_COUNT_WORDS = ("count", "positives", "negatives", "examples")


def _words(name: str) -> list[str]:
    """The words of a metric name: `compiled_binary_accuracy/out` -> [binary, accuracy]."""
    base = name.removeprefix("compiled_").split("/")[0].lower()
    return [word for word in base.replace("-", "_").split("_") if word]


def direction(name: str) -> int:
    """HIGHER_IS_BETTER, LOWER_IS_BETTER or NEUTRAL (counts, calibration, unknown names)."""
    words = _words(name)
    if is_count(name):
        return NEUTRAL
    if any(word in _LOWER_WORDS for word in words):
        return LOWER_IS_BETTER
    if any(word in _HIGHER_WORDS or word.startswith("auc") for word in words):
        return HIGHER_IS_BETTER
    return NEUTRAL


def is_count(name: str) -> bool:
    """True for a metric that counts (example_count, positives): shown as an integer."""
    return any(word in _COUNT_WORDS for word in _words(name))


def judge(name: str, delta: Any) -> str:
    """`better`, `worse`, `changed` (a neutral metric moved) or "" (no change) for a delta."""
    if not isinstance(delta, int | float) or isinstance(delta, bool) or abs(delta) < 1e-12:
        return ""
    sign = direction(name) * (1 if delta > 0 else -1)
    return "better" if sign > 0 else "worse" if sign < 0 else "changed"


def format_number(value: Any, count: bool = False) -> str:
    """A metric value: counts as integers with thousands separators, other floats to 4 decimals."""
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if count or isinstance(value, int):
        return f"{round(value):,}"
    return f"{value:.4f}"


def format_change(delta: Any, count: bool = False) -> str:
    """A signed change: `+12` for counts, `-0.0123` otherwise ("" for none)."""
    if not isinstance(delta, int | float) or isinstance(delta, bool) or delta == 0:
        return ""
    if count or isinstance(delta, int):
        return f"{round(delta):+,}"
    return f"{delta:+.4f}"
