"""Gates that know their sample size, metrics shown as they are, and changes judged with intervals.

The first tests are plain NumPy; the pipeline tests run real TFMA over tf_keras SavedModels on a
few hundred generated rows with known effects (see `evaluator_fixture`).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from components import Evaluator
from components.evaluator.bootstrap import paired_interval, weighted_auc
from components.evaluator.gates import MetricGate, judge, undefined_because
from components.evaluator.scoring import SliceCounts
from pipelines import LocalRunner, Pipeline, latest_blessed_model
from pipelines.reports.evaluation import EvaluationReport
from tests.components.evaluator_fixture import fixed_model, labelled_examples


def test_weighted_auc_counts_ties_as_half_and_is_undefined_without_a_class():
    labels = np.array([0, 0, 1, 1, 0])
    scores = np.array([0.1, 0.5, 0.5, 0.9, 0.2])
    assert weighted_auc(labels, scores, np.ones((1, 5)))[0] == pytest.approx((3 + 2.5) / 6)
    assert np.isnan(weighted_auc(np.zeros(5), scores, np.ones((1, 5)))[0])


def test_paired_interval_separates_a_real_difference_from_noise():
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=2000), rng.normal(size=2000)
    labels = x + rng.normal(0, 0.5, 2000) > 0
    baseline = 1 / (1 + np.exp(-3 * x))
    worse = paired_interval("auc", labels, 1 / (1 + np.exp(-(x + 1.5 * z))), baseline)
    same = paired_interval("auc", labels, 1 / (1 + np.exp(-(3 * x + 0.05 * z))), baseline)
    assert worse is not None and worse.high < -0.05
    assert same is not None and same.low < 0 < same.high


def test_a_slice_below_its_minimum_is_not_judged_and_undefined_metrics_are_named():
    gate = MetricGate("auc", min_examples=100, min_positives=50, min_negatives=50)
    assert gate.shortfall(SliceCounts(976, 16, 960, 3)) == "16 positives < 50"
    assert gate.shortfall(SliceCounts(976, 60, 916, 3)) == ""
    assert undefined_because("auc", SliceCounts(60, 0, 60, 0)) == "0 positives"
    assert undefined_because("precision", SliceCounts(60, 3, 57, 0)) == "0 predicted positives"
    slices = [{"slice": "platform=web", "columns": ["platform"], "metrics": {"auc": {"candidate": 0.4}},
               "counts": {"examples": 976, "positives": 16, "negatives": 960, "predicted_positives": 0}}]
    failures = [{"slice": "platform=web", "metric": "auc", "value": 0.4, "threshold": ">= 0.6"}]
    standing, skipped = judge(slices, failures, {"auc": gate})
    assert standing == [] and skipped == [
        {"slice": "platform=web", "metric": "auc", "reason": "16 positives < 50"}]
    # break the rule (a minimum of 10 positives) and the noise is judged again
    standing, _ = judge(slices, failures, {"auc": MetricGate("auc", 100, 10, 10)})
    assert standing == failures


def test_a_slice_without_positives_is_not_gated_on_the_zero_tfma_reports():
    slices = [{"slice": "country=PL", "columns": ["country"], "metrics": {"auc": {"candidate": 0.0}},
               "counts": {"examples": 400, "positives": 0, "negatives": 400, "predicted_positives": 0}}]
    failures = [{"slice": "country=PL", "metric": "auc", "value": 0.0, "threshold": ">= 0.6"}]
    standing, skipped = judge(slices, failures, {"auc": MetricGate("auc", 100)})  # no class minimums
    assert standing == [] and skipped[0]["reason"] == "n/a (0 positives)"


def test_a_change_is_rejected_only_when_its_interval_lies_beyond_the_allowed_decrease():
    def failure_with(low, high):
        slices = [{"slice": "Overall", "columns": [], "counts": {
            "examples": 5000, "positives": 500, "negatives": 4500, "predicted_positives": 100},
            "metrics": {"auc": {"candidate": 0.75, "diff": -0.004, "interval": {
                "low": low, "high": high, "confidence": 0.95, "samples": 1000}}}}]
        failures = [{"slice": "Overall", "metric": "auc_diff", "value": -0.004, "threshold": "-0.002",
                     "change": {"absolute": -0.002, "direction": "higher"}}]
        return slices, failures

    gate = MetricGate("auc", 100, 50, 50)
    assert judge(*failure_with(-0.009, -0.003), {"auc": gate})[0] != []  # all of it below -0.002
    slices, failures = failure_with(-0.009, 0.001)
    assert judge(slices, failures, {"auc": gate})[0] == []  # reaches back: noise
    assert slices[0]["metrics"]["auc"]["within_noise"] is True
    point_estimate = MetricGate("auc", 100, 50, 50, significance=False)  # as TFMA judges
    assert judge(*failure_with(-0.009, 0.001), {"auc": point_estimate})[0] != []


GATED = {
    "label_key": "label",
    "slices": [[], ["platform"]],
    "metrics": {"ExampleCount": {}, "Precision": {},
                "AUC": {"lower_bound": 0.6, "max_decrease": 0.002}},
    "gated_slices": [[], ["platform"]],
    "min_slice_size": 50,
}


def _run(root, span, rare_platforms=False, **model_params):
    examples = labelled_examples(span=span, rare_platforms=rare_platforms)
    model = fixed_model(**model_params)
    baseline = latest_blessed_model(pinned_to=examples.outputs["examples"])
    evaluate = Evaluator(examples=examples.outputs["examples"], model=model.outputs["model"],
                         baseline_model=baseline.outputs["model"], eval_config=GATED)
    result = LocalRunner().run(Pipeline("gates", str(root), [examples, model, baseline, evaluate]))
    assert result.status == "COMPLETE", result.nodes["Evaluator"].error
    evaluation = result.output("Evaluator", "evaluation")
    summary = json.loads(Path(evaluation.path("evaluation.json")).read_text())
    return result, summary, {item["slice"]: item for item in summary["slices"]}


@pytest.mark.e2e
def test_small_and_undefined_slices_are_not_judged_and_shown_as_they_are(tmp_path):
    result, summary, slices = _run(tmp_path, span=1, rare_platforms=True)
    assert result.output("Evaluator", "blessing").blessed == 1  # nothing judged on noise
    car, tv = slices["platform=car"], slices["platform=tv"]
    assert car["counts"]["positives"] == 3 and car["metrics"]["auc"]["not_judged"] == "3 positives < 50"
    assert tv["metrics"]["auc"] == {"candidate": None, "na": "0 positives", "failed": False,
                                    "not_judged": "n/a (0 positives)"}  # TFMA says 0.0
    assert {(s["slice"], s["metric"]) for s in summary["not_judged"]} >= {
        ("platform=car", "auc"), ("platform=tv", "auc")}
    text = EvaluationReport(summary).text()
    assert "n/a (0 positives)" in text and "auc on slice 'platform=car': 3 positives < 50" in text
    evaluation = result.output("Evaluator", "evaluation")
    assert "n/a (0 positives)" in Path(evaluation.path("report.html")).read_text()
    assert "platform=tv: auc n/a (0 positives)" in evaluation.properties["not_judged"]


@pytest.mark.e2e
def test_a_significant_loss_is_rejected_and_a_loss_within_noise_is_not(tmp_path):
    _run(tmp_path, span=1)  # the baseline: weight 3 on x, blessed
    noisy, summary, slices = _run(tmp_path, span=2, weight_z=0.15)
    auc = slices["Overall"]["metrics"]["auc"]
    assert auc["diff"] < -0.002  # TFMA's point estimate alone would reject it
    assert auc["interval"]["low"] < -0.002 < auc["interval"]["high"] and auc["within_noise"]
    assert noisy.output("Evaluator", "blessing").blessed == 1 and summary["failures"] == []

    worse, summary, slices = _run(tmp_path, span=3, weight_x=1.0, weight_z=1.5)
    auc = slices["Overall"]["metrics"]["auc"]
    assert worse.output("Evaluator", "blessing").blessed == 0
    assert auc["interval"]["high"] < -0.002 and auc["failed"]
    failures = worse.output("Evaluator", "blessing").properties["failures"]
    assert "Overall: auc_diff -0." in failures and "95% CI [-0." in failures
    assert "95% CI" in EvaluationReport(summary).text()


LABEL_MADE_BY_THE_MODEL = """
model_specs { label_key: "label_xf" preprocessing_function_names: "transform_features" }
slicing_specs {}
metrics_specs {
  metrics { class_name: "ExampleCount" }
  metrics { class_name: "BinaryAccuracy" threshold { value_threshold { lower_bound { value: 0.99 } } } }
}
"""


def test_a_label_made_by_the_models_preprocessing_is_counted_and_its_gate_judged(tmp_path):
    """TFX's taxi template: `label_key` names a transformed feature, absent from the raw examples.
    Its positives come from TFMA's labels, so the accuracy gate is judged (and fails), not
    skipped as if the eval split had no positives."""
    import tensorflow_model_analysis as tfma
    from google.protobuf import text_format

    examples = labelled_examples(span=1)
    model = fixed_model()
    evaluate = Evaluator(examples=examples.outputs["examples"], model=model.outputs["model"],
                         eval_config=text_format.Parse(LABEL_MADE_BY_THE_MODEL, tfma.EvalConfig()))
    result = LocalRunner().run(Pipeline("made", str(tmp_path), [examples, model, evaluate]))
    assert result.status == "COMPLETE", result.nodes["Evaluator"].error
    summary = json.loads(Path(result.output("Evaluator", "evaluation").path("evaluation.json")).read_text())
    [overall] = summary["slices"]
    assert 200 < overall["counts"]["positives"] < 400, overall["counts"]
    assert not summary.get("not_judged"), summary["not_judged"]
    assert result.output("Evaluator", "blessing").blessed == 0
