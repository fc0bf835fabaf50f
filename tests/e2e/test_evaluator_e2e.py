"""Evaluator with real TFMA: value thresholds, a baseline gate, and a threshold failing on one slice."""

import io
import json
import re
from pathlib import Path

import pytest

from components import Evaluator
from pipelines import ConsoleProgress, LocalRunner, Pipeline, latest_blessed_model
from tests.components.evaluator_fixture import fixed_model, labelled_examples

pytestmark = pytest.mark.e2e

EVAL_CONFIG = {
    "label_key": "label",
    "slices": [[], ["platform"]],
    "metrics": {"ExampleCount": {}, "AUC": {"lower_bound": 0.6, "max_decrease": 0.02}},
    "min_slice_size": 150,
}


def _pipeline(root, span, rows=600, **model_params):
    examples = labelled_examples(span=span, rows=rows)
    model = fixed_model(**model_params)
    baseline = latest_blessed_model(pinned_to=examples.outputs["examples"])
    evaluate = Evaluator(examples=examples.outputs["examples"], model=model.outputs["model"],
                         baseline_model=baseline.outputs["model"], eval_config=EVAL_CONFIG)
    return Pipeline("evaluator_e2e", str(root), [examples, model, baseline, evaluate])


def _summary(result):
    return json.loads(Path(result.output("Evaluator", "evaluation").path("evaluation.json")).read_text())


def test_value_thresholds_then_baseline_gate_then_slice_gate(tmp_path):
    first = LocalRunner().run(_pipeline(tmp_path, span=1))
    assert first.status == "COMPLETE", first.nodes["Evaluator"].error
    blessing = first.output("Evaluator", "blessing")
    summary = _summary(first)
    assert blessing.blessed == 1 and Path(blessing.path("BLESSED")).exists()
    assert summary["has_baseline"] is False
    slices = {s["slice"]: s for s in summary["slices"]}
    assert set(slices) == {"Overall", "platform=ios", "platform=web"}
    assert slices["Overall"]["metrics"]["auc"]["candidate"] > 0.9
    assert slices["platform=web"]["small"] is True and slices["Overall"]["small"] is False
    headline = json.loads(Path(first.output("Evaluator", "evaluation").path("metrics.json")).read_text())
    assert headline["example_count"] == 600

    # a model leaning on noise is still above the 0.6 floor but far below the blessed baseline
    second = LocalRunner().run(_pipeline(tmp_path, span=2, weight_x=1.0, weight_z=1.5))
    summary = _summary(second)
    assert second.output("Evaluator", "blessing").blessed == 0
    assert summary["has_baseline"] is True
    assert summary["baseline_model_id"] == first.output("fixed_model", "model").id
    overall = next(s for s in summary["slices"] if s["slice"] == "Overall")
    assert overall["metrics"]["auc"]["diff"] < -0.02 and overall["metrics"]["auc"]["failed"]
    assert {(f["slice"], f["metric"]) for f in summary["failures"]} >= {("Overall", "auc_diff")}
    assert "Overall: auc_diff -0." in second.output("Evaluator", "blessing").properties["failures"]

    # a model that is wrong on web traffic only: overall fine, the web slice fails its floor
    console = io.StringIO()
    third = LocalRunner(listener=ConsoleProgress(console)).run(
        _pipeline(tmp_path, span=3, rows=1500, flip_on_web=True))  # 300 web rows: enough to judge
    line = next(line for line in console.getvalue().splitlines() if "] ✗ Evaluator " in line)
    assert re.search(r"✗ Evaluator +NOT BLESSED +\S+s  .*platform=web: auc 0\.\d+ \(needs >= 0\.6\)",
                     line), line  # the failing thresholds, on the console
    assert re.search(r"^Outcome: candidate NOT BLESSED \(.*platform=web: auc 0\.", console.getvalue(), re.M)
    summary = _summary(third)
    assert third.output("Evaluator", "blessing").blessed == 0
    failing_slices = {f["slice"] for f in summary["failures"] if f["metric"] == "auc"}
    assert failing_slices == {"platform=web"}
    assert summary["baseline_model_id"] == first.output("fixed_model", "model").id

    # the report names the failing slice, shows the interval beside the delta, loads nothing from the network
    report = Path(third.output("Evaluator", "evaluation").path("report.html")).read_text()
    assert "NOT BLESSED" in report and "platform=web" in report and "95% CI" in report
    assert "<svg" in report and "http://" not in report and "https://" not in report


def test_show_eval_prints_the_sliced_table(tmp_path, capsys):
    from pipelines.cli.main import main

    LocalRunner().run(_pipeline(tmp_path, span=1))
    capsys.readouterr()
    assert main(["show", "eval", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "BLESSED: candidate model" in out and "platform=ios" in out and "AUC" in out


def test_bad_eval_config_names_the_key(tmp_path):
    examples = labelled_examples()
    model = fixed_model()
    evaluate = Evaluator(examples=examples.outputs["examples"], model=model.outputs["model"],
                         eval_config={"label": "label"})
    result = LocalRunner().run(Pipeline("bad_config", str(tmp_path), [examples, model, evaluate]))
    assert "eval_config: unknown key 'label'" in result.nodes["Evaluator"].error
