"""Calibrator: isotonic calibration of a model's score, fitted on held-out examples.

Its output Model wraps the first and serves calibrated probabilities (and the raw score).

    calibrator = Calibrator(model=trainer.outputs["model"], examples=gen.outputs["examples"],
                            label_key="engaged", split="eval")
    Pusher(model=calibrator.outputs["calibrated_model"], ...)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from components.artifact_io import examples_files
from components.calibrator.export import RAW_SCORE_KEY, export_calibrated_model
from components.calibrator.isotonic import expected_calibration_error, fit_isotonic
from pipelines import Input, Output, Parameter, component
from pipelines.artifacts import SERVING_MODEL_DIR, Examples, Model

BATCH = 1024


def _label(example: Any, label_key: str, where: str) -> float:
    feature = example.features.feature.get(label_key)
    values = (list(feature.int64_list.value) or list(feature.float_list.value)) if feature else []
    if len(values) != 1:
        raise ValueError(f"Calibrator: an example in {where} has no single numeric '{label_key}' label")
    return float(values[0])


def scores_and_labels(model_dir: str, files: list[str], label_key: str, output_key: str = "outputs",
                      signature_name: str = "serving_default") -> tuple[np.ndarray, np.ndarray]:
    """The model's `output_key` score and the label of every example in the gzipped TFRecord files.

    Raises:
        ValueError: an example lacks the label, or the model's score is not one value per example.
    """
    import tensorflow as tf

    serve = tf.saved_model.load(model_dir).signatures[signature_name]
    input_name = next(iter(serve.structured_input_signature[1]))
    scores, labels = [], []
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(BATCH):
        records = batch.numpy()
        labels += [_label(tf.train.Example.FromString(record), label_key, files[0]) for record in records]
        output = serve(**{input_name: batch})[output_key].numpy()
        if output.size != len(batch):
            raise ValueError(f"Calibrator: output '{output_key}' has {output.size} values for {len(batch)} "
                             "examples; calibration needs one score per example (a binary probability)")
        scores.append(output.reshape(-1))
    return np.concatenate(scores), np.array(labels)


@component(name="Calibrator")
def calibrator(model: Input[Model], examples: Input[Examples], calibrated_model: Output[Model],
               label_key: Parameter[str], split: Parameter[str] = "eval",
               output_key: Parameter[str] = "outputs",
               signature_name: Parameter[str] = "serving_default") -> None:
    """Fits isotonic calibration on `split` and exports the wrapped model to `Format-Serving/`.

    Records `ece_before`, `ece_after` (on the fitting split), `calibration_examples` and
    `base_model_id` on the output Model.

    Raises:
        ValueError: labels missing, or the model's output is not one score per example.
    """
    base_dir = model.path(SERVING_MODEL_DIR)
    scores, labels = scores_and_labels(base_dir, examples_files(examples, split), label_key, output_key,
                                       signature_name)
    knots_x, knots_y = fit_isotonic(scores, labels)
    export_calibrated_model(base_dir, calibrated_model.path(SERVING_MODEL_DIR), knots_x, knots_y,
                            output_key, signature_name)
    calibrated_model.properties.update({
        "base_model_id": model.id, "calibration_split": split, "calibration_examples": int(labels.size),
        "ece_before": expected_calibration_error(scores, labels),
        "ece_after": expected_calibration_error(np.interp(scores, knots_x, knots_y), labels),
        "raw_score_output": RAW_SCORE_KEY})


Calibrator = calibrator
