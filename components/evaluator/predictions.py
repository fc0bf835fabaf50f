"""Each model's prediction per eval row, as TFMA computed it, kept for the gates.

TFMA runs every model over every row to compute its metrics, then forgets the rows. The gates
need those predictions again (counts of predicted positives, the paired bootstrap), so a
pass-through extractor placed before TFMA's unbatching writes a digest of each serialized
example beside the models' predictions (one file per Beam bundle, in the fused stage that ran
the models: no stage of its own). Reading the eval files again then pairs every row with its
predictions without running a model a second time. Identical rows share a digest, and having
the same bytes they have the same predictions too.

    >>> extractor = keep_predictions(["candidate", "baseline"], "", "/tmp/eval/predictions")  # doctest: +SKIP
    >>> lookup = PredictionsByRow.read("/tmp/eval/predictions", models=2)  # doctest: +SKIP
    >>> lookup(serialized_examples)          # [rows, models]: candidate, baseline  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import apache_beam as beam
import numpy as np

STAGE_NAME = "KeepPredictionsPerRow"
_DIGEST_BYTES = 16
_SUFFIX = ".npz"


def digest(record: bytes) -> bytes:
    """A short digest of one serialized example, its key in the kept predictions."""
    return hashlib.blake2b(record, digest_size=_DIGEST_BYTES).digest()


def first_column(outputs: Any, prediction_key: str, rows: int) -> np.ndarray:
    """The prediction per row: `prediction_key`'s output (else the first), its first column."""
    if isinstance(outputs, dict):
        outputs = outputs[prediction_key or next(iter(outputs))]
    return np.asarray(outputs, dtype=np.float64).reshape(rows, -1)[:, 0]


def _labels(extract: dict[str, Any], model_names: list[str], rows: int) -> np.ndarray:
    """The labels TFMA evaluated with (the candidate's), NaN where it had none.

    A label made by the model's preprocessing (`preprocessing_function_names`) is only here,
    not among the raw example's features.
    """
    from tensorflow_model_analysis import constants

    labels = extract.get(constants.LABELS_KEY)
    if isinstance(labels, dict) and len(model_names) > 1:
        labels = labels.get(model_names[0])
    if labels is None:
        return np.full(rows, np.nan)
    return first_column(labels, "", rows)


def _batch_arrays(extract: dict[str, Any], model_names: list[str],
                  prediction_key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from tensorflow_model_analysis import constants

    records = np.asarray(extract[constants.INPUT_KEY], dtype=object).reshape(-1)
    predictions = extract[constants.PREDICTIONS_KEY]
    per_model = [predictions[name] for name in model_names] if len(model_names) > 1 else [predictions]
    # V (raw bytes), not S: NumPy strips an S value's trailing zero bytes
    digests = np.asarray([digest(record) for record in records], dtype=f"V{_DIGEST_BYTES}")
    return (digests, np.stack([first_column(outputs, prediction_key, len(records)) for outputs in per_model],
                              axis=1), _labels(extract, model_names, len(records)))


class _WritePredictions(beam.DoFn):
    """Writes each bundle's predictions to one .npz file (renamed into place once complete)."""

    def __init__(self, directory: str, model_names: list[str], prediction_key: str) -> None:
        super().__init__()
        self._directory = directory
        self._model_names = model_names
        self._prediction_key = prediction_key
        self._batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def start_bundle(self) -> None:
        self._batches = []

    def process(self, extract: dict[str, Any]) -> list[dict[str, Any]]:
        self._batches.append(_batch_arrays(extract, self._model_names, self._prediction_key))
        return [extract]

    def finish_bundle(self) -> None:
        import uuid

        import tensorflow as tf

        if not self._batches:
            return
        buffer = io.BytesIO()
        np.savez(buffer, digests=np.concatenate([digests for digests, _, _ in self._batches]),
                 predictions=np.concatenate([found for _, found, _ in self._batches]),
                 labels=np.concatenate([labels for _, _, labels in self._batches]))
        name = uuid.uuid4().hex
        tf.io.gfile.makedirs(self._directory)
        partial = f"{self._directory}/{name}.partial"
        with tf.io.gfile.GFile(partial, "wb") as target:
            target.write(buffer.getvalue())
        tf.io.gfile.rename(partial, f"{self._directory}/{name}{_SUFFIX}", overwrite=True)
        self._batches = []


def keep_predictions(model_names: list[str], prediction_key: str, directory: str) -> Any:
    """A TFMA extractor that passes batched extracts through and writes their predictions.

    Args:
        model_names: The models in the eval config's order (one name: TFMA keys no dict by it).
        prediction_key: The output holding the prediction when a model has several.
        directory: Where the files of predictions go (read with `PredictionsByRow.read`).
    """
    import tensorflow_model_analysis as tfma

    writer = _WritePredictions(directory, model_names, prediction_key)
    return tfma.extractors.Extractor(stage_name=STAGE_NAME, ptransform=beam.ParDo(writer))


class PredictionsByRow:
    """The kept predictions, looked up by serialized example."""

    def __init__(self, row_of_digest: dict[bytes, int], predictions: np.ndarray,
                 labels: np.ndarray | None = None) -> None:
        self._row_of_digest = row_of_digest
        self._predictions = predictions
        self._labels = np.full(len(predictions), np.nan) if labels is None else labels

    @classmethod
    def read(cls, directory: str, models: int) -> PredictionsByRow:
        """Reads what `keep_predictions` wrote to `directory` for `models` models."""
        import tensorflow as tf

        row_of_digest: dict[bytes, int] = {}
        predictions = [np.zeros((0, models))]
        labels = [np.zeros(0)]
        rows = 0
        for path in tf.io.gfile.glob(f"{directory}/*{_SUFFIX}"):
            with tf.io.gfile.GFile(path, "rb") as source:
                batch = np.load(io.BytesIO(source.read()))
            row_of_digest.update(zip(batch["digests"].tolist(), range(rows, rows + len(batch["digests"])),
                                     strict=True))
            predictions.append(batch["predictions"])
            labels.append(batch["labels"])
            rows += len(batch["digests"])
        return cls(row_of_digest, np.concatenate(predictions), np.concatenate(labels))

    def _rows(self, records: list[bytes]) -> np.ndarray:
        try:
            return np.asarray([self._row_of_digest[digest(record)] for record in records], dtype=np.int64)
        except KeyError:
            raise ValueError("an eval example has no prediction kept from TFMA's run: the eval files "
                             "changed while the Evaluator ran") from None

    def __call__(self, records: list[bytes]) -> np.ndarray:
        """The predictions of `records` in their order: [rows, models] (candidate first)."""
        return self._predictions[self._rows(records)]

    def labels(self, records: list[bytes]) -> np.ndarray:
        """The labels TFMA evaluated `records` with, in their order (NaN where it had none)."""
        return self._labels[self._rows(records)]
