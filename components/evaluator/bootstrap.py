"""Paired bootstrap of a metric's difference between two models scored on the same rows.

Each resample weighs every row with a Poisson(1) count (the Poisson bootstrap TFMA uses for its
confidence intervals), the same weights for the candidate and the baseline, so the interval is
that of the difference itself: rows both models find hard move both scores together and do not
widen it. TFMA's validation compares point estimates; this is what lets a gate tell a real
regression from noise.

    >>> interval = paired_interval("auc", labels, candidate, baseline)   # doctest: +SKIP
    >>> interval.low, interval.high                                       # doctest: +SKIP
    (-0.031, 0.004)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

DEFAULT_SAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
_CHUNK = 100  # resamples weighed at once (memory: _CHUNK x rows)


@dataclasses.dataclass(frozen=True)
class Interval:
    """The bootstrap interval of candidate minus baseline."""

    low: float
    high: float
    confidence: float
    samples: int


def weighted_auc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC per row of `weights` ([resamples, rows]); ties count one half. NaN without both classes."""
    order = np.argsort(scores, kind="stable")
    sorted_scores, positive = scores[order], labels[order].astype(bool)
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    weights = weights[:, order]
    positive_weight = np.add.reduceat(weights * positive, starts, axis=1)
    negative_weight = np.add.reduceat(weights * ~positive, starts, axis=1)
    negatives_below = np.cumsum(negative_weight, axis=1) - negative_weight
    pairs = positive_weight.sum(axis=1) * negative_weight.sum(axis=1)
    won = (positive_weight * (negatives_below + 0.5 * negative_weight)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, won / np.where(pairs > 0, pairs, 1), np.nan)


def weighted_accuracy(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Binary accuracy at 0.5 per row of `weights`."""
    correct = (scores >= 0.5) == labels.astype(bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights * correct).sum(axis=1) / weights.sum(axis=1)


BOOTSTRAPPED: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "auc": weighted_auc, "binary_accuracy": weighted_accuracy}


def paired_interval(metric: str, labels: np.ndarray, candidate: np.ndarray, baseline: np.ndarray,
                    samples: int = DEFAULT_SAMPLES, confidence: float = DEFAULT_CONFIDENCE,
                    seed: int = 0) -> Interval | None:
    """The interval of metric(candidate) - metric(baseline) over Poisson resamples of the rows.

    Returns None for a metric without a bootstrap here (see `BOOTSTRAPPED`) or when no resample
    defines it (a slice without positives).
    """
    compute = BOOTSTRAPPED.get(metric)
    if compute is None or not len(labels):
        return None
    rng = np.random.default_rng(seed)
    differences = []
    for start in range(0, samples, _CHUNK):
        weights = rng.poisson(1.0, (min(_CHUNK, samples - start), len(labels))).astype(np.float64)
        differences.append(compute(labels, candidate, weights) - compute(labels, baseline, weights))
    found = np.concatenate(differences)
    found = found[~np.isnan(found)]
    if not len(found):
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(found, [tail, 100 - tail])
    return Interval(float(low), float(high), confidence, samples)
