"""The ranking template: quantile buckets → MLP on downsampled negatives → isotonic calibration.

On the held-out test split the calibrated model's expected calibration error is below the raw
model's; the served signature returns the calibrated value (and the raw score); the evaluation
report carries calibration, ROC and PR plots per slice that agree with TFMA's metrics; ECE gates.
"""

import glob
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from components.calibrator import expected_calibration_error
from pipelines import LocalRunner
from pipelines.reports.evaluation import EvaluationReport

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ranking"))

from pipeline import create_pipeline  # noqa: E402

# 6,000 rows: a test split of ~1,200 with ~60 clicks, enough for the gates to judge (50 of each class)
PARAMS = {"rows": 6000, "train_steps": 80, "eval_steps": 5, "min_auc": 0.6}


def _run(tmp_path, **params):
    pipeline = create_pipeline(root=str(tmp_path / "root"), data_root=str(tmp_path / "data"),
                               serving_base=str(tmp_path / "serving"), **{**PARAMS, **params})
    result = LocalRunner().run(pipeline)
    failed = {k: v.error for k, v in result.nodes.items() if v.status == "FAILED"}
    assert not failed, failed
    return result


def _served(model_dir, split_dir):
    import tensorflow as tf

    serve = tf.saved_model.load(model_dir).signatures["serving_default"]
    files = glob.glob(f"{split_dir}/*.gz")
    records = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    labels = np.array([tf.train.Example.FromString(r).features.feature["engaged"].int64_list.value[0]
                       for r in records])
    output = serve(examples=tf.constant(records))
    raw = output["raw_score"].numpy().reshape(-1) if "raw_score" in output else None
    return output["outputs"].numpy().reshape(-1), raw, labels


def _curve(page, slice_name, kind):
    block = re.search(rf"<div class='plots' data-slice='{re.escape(slice_name)}'>(.*?)</div>", page, re.S)
    assert block, f"no plots for slice {slice_name}"
    svg = re.search(rf"<svg class='plot {kind}'.*?data-points='([^']*)'", block.group(1), re.S)
    assert svg, f"no {kind} plot for slice {slice_name}"
    return np.array([[float(v) for v in point.split(",")] for point in svg.group(1).split()])


def test_calibration_lowers_ece_on_held_out_data_and_serving_returns_the_calibrated_value(tmp_path):
    result = _run(tmp_path)
    calibrated = result.output("Calibrator", "calibrated_model")
    test_split = result.output("CsvExampleGen", "examples").split_uri("test")
    outputs, raw, labels = _served(calibrated.path("Format-Serving"), test_split)
    assert expected_calibration_error(outputs, labels) < expected_calibration_error(raw, labels) - 0.02
    knots = json.loads(Path(calibrated.path("Format-Serving", "assets.extra", "calibration.json"))
                       .read_text())
    np.testing.assert_allclose(outputs, np.interp(raw, knots["knots_x"], knots["knots_y"]), atol=1e-5)
    base_outputs, _, _ = _served(result.output("Trainer", "model").path("Format-Serving"), test_split)
    np.testing.assert_allclose(raw, base_outputs, rtol=1e-5)  # the raw score is the first model's

    evaluation = result.output("Evaluator", "evaluation")
    summary = json.loads(Path(evaluation.path("evaluation.json")).read_text())
    overall = summary["slices"][0]["metrics"]
    page = Path(evaluation.path("report.html")).read_text()
    roc = _curve(page, "Overall", "roc")
    assert abs(np.trapz(roc[:, 1], roc[:, 0]) - overall["auc"]["candidate"]) < 0.02
    calibration = _curve(page, "Overall", "calibration")
    counts = np.array([p[2] for p in summary["slices"][0]["plots"]["calibration"]])
    ece_from_plot = float(np.sum(np.abs(calibration[:, 1] - calibration[:, 0]) * counts) / counts.sum())
    assert abs(ece_from_plot - overall["expected_calibration_error"]["candidate"]) < 0.01
    pr = _curve(page, "Overall", "pr")
    assert np.all(np.diff(pr[:, 0]) >= 0) and pr[:, 1].max() <= 1.0
    assert _curve(page, "position=1", "roc").shape[0] > 10  # per slice
    notebook = EvaluationReport.from_uri(evaluation.uri)._repr_html_()
    assert "<svg class='plot calibration'" in notebook

    gated = _run(tmp_path, max_ece=1e-4)  # upstream cached; only the Evaluator (and Pusher) rerun
    assert gated.nodes["Trainer"].status == "CACHED"
    blessing = gated.output("Evaluator", "blessing")
    assert blessing.blessed == 0 and "expected_calibration_error" in blessing.properties["failures"]
