"""The eval examples row by row: labels, slice values and each model's predictions.

TFMA computes the sliced metrics; this is what it does not keep and the gates need: how many
positives and negatives each slice holds (so a slice too small to judge is not judged), and the
candidate's and baseline's predictions on the same rows (so their difference can be bootstrapped
pairwise). Rows are sliced by the eval config's slicing specs, as TFMA slices them; the
predictions are TFMA's own (see `components.evaluator.predictions`), no model runs here.
"""

from __future__ import annotations

import dataclasses
import glob
from collections.abc import Callable
from typing import Any

import numpy as np

Slice = tuple[tuple[str, str], ...]  # ((column, value), ...) sorted by column; () is the whole set
BATCH = 4096
DECISION_THRESHOLD = 0.5  # what TFMA's precision, recall and binary accuracy threshold at


@dataclasses.dataclass
class ScoredExamples:
    """The eval split as arrays.

    Attributes:
        labels: 0/1 per row (see `binary`).
        columns: The slicing features' values per row as text (None when missing).
        candidate: The candidate's prediction per row.
        baseline: The baseline's prediction per row (None without a baseline).
        binary: False when a label is neither 0 nor 1 (a multi-class model: no positives to count).
    """

    labels: np.ndarray
    columns: dict[str, list[str | None]]
    candidate: np.ndarray
    baseline: np.ndarray | None = None
    binary: bool = True

    def slices(self, slicing_specs: list[Any]) -> dict[Slice, np.ndarray]:
        """Row indices of every slice the specs make, keyed by (column, value) pairs."""
        found: dict[Slice, list[int]] = {}
        for spec in slicing_specs:
            fixed = {column: str(value) for column, value in spec.feature_values.items()}
            keys = sorted(set(spec.feature_keys) | set(fixed))
            for row in range(len(self.labels)):
                values = [self.columns[column][row] for column in keys]
                if any(value is None for value in values) or any(
                        self.columns[column][row] != value for column, value in fixed.items()):
                    continue
                found.setdefault(tuple(zip(keys, values, strict=True)), []).append(row)  # type: ignore[arg-type]
        return {key: np.asarray(rows, dtype=np.int64) for key, rows in found.items()}


@dataclasses.dataclass(frozen=True)
class SliceCounts:
    """What a slice holds: rows, positives, negatives and the candidate's predicted positives."""

    examples: int
    positives: int
    negatives: int
    predicted_positives: int


def counts(scored: ScoredExamples, rows: np.ndarray) -> SliceCounts:
    """The counts of one slice's rows."""
    labels = scored.labels[rows]
    positives = int(labels.sum())
    return SliceCounts(len(rows), positives, len(rows) - positives,
                       int((scored.candidate[rows] >= DECISION_THRESHOLD).sum()))


def _feature_text(feature: Any) -> str | None:
    kind = feature.WhichOneof("kind")
    values = getattr(feature, kind).value if kind else []
    if not len(values):
        return None
    value = values[0]
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def score_examples(file_pattern: str, label_key: str, slice_columns: set[str],
                   predict: Callable[[list[bytes]], np.ndarray],
                   model_labels: Callable[[list[bytes]], np.ndarray] | None = None) -> ScoredExamples:
    """Reads gzipped tf.Examples in file order and pairs each with its predictions.

    Args:
        file_pattern: The eval split's files (read sorted, so rows keep one order).
        label_key: The label feature.
        slice_columns: The features the slices are made of.
        predict: The predictions of a batch of serialized examples, [rows, models]: the
            candidate's first, then the baseline's (e.g. `predictions.PredictionsByRow`).
        model_labels: The labels TFMA evaluated a batch with (`PredictionsByRow.labels`): used
            for rows whose raw features lack `label_key`, a label the model's preprocessing makes
            (e.g. TFX's taxi template, `tips_xf`). Without them such rows count as negatives.
    """
    import tensorflow as tf

    files = sorted(glob.glob(file_pattern))
    labels: list[float] = []
    columns: dict[str, list[str | None]] = {column: [] for column in slice_columns}
    predictions: list[np.ndarray] = []
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(BATCH):
        records = list(batch.numpy())
        raw_labels: list[float | None] = []
        for record in records:
            features = tf.train.Example.FromString(record).features.feature
            raw_labels.append(float(_feature_text(features[label_key]) or 0) if label_key in features
                              else None)
            for column in slice_columns:
                columns[column].append(_feature_text(features[column]) if column in features else None)
        labels += _filled(raw_labels, records, model_labels)
        predictions.append(predict(records))
    joined = np.concatenate(predictions) if predictions else predict([])
    values = np.asarray(labels)
    return ScoredExamples(values > 0.5, columns, joined[:, 0], joined[:, 1] if joined.shape[1] > 1 else None,
                          bool(np.isin(values, (0.0, 1.0)).all()))


def _filled(raw_labels: list[float | None], records: list[bytes],
            model_labels: Callable[[list[bytes]], np.ndarray] | None) -> list[float]:
    """The raw labels, with TFMA's for rows that lack one (0 without them); looked up only if needed."""
    if all(label is not None for label in raw_labels):
        return [float(label) for label in raw_labels if label is not None]
    made = model_labels(records) if model_labels is not None else np.zeros(len(records))
    return [float(np.nan_to_num(made_label)) if label is None else label
            for label, made_label in zip(raw_labels, made, strict=True)]
