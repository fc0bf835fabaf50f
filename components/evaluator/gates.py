"""Gates that know their sample size: what is judged, what is not, and failures that are not noise.

TFMA checks each threshold against a point estimate on every slice. Starling judges TFMA's
verdicts again with what the point estimate does not say:

- **Sample size.** A gated slice needs `min_examples` rows and, for ranking and classification
  metrics (AUC, precision, recall, accuracy, calibration), `min_positives` positives and
  `min_negatives` negatives. A slice below them is *not judged* ("16 positives < 50"): neither
  passed nor failed, and listed as such in every report.
- **Undefined metrics.** AUC without positives or negatives, recall without positives,
  precision without predicted positives are "n/a (0 positives)", never a number, never gated.
- **Significance.** A change threshold (`max_decrease`, `max_increase`) with `significance` on
  (the default) rejects the candidate only when the whole paired-bootstrap interval of the
  difference lies beyond the allowed change; a point estimate past it inside the interval is
  noise, and the candidate is not rejected for it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from components.evaluator.scoring import SliceCounts

DEFAULT_MIN_POSITIVES = 50
DEFAULT_MIN_NEGATIVES = 50
CLASS_METRICS = {"auc", "auc_precision_recall", "precision", "recall", "binary_accuracy", "f1_score",
                 "expected_calibration_error", "calibration", "log_loss", "mean_label"}


@dataclasses.dataclass(frozen=True)
class MetricGate:
    """How one thresholded metric is judged.

    Attributes:
        metric: TFMA's metric name (`auc`).
        min_examples: Rows a slice needs to be judged.
        min_positives: Positives it needs (0 for metrics that are not about classes).
        min_negatives: Negatives it needs.
        significance: Change thresholds reject only outside the bootstrap interval.
        slicings: The gated slicings as sorted column tuples (None: every slice).
    """

    metric: str
    min_examples: int
    min_positives: int = 0
    min_negatives: int = 0
    significance: bool = True
    slicings: frozenset[tuple[str, ...]] | None = None

    def gates(self, columns: tuple[str, ...]) -> bool:
        """True when a slice over these columns is gated by this metric."""
        return self.slicings is None or columns in self.slicings

    def shortfall(self, counts: SliceCounts) -> str:
        """Why a slice is too small to judge (`16 positives < 50`), "" when it is not."""
        for have, need, what in ((counts.examples, self.min_examples, "examples"),
                                 (counts.positives, self.min_positives, "positives"),
                                 (counts.negatives, self.min_negatives, "negatives")):
            if have < need:
                return f"{have} {what} < {need}"
        return ""


def undefined_because(metric: str, counts: SliceCounts) -> str:
    """Why a metric has no value on a slice (`0 positives`), "" when it has one."""
    base = metric.removeprefix("compiled_")
    if base in ("auc", "auc_precision_recall", "recall") and counts.positives == 0:
        return "0 positives"
    if base == "auc" and counts.negatives == 0:
        return "0 negatives"
    if base == "precision" and counts.predicted_positives == 0:
        return "0 predicted positives"
    return ""


def metric_gate(metric: str, options: dict[str, Any], min_slice_size: int,
                slicings: frozenset[tuple[str, ...]] | None) -> MetricGate:
    """A metric's gate from its short-form options (`min_examples`, `min_positives`, ...)."""
    is_class = metric in CLASS_METRICS
    return MetricGate(
        metric, int(options.get("min_examples", min_slice_size)),
        int(options.get("min_positives", DEFAULT_MIN_POSITIVES if is_class else 0)),
        int(options.get("min_negatives", DEFAULT_MIN_NEGATIVES if is_class else 0)),
        bool(options.get("significance", True)), slicings)


def not_judged(slices: list[dict[str, Any]], gates: dict[str, MetricGate]) -> list[dict[str, str]]:
    """Every (gated slice, thresholded metric) that is too small or undefined to judge.

    Marks each such metric of `slices` with `not_judged` (the reason) as it goes.
    """
    found = []
    for item in slices:
        counts = item.get("counts")
        if counts is None:
            continue
        for name, gate in gates.items():
            if not gate.gates(tuple(item["columns"])):
                continue
            undefined = undefined_because(name, SliceCounts(**counts))
            reason = f"n/a ({undefined})" if undefined else gate.shortfall(SliceCounts(**counts))
            if reason:
                item["metrics"].setdefault(name, {})["not_judged"] = reason
                found.append({"slice": item["slice"], "metric": name, "reason": reason})
    return found


def _beyond(interval: dict[str, float], change: dict[str, Any]) -> bool:
    if change["direction"] == "higher":
        return interval["high"] < change["absolute"]
    return interval["low"] > change["absolute"]


def judge(slices: list[dict[str, Any]], failures: list[dict[str, Any]], gates: dict[str, MetricGate],
          ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """TFMA's failures judged again: (the failures that stand, what was not judged).

    A failure on a slice not judged goes; a change-threshold failure whose interval reaches
    back inside the allowed change goes and is marked `within_noise` on the slice's metric.
    """
    skipped = not_judged(slices, gates)
    skipped_keys = {(item["slice"], item["metric"]) for item in skipped}
    by_name = {item["slice"]: item for item in slices}
    standing = []
    for failure in failures:
        metric = failure["metric"].removesuffix("_diff")
        if (failure["slice"], metric) in skipped_keys:
            continue
        values = by_name.get(failure["slice"], {}).get("metrics", {}).get(metric, {})
        gate = gates.get(metric)
        change, interval = failure.get("change"), values.get("interval")
        if failure["metric"].endswith("_diff") and change and gate and gate.significance and interval:
            failure["interval"] = interval
            if not _beyond(interval, change):
                values["within_noise"] = True
                continue
        standing.append(failure)
    return standing, skipped
