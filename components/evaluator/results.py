"""Reads TFMA's output into one plain summary: per-slice metrics, baseline deltas and failures."""

from __future__ import annotations

import json
import os
from typing import Any

from components.evaluator import plots
from components.evaluator.config import BASELINE, CANDIDATE
from pipelines.reports.evaluation import SUMMARY_FILE, interval_suffix

METRICS_FILE = "metrics.json"
OVERALL = "Overall"


def slice_pairs(slice_key: Any) -> list[tuple[str, str]]:
    """The (column, value) pairs of a TFMA SliceKey proto, values as text."""
    pairs = []
    for single in slice_key.single_slice_keys:
        kind = single.WhichOneof("kind")
        value = getattr(single, kind) if kind else ""
        pairs.append((single.column, value.decode() if isinstance(value, bytes) else str(value)))
    return pairs


def slice_name(slice_key: Any) -> str:
    """`Overall` or `country=BR, platform=web` for a TFMA SliceKey proto."""
    return ", ".join(f"{column}={value}" for column, value in slice_pairs(slice_key)) or OVERALL


def metric_name(key: Any) -> str:
    """A metric's name in the summary: TFMA's own, or `compiled_<name>` for the model's compiled metrics.

    TFMA also computes the metrics the Trainer compiled into the model (tf_keras `auc`, `loss`);
    they carry no example weighting in their key, and are named apart so the two never mix.
    """
    name = key.name + (f"/{key.output_name}" if key.output_name else "")
    return name if key.HasField("example_weighted") else f"compiled_{name}"


def summarize(output_path: str, min_slice_size: int, has_baseline: bool) -> dict[str, Any]:
    """The evaluation as plain data (written as evaluation.json, read by reports).

    Returns:
        {"blessed", "has_baseline", "min_slice_size", "slices": [{"slice", "columns", "key",
        "example_count", "small", "metrics": {name: {"candidate", "baseline", "diff", "failed"}},
        "plots" (when asked for): {"calibration", "roc", "pr"} (see `plots.curves_by_slice`)}],
        "failures": [{"slice", "metric", "value", "threshold", "message", "change"}]}; the
        Evaluator adds counts, n/a values, intervals and what was not judged (`evidence`).
    """
    import tensorflow_model_analysis as tfma

    failures = _failures(tfma.load_validation_result(output_path))
    failed = {(f["slice"], f["metric"]) for f in failures}
    slices = []
    for metrics_for_slice in tfma.load_metrics(output_path):
        name = slice_name(metrics_for_slice.slice_key)
        metrics = _metrics_of_slice(metrics_for_slice)
        for metric, values in metrics.items():
            values["failed"] = (name, metric) in failed or (name, f"{metric}_diff") in failed
        count = metrics.get("example_count", {}).get("candidate")
        pairs = sorted(slice_pairs(metrics_for_slice.slice_key))
        slices.append({"slice": name, "columns": [column for column, _ in pairs],
                       "key": [list(pair) for pair in pairs], "example_count": count,
                       "metrics": metrics, "small": count is not None and count < min_slice_size})
    curves = plots.curves_by_slice(output_path, slice_name)
    for item in slices:
        if item["slice"] in curves:
            item["plots"] = curves[item["slice"]]
    slices.sort(key=lambda item: (item["slice"] != OVERALL, item["slice"]))
    return {"blessed": not failures, "has_baseline": has_baseline, "min_slice_size": min_slice_size,
            "slices": slices, "failures": failures}


def _metrics_of_slice(metrics_for_slice: Any) -> dict[str, dict[str, Any]]:
    metrics: dict[str, dict[str, Any]] = {}
    for entry in metrics_for_slice.metric_keys_and_values:
        key, value = entry.key, entry.value
        if not value.HasField("double_value"):
            continue
        name = metric_name(key)
        role = "diff" if key.is_diff else (BASELINE if key.model_name == BASELINE else "candidate")
        if key.model_name not in ("", CANDIDATE, BASELINE):
            continue
        metrics.setdefault(name, {})[role] = value.double_value.value
    return metrics


def _failures(validation: Any) -> list[dict[str, Any]]:
    found = []
    for per_slice in validation.metric_validations_per_slice:
        name = slice_name(per_slice.slice_key)
        for failure in per_slice.failures:
            value = failure.metric_value.double_value.value
            found.append({"slice": name, "metric": metric_name(failure.metric_key)
                          + ("_diff" if failure.metric_key.is_diff else ""),
                          "value": value, "threshold": _threshold_text(failure.metric_threshold),
                          "message": failure.message, "change": _change(failure.metric_threshold)})
    for missing in validation.missing_slices:
        found.append({"slice": str(list(missing.feature_keys)), "metric": "-", "value": None,
                      "threshold": "slice must exist", "message": "slice has no examples"})
    return found


def _change(threshold: Any) -> dict[str, Any] | None:
    """An absolute change threshold as {"absolute", "direction": "higher" | "lower"} (else None)."""
    if not threshold.HasField("change_threshold") or not threshold.change_threshold.HasField("absolute"):
        return None
    higher = threshold.change_threshold.direction != 1  # 1: tfma.MetricDirection.LOWER_IS_BETTER
    return {"absolute": threshold.change_threshold.absolute.value,
            "direction": "higher" if higher else "lower"}


def _threshold_text(threshold: Any) -> str:
    parts = []
    if threshold.HasField("value_threshold"):
        value = threshold.value_threshold
        if value.HasField("lower_bound"):
            parts.append(f">= {value.lower_bound.value:g}")
        if value.HasField("upper_bound"):
            parts.append(f"<= {value.upper_bound.value:g}")
    if threshold.HasField("change_threshold"):
        change = threshold.change_threshold
        if change.HasField("absolute"):
            parts.append(f"change vs baseline {change.absolute.value:+g}")
        if change.HasField("relative"):
            parts.append(f"relative change vs baseline {change.relative.value:+g}")
    return ", ".join(parts)


def describe_failure(failure: dict[str, Any]) -> str:
    """`platform=web: auc 0.5312 (needs >= 0.55)`, with the interval of a change when there is one."""
    if failure["value"] is None:
        return f"slice {failure['slice']}: {failure['message']}"
    return (f"{failure['slice']}: {failure['metric']} {failure['value']:.4g}"
            f"{interval_suffix(failure.get('interval'))} "
            f"(needs {failure['threshold']})")


def describe_failures(summary: dict[str, Any]) -> str:
    """The failing thresholds, e.g. `platform=web: auc 0.5312 (needs >= 0.55)`, `;`-separated."""
    return "; ".join(describe_failure(failure) for failure in summary["failures"])


def write_summary(summary: dict[str, Any], directory: str) -> None:
    """Writes evaluation.json and metrics.json (the overall candidate metrics, for dashboards)."""
    with open(os.path.join(directory, SUMMARY_FILE), "w") as target:
        json.dump(summary, target, indent=2)
    overall = next((s for s in summary["slices"] if s["slice"] == OVERALL), None)
    headline = {name: values["candidate"] for name, values in (overall or {"metrics": {}})["metrics"].items()
                if values.get("candidate") is not None}
    with open(os.path.join(directory, METRICS_FILE), "w") as target:
        json.dump(headline, target, indent=2)

