"""Isotonic regression (pool-adjacent-violators) and expected calibration error, in NumPy."""

from __future__ import annotations

import numpy as np

DEFAULT_ECE_BUCKETS = 10


def fit_isotonic(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-decreasing step function of `scores` closest to `labels` (least squares).

    Returns:
        (knots_x, knots_y): each fitted block contributes its lowest and highest score with the
        block's mean label, so interpolating between knots is flat inside a block and linear
        between blocks (as `np.interp` does).

    Raises:
        ValueError: empty or mismatched inputs.

    Example:
        >>> xs, ys = fit_isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0, 1, 0, 1]))
        >>> ys.tolist()
        [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if scores.size == 0 or scores.size != labels.size:
        raise ValueError(f"isotonic fit needs as many labels as scores, and some: got {scores.size} "
                         f"scores and {labels.size} labels")
    order = np.argsort(scores, kind="mergesort")
    xs, ys = scores[order], labels[order]
    means: list[float] = []
    weights: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        means.append(float(y))
        weights.append(1.0)
        lows.append(float(x))
        highs.append(float(x))
        while len(means) > 1 and means[-2] >= means[-1]:
            weight = weights[-2] + weights[-1]
            means[-2] = (means[-2] * weights[-2] + means[-1] * weights[-1]) / weight
            weights[-2], highs[-2] = weight, highs[-1]
            del means[-1], weights[-1], lows[-1], highs[-1]
    knots_x = np.array([edge for low, high in zip(lows, highs, strict=True) for edge in (low, high)])
    knots_y = np.repeat(np.array(means), 2)
    return knots_x, knots_y


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray,
                               buckets: int = DEFAULT_ECE_BUCKETS) -> float:
    """ECE: over equal-width probability buckets, |observed rate - mean prediction|, weighted by size."""
    probabilities = np.clip(np.asarray(probabilities, np.float64).reshape(-1), 0.0, 1.0)
    labels = np.asarray(labels, np.float64).reshape(-1)
    index = np.minimum((probabilities * buckets).astype(int), buckets - 1)
    gap = 0.0
    for bucket in range(buckets):
        members = index == bucket
        if members.any():
            gap += abs(labels[members].sum() - probabilities[members].sum())
    return gap / max(len(labels), 1)
