"""Learning curves from the Trainer's TensorBoard event files (its ModelRun, `model_run_dir`).

The files are read here without TensorFlow: TFRecord framing (length, CRC, data, CRC) around
`Event` protos, whose message definitions ship with the `tensorboard` package. Scalars written
as `simple_value` (TF1, tf_keras' TensorBoard callback) or as scalar tensors (tf.summary in TF2)
are both read. A subdirectory (`train`, `validation`) names the curve's split.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import Any

from pipelines.ui.line_chart import Point, Series, chart_svg

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_CHARTS = 8
_TENSOR_FORMATS = {1: "<f", 2: "<d", 3: "<i", 9: "<q"}  # DT_FLOAT, DT_DOUBLE, DT_INT32, DT_INT64
Curves = dict[tuple[str, str], list[tuple[int, float]]]  # (tag, split) -> [(step, value)]


def _records(path: str) -> Iterator[bytes]:
    """The records of one TFRecord file (a truncated last record, still being written, is left out)."""
    with open(path, "rb") as source:
        data = source.read(MAX_FILE_BYTES)
    offset = 0
    while offset + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        start, end = offset + 12, offset + 12 + length
        if end + 4 > len(data):
            return
        yield data[start:end]
        offset = end + 4


def _scalar(value: Any) -> float | None:
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if not value.HasField("tensor") or value.tensor.tensor_shape.dim:
        return None
    tensor = value.tensor
    for field in (tensor.float_val, tensor.double_val, tensor.int_val, tensor.int64_val):
        if len(field):
            return float(field[0])
    layout = _TENSOR_FORMATS.get(tensor.dtype)
    if layout and len(tensor.tensor_content) == struct.calcsize(layout):
        return float(struct.unpack(layout, tensor.tensor_content)[0])
    return None


def read_curves(directory: str) -> Curves:
    """Every scalar of every event file under `directory`, by (tag, split), in step order."""
    from tensorboard.compat.proto import event_pb2  # type: ignore[import-untyped]

    curves: Curves = {}
    if "://" in directory or not os.path.isdir(directory):
        return curves
    for folder, _, names in sorted(os.walk(directory)):
        split = os.path.relpath(folder, directory).replace(os.sep, "/")
        for name in sorted(n for n in names if "tfevents" in n):
            for record in _records(os.path.join(folder, name)):
                event = event_pb2.Event.FromString(record)
                for value in event.summary.value:
                    number = _scalar(value)
                    if number is not None:
                        curves.setdefault((value.tag, "" if split == "." else split), []).append(
                            (int(event.step), number))
    return {key: sorted(points) for key, points in curves.items()}


def curve_charts(labels: list[str], directories: list[list[str]]) -> list[tuple[str, str]]:
    """(tag, chart SVG) per scalar tag (at most 8), each overlaying every run's curves.

    Each run and split (train, validation) is one series, named by the run's label.
    """
    per_run = [_merged([read_curves(d) for d in dirs]) for dirs in directories]
    tags = list(dict.fromkeys(tag for curves in per_run for tag, _ in curves))[:MAX_CHARTS]
    charts = []
    for tag in tags:
        series = [Series(f"{label} · {split}" if split else label,
                         [Point(step, value, f"{label} {split} step {step}: {value:.4g}")
                          for step, value in points])
                  for label, curves in zip(labels, per_run, strict=True)
                  for (found, split), points in curves.items() if found == tag]
        charts.append((tag, chart_svg(series, "step (epoch)", tag, "curve-chart")))
    return charts


def _merged(found: list[Curves]) -> Curves:
    merged: Curves = {}
    for curves in found:
        for key, points in curves.items():
            merged.setdefault(key, []).extend(points)
    return merged
