"""What the gates need from an eval config: each thresholded metric's sample sizes and slicings.

Thresholds themselves stay in the `tfma.EvalConfig` (TFMA checks them); the sample-size and
significance options of the short form are read here. A `tfma.EvalConfig` given as such gets
the defaults.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from typing import Any

from components.evaluator.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_SAMPLES
from components.evaluator.gates import MetricGate, metric_gate


@dataclasses.dataclass(frozen=True)
class GateSettings:
    """The gates of one evaluation, and how their intervals are drawn."""

    gates: dict[str, MetricGate]
    confidence: float = DEFAULT_CONFIDENCE
    samples: int = DEFAULT_SAMPLES


def spec_columns(spec: Any) -> tuple[str, ...]:
    """The sorted columns a `tfma.SlicingSpec` slices by (() for the whole set)."""
    return tuple(sorted(set(spec.feature_keys) | set(spec.feature_values)))


def metric_name(metric_config: Any) -> str:
    """The name TFMA gives a configured metric's values (`AUC` -> `auc`)."""
    import tensorflow_model_analysis as tfma

    options = json.loads(metric_config.config or "{}")
    if options.get("name"):
        return str(options["name"])
    module = importlib.import_module(metric_config.module) if metric_config.module else tfma.metrics
    metric_class = getattr(module, metric_config.class_name, None)
    if metric_class is None:
        return metric_config.class_name.lower()
    return str(metric_class(**options).name)


def _slicings(metric_config: Any) -> frozenset[tuple[str, ...]] | None:
    if metric_config.HasField("threshold"):
        return None
    specs = [spec for item in metric_config.per_slice_thresholds for spec in item.slicing_specs]
    return frozenset(spec_columns(spec) for spec in specs) if specs else None


def _is_gated(metric_config: Any) -> bool:
    return metric_config.HasField("threshold") or bool(metric_config.per_slice_thresholds)


def gate_settings(eval_config: Any, config_proto: Any, min_slice_size: int) -> GateSettings:
    """The gates of every thresholded metric in `config_proto`, with the short form's options.

    Args:
        eval_config: What the Evaluator was given (the short dict form carries the options).
        config_proto: The `tfma.EvalConfig` TFMA runs with.
        min_slice_size: The rows a gated slice needs unless a metric says otherwise.
    """
    short = eval_config if isinstance(eval_config, dict) else {}
    metrics = short.get("metrics")
    options: dict[str, Any] = metrics if isinstance(metrics, dict) else {}
    gates = {}
    for metrics_spec in config_proto.metrics_specs:
        for metric_config in metrics_spec.metrics:
            if _is_gated(metric_config):
                name = metric_name(metric_config)
                gates[name] = metric_gate(name, options.get(metric_config.class_name) or {},
                                          min_slice_size, _slicings(metric_config))
        for name in metrics_spec.thresholds:
            gates.setdefault(name, metric_gate(name, {}, min_slice_size, None))
    return GateSettings(gates, float(short.get("confidence", DEFAULT_CONFIDENCE)),
                        int(short.get("bootstrap_samples", DEFAULT_SAMPLES)))
