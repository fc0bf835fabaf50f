"""Deterministic hash-based splits and writing tf.Examples in TFX's Split-<name>/ layout."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from components.artifact_io import EXAMPLES_FILE_PREFIX

DEFAULT_SPLITS = {"train": 2, "eval": 1}


def check_splits(splits: Mapping[str, int]) -> None:
    """Raises ValueError for an empty mapping, a bad name or a non-positive weight."""
    if not splits:
        raise ValueError("splits: give at least one split, e.g. {'train': 2, 'eval': 1}")
    for name, weight in splits.items():
        if not name or not name.replace("_", "a").replace("-", "a").isalnum():
            raise ValueError(f"splits: bad split name {name!r}")
        if not isinstance(weight, int) or weight <= 0:
            raise ValueError(f"splits: weight of '{name}' must be a positive integer, got {weight!r}")


def split_of(key: bytes, splits: Mapping[str, int]) -> int:
    """The index of the split a hash key falls in; the same key always lands in the same split."""
    bucket = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % sum(splits.values())
    for index, weight in enumerate(splits.values()):
        if bucket < weight:
            return index
        bucket -= weight
    return len(splits) - 1


def write_splits(keyed_examples: Any, splits: Mapping[str, int], examples_uri: str) -> None:
    """Partitions (hash key, serialized tf.Example) pairs into splits and writes gzipped TFRecords."""
    import apache_beam as beam

    names = list(splits)
    parts = keyed_examples | "Split" >> beam.Partition(
        lambda pair, _count: split_of(pair[0], splits), len(names))
    for index, name in enumerate(names):
        target = os.path.join(examples_uri, f"Split-{name}", EXAMPLES_FILE_PREFIX)
        _ = (parts[index]
             | f"Values[{name}]" >> beam.Map(lambda pair: pair[1])
             | f"Count[{name}]" >> beam.Map(_counted, name)
             | f"Write[{name}]" >> beam.io.WriteToTFRecord(target, file_name_suffix=".gz"))


def _counted(example: bytes, split: str) -> bytes:
    from apache_beam.metrics import Metrics

    Metrics.counter("example_gen", f"rows_{split}").inc()
    return example

