"""ExpectedCalibrationError: a TFMA metric (so it is sliced, compared to a baseline and gateable).

ECE over `num_buckets` equal-width prediction buckets in [0, 1]: the example-weighted mean of
|observed positive rate - mean prediction| per bucket. Built on TFMA's calibration histogram,
the same computation behind its CalibrationPlot. In an eval config:

    "metrics": {"ExpectedCalibrationError": {"upper_bound": 0.05}}
"""

from __future__ import annotations

from typing import Any

from tensorflow_model_analysis.metrics import calibration_histogram, metric_types, metric_util

ECE_NAME = "expected_calibration_error"
DEFAULT_BUCKETS = 10


def _computations(num_buckets: int = DEFAULT_BUCKETS, name: str = ECE_NAME, eval_config: Any = None,
                  model_name: str = "", output_name: str = "", sub_key: Any = None,
                  aggregation_type: Any = None, class_weights: Any = None,
                  example_weighted: bool = False) -> Any:
    key = metric_types.MetricKey(name=name, model_name=model_name, output_name=output_name,
                                 sub_key=sub_key, example_weighted=example_weighted)
    computations = calibration_histogram.calibration_histogram(
        eval_config=eval_config, model_name=model_name, output_name=output_name, sub_key=sub_key,
        left=0.0, right=1.0, aggregation_type=aggregation_type, class_weights=class_weights,
        example_weighted=example_weighted)
    histogram_key = computations[-1].keys[-1]

    def result(metrics: dict[Any, Any]) -> dict[Any, float]:
        thresholds = [float("-inf")] + [i / num_buckets for i in range(num_buckets + 1)]
        buckets = calibration_histogram.rebin(thresholds, metrics[histogram_key], left=0.0, right=1.0)
        total = sum(bucket.weighted_examples for bucket in buckets)
        gap = sum(abs(bucket.weighted_labels - bucket.weighted_predictions) for bucket in buckets)
        return {key: gap / total if total else float("nan")}

    computations.append(metric_types.DerivedMetricComputation(keys=[key], result=result))
    return computations


class ExpectedCalibrationError(metric_types.Metric):
    """Expected calibration error of a binary model's probabilities (lower is better)."""

    def __init__(self, num_buckets: int = DEFAULT_BUCKETS, name: str = ECE_NAME):
        super().__init__(metric_util.merge_per_key_computations(_computations), num_buckets=num_buckets,
                         name=name)


metric_types.register_metric(ExpectedCalibrationError)
