"""Eval configs: a short dict form for the common case, and fitting a config to the models at hand."""

from __future__ import annotations

from typing import Any

CANDIDATE = "candidate"
BASELINE = "baseline"
DEFAULT_MIN_SLICE_SIZE = 100
PLOTS = ("CalibrationPlot", "ConfusionMatrixPlot")
STARLING_METRICS = {"ExpectedCalibrationError": "components.evaluator.calibration_error"}
GATE_OPTIONS = ("min_examples", "min_positives", "min_negatives", "significance")


def eval_config_from_dict(short: dict[str, Any]) -> Any:
    """A `tfma.EvalConfig` from the short form.

    Example:
        >>> eval_config_from_dict({                                        # doctest: +SKIP
        ...     "label_key": "clicked",
        ...     "slices": [[], ["platform"], ["country", "platform"]],    # [] is the whole set
        ...     "metrics": {"ExampleCount": {}, "AUC": {"lower_bound": 0.6, "max_decrease": 0.01}},
        ... })

    Keys: `label_key` (required), `prediction_key`, `signature_name` (default serving_default),
    `slices` (lists of feature names; default: overall only), `metrics` (a dict of TFMA metric
    class name to threshold options: `lower_bound`, `upper_bound`, `max_decrease`,
    `max_increase`; `ExpectedCalibrationError` is Starling's, gate it with `upper_bound`),
    `gated_slices` (the slicings whose slices the thresholds apply to, e.g.
    `[[], ["platform"]]`; default: every slice), `min_slice_size` (the rows a gated slice
    needs to be judged, default 100), `plots` (TFMA plots per slice: `CalibrationPlot`,
    `ConfusionMatrixPlot` — the report draws the calibration curve, ROC and precision-recall
    curves), `confidence` (of the change intervals, default 0.95) and `bootstrap_samples`
    (default 1000).

    Sample-size and significance options per metric (see `components.evaluator.gates`):
    `min_examples` (default `min_slice_size`), `min_positives` and `min_negatives` (default 50
    for ranking and classification metrics), `significance` (default true: a change threshold
    rejects only when the paired-bootstrap interval of the difference lies beyond it).

    Raises:
        ValueError: a key is unknown or `label_key` is missing (the message names it).
    """
    import tensorflow_model_analysis as tfma

    known = {"label_key", "prediction_key", "signature_name", "slices", "metrics", "min_slice_size",
             "gated_slices", "plots", "confidence", "bootstrap_samples"}
    unknown = sorted(set(short) - known)
    if unknown:
        raise ValueError(f"eval_config: unknown key '{unknown[0]}' (known: {', '.join(sorted(known))})")
    if not short.get("label_key"):
        raise ValueError("eval_config: 'label_key' is required (the label feature's name)")
    spec = tfma.ModelSpec(name=CANDIDATE, label_key=short["label_key"],
                          signature_name=short.get("signature_name", "serving_default"))
    if short.get("prediction_key"):
        spec.prediction_key = short["prediction_key"]
    slices = short.get("slices") or [[]]
    metrics = short.get("metrics") or {"ExampleCount": {}, "AUC": {}}
    if isinstance(metrics, list):
        metrics = {name: {} for name in metrics}
    gated = short.get("gated_slices")
    plots = [_plot_config(name) for name in short.get("plots") or []]
    return tfma.EvalConfig(
        model_specs=[spec],
        slicing_specs=[tfma.SlicingSpec(feature_keys=list(keys)) for keys in slices],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            _metric_config(name, options or {}, gated) for name, options in metrics.items()] + plots)])


def _plot_config(name: str) -> Any:
    import tensorflow_model_analysis as tfma

    if name not in PLOTS:
        raise ValueError(f"eval_config plots: unknown plot '{name}' (known: {', '.join(PLOTS)})")
    return tfma.MetricConfig(class_name=name)


def _metric_config(name: str, options: dict[str, Any], gated_slices: list | None = None) -> Any:
    import tensorflow_model_analysis as tfma

    known = {"lower_bound", "upper_bound", "max_decrease", "max_increase", *GATE_OPTIONS}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"eval_config metric '{name}': unknown option '{unknown[0]}' "
                         f"(known: {', '.join(sorted(known))})")
    config = tfma.MetricConfig(class_name=name, module=STARLING_METRICS.get(name, ""))
    threshold = tfma.MetricThreshold()
    if "lower_bound" in options or "upper_bound" in options:
        value = threshold.value_threshold
        if "lower_bound" in options:
            value.lower_bound.value = float(options["lower_bound"])
        if "upper_bound" in options:
            value.upper_bound.value = float(options["upper_bound"])
    if "max_decrease" in options:
        threshold.change_threshold.direction = tfma.MetricDirection.HIGHER_IS_BETTER
        threshold.change_threshold.absolute.value = -abs(float(options["max_decrease"]))
    elif "max_increase" in options:
        threshold.change_threshold.direction = tfma.MetricDirection.LOWER_IS_BETTER
        threshold.change_threshold.absolute.value = abs(float(options["max_increase"]))
    if threshold.ByteSize() and gated_slices is None:
        config.threshold.CopyFrom(threshold)
    elif threshold.ByteSize() and gated_slices is not None:
        per_slice = config.per_slice_thresholds.add()
        per_slice.slicing_specs.extend(tfma.SlicingSpec(feature_keys=list(keys)) for keys in gated_slices)
        per_slice.threshold.CopyFrom(threshold)
    return config


def as_eval_config(value: Any) -> Any:
    """A `tfma.EvalConfig` from a config proto, the short dict form, or JSON/YAML text of either."""
    import tensorflow_model_analysis as tfma

    if isinstance(value, tfma.EvalConfig):
        return value
    if isinstance(value, dict):
        return eval_config_from_dict(value)
    if isinstance(value, str):
        import yaml

        return as_eval_config(yaml.safe_load(value))
    raise TypeError(f"eval_config: expected a tfma.EvalConfig, a dict or YAML text, got "
                    f"{type(value).__name__}")


def fit_to_models(eval_config: Any, has_baseline: bool) -> Any:
    """A copy named for a candidate (and baseline) model; without a baseline, change thresholds go.

    The first model without a baseline is judged on value thresholds alone.
    """
    import tensorflow_model_analysis as tfma

    config = tfma.EvalConfig()
    config.CopyFrom(eval_config)
    if not config.model_specs:
        raise ValueError("eval_config has no model_specs: set at least the label_key")
    candidate = next(spec for spec in config.model_specs if not spec.is_baseline)
    candidate.name = CANDIDATE
    del config.model_specs[:]
    config.model_specs.append(candidate)
    if has_baseline:
        baseline = config.model_specs.add()
        baseline.CopyFrom(candidate)
        baseline.name = BASELINE
        baseline.is_baseline = True
    else:
        for threshold in _all_thresholds(config):
            threshold.ClearField("change_threshold")
    return config


def _all_thresholds(config: Any) -> list[Any]:
    found = []
    for metrics_spec in config.metrics_specs:
        found += list(metrics_spec.thresholds.values())
        for per_slice in metrics_spec.per_slice_thresholds.values():
            found += [item.threshold for item in per_slice.thresholds]
        for metric in metrics_spec.metrics:
            if metric.HasField("threshold"):
                found.append(metric.threshold)
            found += [item.threshold for item in metric.per_slice_thresholds]
            found += [item.threshold for item in metric.cross_slice_thresholds]
    return found
