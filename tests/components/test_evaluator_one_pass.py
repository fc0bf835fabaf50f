"""The Evaluator's one pass equals the way it used to work, metric for metric (real TFMA).

The Evaluator loads each model once (in TFMA's workers, as a generic SavedModel) and takes the
gates' predictions from TFMA's own pass. It used to let TFMA load every model as Keras in the
driver to learn its type, then load and run both models again for the gates. The reference below
does exactly that; every metric of every slice, candidate, baseline and delta, the counts and the
bootstrap intervals (same seed) must agree within 1e-6.
"""

import glob
import json
import os
from pathlib import Path

import numpy as np
import pytest

from components import Evaluator
from components.evaluator import config as eval_configs
from components.evaluator import evidence, results, scoring
from components.evaluator.gate_settings import gate_settings, spec_columns
from pipelines import LocalRunner, Pipeline
from tests.components.evaluator_fixture import fixed_model, labelled_examples

CONFIG = {
    "label_key": "label",
    "slices": [[], ["platform"]],
    "metrics": {"ExampleCount": {}, "Precision": {}, "BinaryAccuracy": {}, "ExpectedCalibrationError": {},
                "AUC": {"lower_bound": 0.6, "max_decrease": 0.002},
                "Recall": {"lower_bound": 0.1}},
    "min_slice_size": 50,
    "bootstrap_samples": 300,
}


def _models_predict(paths: list[str]):
    """The previous way: each SavedModel loaded again and run over the eval rows."""
    import tensorflow as tf

    signatures = [tf.saved_model.load(path).signatures["serving_default"] for path in paths]

    def predict(records: list[bytes]) -> np.ndarray:
        columns = []
        for signature in signatures:
            outputs = signature(examples=tf.constant(records, dtype=tf.string))
            columns.append(np.asarray(next(iter(outputs.values()))).reshape(len(records), -1)[:, 0])
        return np.stack(columns, axis=1) if records else np.zeros((0, len(paths)))

    return predict


def _previous_way(pattern: str, candidate: str, baseline: str, output: str) -> dict:
    """TFMA's defaults (model types learned by loading each model as Keras), then models run again."""
    import tensorflow_model_analysis as tfma
    from tfx_bsl.public import tfxio

    config = eval_configs.fit_to_models(eval_configs.as_eval_config(CONFIG), has_baseline=True)
    shared = [tfma.default_eval_shared_model(eval_saved_model_path=path, eval_config=config, model_name=name,
                                             include_default_metrics=False)
              for path, name in ((candidate, "candidate"), (baseline, "baseline"))]
    assert {model.model_type for model in shared} == {tfma.constants.TF_KERAS}
    source = tfxio.TFExampleRecord(file_pattern=pattern, raw_record_column_name=tfma.ARROW_INPUT_COLUMN)
    import apache_beam as beam

    with beam.Pipeline() as pipeline:
        _ = (pipeline | source.BeamSource()
             | tfma.ExtractEvaluateAndWriteResults(eval_shared_model=shared, eval_config=config,
                                                   output_path=output))
    summary = results.summarize(output, CONFIG["min_slice_size"], has_baseline=True)
    columns = {column for spec in config.slicing_specs for column in spec_columns(spec)}
    scored = scoring.score_examples(pattern, "label", columns, _models_predict([candidate, baseline]))
    settings = gate_settings(CONFIG, config, CONFIG["min_slice_size"])
    evidence.attach_evidence(summary, scored, list(config.slicing_specs), settings)
    evidence.judge_summary(summary, settings)
    return summary


class _LoadCounter:
    """Counts SavedModel loads of every kind TFMA and Starling use."""

    def __init__(self, monkeypatch):
        import tensorflow as tf

        self.paths: list[str] = []
        for module, name in ((tf.saved_model, "load"), (tf.compat.v1.saved_model, "load_v2"),
                             (tf.keras.models, "load_model")):
            monkeypatch.setattr(module, name, self._counting(getattr(module, name)))

    def _counting(self, load):
        def counted(path, *args, **kwargs):
            self.paths.append(os.path.normpath(str(path)))
            return load(path, *args, **kwargs)

        return counted


def _values(summary: dict) -> dict:
    found = {}
    for item in summary["slices"]:
        found[(item["slice"], "counts")] = item.get("counts")
        for name, values in item["metrics"].items():
            for role in ("candidate", "baseline", "diff", "na", "failed", "not_judged", "within_noise"):
                found[(item["slice"], name, role)] = values.get(role)
            for end in ("low", "high"):
                found[(item["slice"], name, end)] = (values.get("interval") or {}).get(end)
    return found


@pytest.mark.e2e
def test_one_pass_equals_the_previous_way_on_every_metric_slice_and_interval(tmp_path, monkeypatch):
    examples = labelled_examples(span=2, rare_platforms=True)
    baseline = fixed_model(weight_x=3.0).with_id("baseline_model")
    candidate = fixed_model(weight_x=2.0, weight_z=0.3, flip_on_web=True).with_id("candidate_model")
    evaluate = Evaluator(examples=examples.outputs["examples"], model=candidate.outputs["model"],
                         baseline_model=baseline.outputs["model"], eval_config=CONFIG)
    runner = LocalRunner()
    nodes = [examples, baseline, candidate]
    assert runner.run(Pipeline("one_pass", str(tmp_path / "root"), nodes)).status == "COMPLETE"
    loads = _LoadCounter(monkeypatch)
    result = runner.run(Pipeline("one_pass", str(tmp_path / "root"), [*nodes, evaluate]))
    assert result.status == "COMPLETE", result.nodes["Evaluator"].error
    model_path = {name: os.path.join(result.output(name, "model").uri, "Format-Serving")
                  for name in ("candidate_model", "baseline_model")}
    assert sorted(loads.paths) == sorted(model_path.values())  # each model loaded once

    evaluation = result.output("Evaluator", "evaluation")
    fast = json.loads(Path(evaluation.path("evaluation.json")).read_text())
    assert not glob.glob(evaluation.path("predictions_per_row*"))  # the kept predictions are gone
    pattern = os.path.join(result.output("labelled_examples", "examples").split_uri("eval"), "*")
    previous = _previous_way(pattern, model_path["candidate_model"], model_path["baseline_model"],
                             str(tmp_path / "previous"))

    fast_values, previous_values = _values(fast), _values(previous)
    assert fast_values.keys() == previous_values.keys()
    intervals = [key for key, value in previous_values.items() if key[-1] == "low" and value is not None]
    assert len(intervals) >= 4  # auc's on every slice with a baseline
    assert fast["failures"] and fast["not_judged"]  # something to compare on both sides
    for key, value in previous_values.items():
        if isinstance(value, float):
            assert fast_values[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert fast_values[key] == value, key
    assert [failure["metric"] for failure in fast["failures"]] == \
        [failure["metric"] for failure in previous["failures"]]
