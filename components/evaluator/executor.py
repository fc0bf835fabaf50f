"""Evaluator: TFMA sliced evaluation of a candidate model, gated by thresholds and a baseline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.artifact_io import examples_file_pattern
from components.beam import new_pipeline
from components.evaluator import config as eval_configs
from components.evaluator import evidence, results, scoring
from components.evaluator.gate_settings import gate_settings, spec_columns
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import SERVING_MODEL_DIR, Examples, Model, ModelBlessing, ModelEvaluation
from pipelines.reports.evaluation import EvaluationReport

if TYPE_CHECKING:
    from components.evaluator.predictions import PredictionsByRow

_KEPT_PREDICTIONS = "predictions_per_row"  # under the output, removed once read


def _saved_model(model: Model) -> str:
    path = os.path.join(model.uri, SERVING_MODEL_DIR)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"Model artifact {model.id} has no {SERVING_MODEL_DIR}/ SavedModel at {path}")
    return path


def _serving_models(eval_config: Any) -> Any:
    """A copy whose model specs without a type are TF_GENERIC: TFMA loads each model once.

    Without a type TFMA loads every model as Keras in the driver to learn it (then loads it
    again in its workers). Starling's models are served through a signature, which TFMA calls
    the same way for Keras and generic SavedModels. A config that asks for the metrics compiled
    into the model (`options.include_default_metrics`) keeps TFMA's way: only a Keras model
    has them.
    """
    import tensorflow_model_analysis as tfma

    config = tfma.EvalConfig()
    config.CopyFrom(eval_config)
    if not config.options.include_default_metrics.value:
        for spec in config.model_specs:
            spec.model_type = spec.model_type or tfma.constants.TF_GENERIC
    return config


def run_tfma(examples_pattern: str, candidate: str, baseline: str | None, eval_config: Any,
             output_path: str) -> PredictionsByRow:
    """Runs TFMA on Beam over gzipped tf.Example files, writing its output to `output_path`.

    Each model is loaded once, by TFMA's workers, and both models run in the same pass.

    Returns:
        The models' predictions per eval row, as TFMA computed them (for the gates).
    """
    import tensorflow as tf
    import tensorflow_model_analysis as tfma
    from tensorflow_model_analysis.extractors.unbatch_extractor import UNBATCH_EXTRACTOR_STAGE_NAME
    from tfx_bsl.public import tfxio

    from components.evaluator.predictions import PredictionsByRow, keep_predictions

    config = _serving_models(eval_config)
    models = [(path, name) for path, name in ((candidate, eval_configs.CANDIDATE),
                                              (baseline, eval_configs.BASELINE)) if path]
    # include_default_metrics=False: the metrics compiled into a Keras model are not recomputed
    # (through Keras they more than double TFMA's time, and they duplicate the configured ones)
    shared_models = [tfma.default_eval_shared_model(
        eval_saved_model_path=path, eval_config=config, model_name=name, include_default_metrics=False)
        for path, name in models]
    spec = next(spec for spec in config.model_specs if not spec.is_baseline)
    kept = os.path.join(output_path, _KEPT_PREDICTIONS)
    extractors = tfma.default_extractors(eval_shared_model=shared_models, eval_config=config)
    unbatch = next(index for index, extractor in enumerate(extractors)
                   if extractor.stage_name == UNBATCH_EXTRACTOR_STAGE_NAME)
    extractors.insert(unbatch, keep_predictions([name for _, name in models], spec.prediction_key, kept))
    source = tfxio.TFExampleRecord(file_pattern=examples_pattern,
                                   raw_record_column_name=tfma.ARROW_INPUT_COLUMN)
    with new_pipeline() as pipeline:
        _ = (pipeline
             | "ReadExamples" >> source.BeamSource()
             | "Evaluate" >> tfma.ExtractEvaluateAndWriteResults(
                 eval_shared_model=shared_models, eval_config=config, extractors=extractors,
                 output_path=output_path))
    found = PredictionsByRow.read(kept, len(models))
    if tf.io.gfile.exists(kept):
        tf.io.gfile.rmtree(kept)
    return found


def _score(examples_pattern: str, config: Any, predict: PredictionsByRow) -> scoring.ScoredExamples:
    spec = next(spec for spec in config.model_specs if not spec.is_baseline)
    columns = {column for slicing in config.slicing_specs for column in spec_columns(slicing)}
    return scoring.score_examples(examples_pattern, spec.label_key, columns, predict, predict.labels)


def _record(summary: dict[str, Any], evaluation: ModelEvaluation, blessing: ModelBlessing) -> bool:
    blessed = bool(summary["blessed"])
    blessing.blessed = int(blessed)
    if not blessed:
        blessing.properties["failures"] = results.describe_failures(summary)[:2000]
    evaluation.properties["blessed"] = int(blessed)
    evaluation.properties.update(note=evidence.headline(summary), noted_by="Evaluator")  # console line
    gate_lines = evidence.gate_lines(summary)
    if gate_lines:
        evaluation.properties["gates"] = gate_lines[:2000]
    if summary.get("not_judged"):
        evaluation.properties["not_judged"] = "; ".join(
            f"{item['slice']}: {item['metric']} {item['reason']}" for item in summary["not_judged"])[:2000]
    return blessed


@component(name="Evaluator")
def evaluator(examples: Input[Examples], model: Input[Model], evaluation: Output[ModelEvaluation],
              blessing: Output[ModelBlessing], baseline_model: Input[Model] | None = None,
              eval_config: Parameter[Any] = None, example_split: Parameter[str] = "eval",
              min_slice_size: Parameter[int] = eval_configs.DEFAULT_MIN_SLICE_SIZE) -> None:
    """Evaluates `model` on slices of one split; blesses it when every threshold holds.

    Args:
        examples: Labelled examples (raw features; the model's signature does the featurizing).
        model: The candidate Model (`Format-Serving/` SavedModel taking serialized tf.Example).
        evaluation: TFMA's output, `evaluation.json` (per-slice metrics, deltas, failures),
            `metrics.json` (overall metrics) and `report.html`.
        blessing: `blessed` 1/0 and a `BLESSED` or `NOT_BLESSED` file.
        baseline_model: The model to compare against (e.g. `latest_blessed_model()`); without
            one, change thresholds are dropped and value thresholds alone decide.
        eval_config: A `tfma.EvalConfig`, or the short dict form (see `eval_config_from_dict`).
        example_split: The split to evaluate on.
        min_slice_size: Slices with fewer examples are flagged in the report, and a gated slice
            needs as many to be judged (see `components.evaluator.gates`).
    """
    if eval_config is None:
        raise ValueError("Evaluator: eval_config is required (at least {'label_key': ...})")
    if isinstance(eval_config, dict) and "min_slice_size" in eval_config:
        min_slice_size = int(eval_config["min_slice_size"])
    baseline = baseline_model if baseline_model is not None and baseline_model.id != model.id else None
    has_baseline = baseline is not None
    if baseline_model is not None and baseline is None:  # e.g. an unpinned latest_blessed_model()
        note = f"the baseline is the candidate itself (Model #{model.id}): no baseline comparison"
        print(f"Evaluator: {note}")
        evaluation.properties["baseline_note"] = note
    config = eval_configs.fit_to_models(eval_configs.as_eval_config(eval_config), has_baseline)
    pattern = examples_file_pattern(examples, example_split)
    candidate_path, baseline_path = _saved_model(model), _saved_model(baseline) if baseline else None
    predicted = run_tfma(pattern, candidate_path, baseline_path, config, evaluation.uri)
    summary = results.summarize(evaluation.uri, min_slice_size, has_baseline)
    settings = gate_settings(eval_config, config, min_slice_size)
    evidence.attach_evidence(summary, _score(pattern, config, predicted), list(config.slicing_specs),
                             settings)
    evidence.judge_summary(summary, settings)
    summary["candidate_model_id"] = model.id
    summary["baseline_model_id"] = baseline.id if baseline is not None else None
    results.write_summary(summary, evaluation.uri)
    EvaluationReport(summary).save(evaluation.path("report.html"))
    blessing.properties["current_model_id"] = model.id
    if baseline is not None:
        blessing.properties["baseline_model_id"] = baseline.id
    blessed = _record(summary, evaluation, blessing)
    Path(blessing.path("BLESSED" if blessed else "NOT_BLESSED")).touch()


Evaluator = evaluator
