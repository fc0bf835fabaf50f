"""TFMA's plots per slice as plain curves: calibration (10 buckets), ROC and precision-recall.

Read from TFMA's plot output (a calibration histogram of 1000 buckets and confusion matrices at
1000 thresholds per slice) and thinned to what a chart needs, so evaluation.json stays small.
"""

from __future__ import annotations

from typing import Any

from components.evaluator.config import BASELINE

CALIBRATION_BUCKETS = 10
CURVE_POINTS = 100


def _calibration(buckets: Any) -> list[list[float]]:
    """[mean prediction, observed rate, examples] per non-empty equal-width bucket of [0, 1]."""
    sums = [[0.0, 0.0, 0.0] for _ in range(CALIBRATION_BUCKETS)]
    for bucket in buckets:
        count = bucket.num_weighted_examples.value
        if not count:
            continue
        low = max(bucket.lower_threshold_inclusive, 0.0)
        index = min(int(low * CALIBRATION_BUCKETS), CALIBRATION_BUCKETS - 1)
        sums[index][0] += bucket.total_weighted_refined_prediction.value
        sums[index][1] += bucket.total_weighted_label.value
        sums[index][2] += count
    return [[prediction / count, label / count, count] for prediction, label, count in sums if count]


def _thinned(matrices: list[Any]) -> list[Any]:
    step = max(len(matrices) // CURVE_POINTS, 1)
    kept = matrices[::step]
    return kept if kept[-1] is matrices[-1] else [*kept, matrices[-1]]


def _roc_and_pr(matrices: list[Any]) -> tuple[list[list[float]], list[list[float]]]:
    roc, pr = [[1.0, 1.0]], []
    for matrix in _thinned(matrices):
        positives = matrix.true_positives + matrix.false_negatives
        negatives = matrix.false_positives + matrix.true_negatives
        recall = matrix.true_positives / positives if positives else 0.0
        roc.append([matrix.false_positives / negatives if negatives else 0.0, recall])
        predicted = matrix.true_positives + matrix.false_positives
        if predicted:
            pr.append([recall, matrix.true_positives / predicted])
    roc.append([0.0, 0.0])
    return roc[::-1], pr[::-1]


def curves_by_slice(output_path: str, slice_name: Any) -> dict[str, dict[str, list[list[float]]]]:
    """The candidate model's curves per slice name, for the plots the config asked for.

    Returns:
        {slice: {"calibration": [[mean prediction, observed rate, n]], "roc": [[fpr, tpr]],
        "pr": [[recall, precision]]}}
    """
    import tensorflow_model_analysis as tfma

    found: dict[str, dict[str, list[list[float]]]] = {}
    for plots_for_slice in tfma.load_plots(output_path):
        curves: dict[str, list[list[float]]] = {}
        for entry in plots_for_slice.plot_keys_and_values:
            if entry.key.model_name == BASELINE:
                continue
            if entry.value.calibration_histogram_buckets.buckets:
                curves["calibration"] = _calibration(entry.value.calibration_histogram_buckets.buckets)
            matrices = list(entry.value.confusion_matrix_at_thresholds.matrices)
            if matrices:
                curves["roc"], curves["pr"] = _roc_and_pr(matrices)
        if curves:
            found[slice_name(plots_for_slice.slice_key)] = curves
    return found
