"""Shared helpers for component tests: reading back what components wrote."""

from __future__ import annotations

import glob
import os

import pytest


def read_examples(examples_artifact, split):
    """Every tf.Example of one split, as dicts of feature -> list of values (None when missing)."""
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_artifact.split_uri(split), "*.gz")))
    rows = []
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
        example = tf.train.Example.FromString(record.numpy())
        row = {}
        for name, feature in example.features.feature.items():
            kind = feature.WhichOneof("kind")
            row[name] = list(getattr(feature, kind).value) if kind else None
        rows.append(row)
    return rows


@pytest.fixture
def write_csv(tmp_path):
    def _write(relative, text):
        path = tmp_path / "data" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path
    return _write
