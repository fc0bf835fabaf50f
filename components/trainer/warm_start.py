"""Warm-starting a model from a base model's weights: by layer name, and across vocabulary changes by token.

Layers match by the names the model gives them (`keras.layers.Dense(1, name="click_probability")`);
name every layer that has weights, because tf_keras numbers unnamed ones per process (`dense`,
then `dense_1` for the same model built twice) and a renamed layer starts fresh. Nothing is
skipped silently: the report says how many layers started warm ("warm start: 9/9 layers"), which
started fresh ("2 layers started fresh: dense_1, dense_2") and which base layers matched nothing;
the Trainer records it on the Model and prints it on its console line. With `strict=True` any of
those is an error naming the layers.

A TFT vocabulary orders tokens by frequency, and a new day can bring new tokens, so the base
model's embedding (or one-hot dense) rows for `country` do not line up with the new model's.
For each layer named after a vocabulary that changed (grew, shrank or was reordered by
frequency: `country_id_embedding` uses the vocabulary `country`), rows of tokens in both
vocabularies are copied, new tokens keep their fresh initialization, and OOV bucket rows are
copied in order.
Every other layer is loaded when its shapes match. What was remapped is reported.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
from collections.abc import Sequence
from typing import Any

VOCABULARIES_DIR = "vocabularies"


@dataclasses.dataclass(frozen=True)
class LayerRemap:
    """How one layer's weights were carried over."""

    layer: str
    vocabulary: str | None
    shared_tokens: int = 0
    new_tokens: int = 0
    dropped_tokens: int = 0

    def describe(self) -> str:
        """One line: `country_id_embedding by country: 5 shared, 1 new, 0 dropped tokens`."""
        if self.vocabulary is None:
            return f"{self.layer}: shapes differ and no vocabulary matches; left freshly initialized"
        return (f"{self.layer} by {self.vocabulary}: {self.shared_tokens} shared, {self.new_tokens} new, "
                f"{self.dropped_tokens} dropped tokens")


@dataclasses.dataclass
class WarmStartReport:
    """What a warm start did, layer by layer.

    Attributes:
        layers: The new model's layers with weights.
        loaded: Those loaded as saved (same name, same shapes).
        remapped: Vocabulary layers carried over by token (and those left fresh, vocabulary None).
        fresh: Layers that started freshly initialized: no base layer of their name, or shapes
            that differ with no vocabulary to remap by.
        unused: Base layers with weights that matched no layer of the new model.
    """

    layers: list[str] = dataclasses.field(default_factory=list)
    loaded: list[str] = dataclasses.field(default_factory=list)
    remapped: list[LayerRemap] = dataclasses.field(default_factory=list)
    fresh: list[str] = dataclasses.field(default_factory=list)
    unused: list[str] = dataclasses.field(default_factory=list)

    @property
    def warm(self) -> int:
        """How many layers started from the base model's weights."""
        return len(self.loaded) + sum(1 for remap in self.remapped if remap.vocabulary is not None)

    @property
    def complete(self) -> bool:
        """True when every layer started warm and every base layer was used."""
        return not self.fresh and not self.unused

    def describe(self) -> str:
        """`warm start: 9/9 layers`, or with what started fresh and what matched nothing."""
        parts = [f"warm start: {self.warm}/{len(self.layers)} layers"]
        if self.fresh:
            parts.append(f"{len(self.fresh)} layer{'s' if len(self.fresh) > 1 else ''} started fresh: "
                         f"{', '.join(self.fresh)}")
        if self.unused:
            parts.append(f"base layers matching nothing: {', '.join(self.unused)}")
        return "; ".join(parts)

    def __bool__(self) -> bool:
        return self.warm > 0


_REPORTS: contextvars.ContextVar[list[WarmStartReport] | None] = contextvars.ContextVar(
    "starling_warm_start_reports", default=None)


def collect_reports() -> list[WarmStartReport]:
    """Starts collecting warm-start reports in this context (the Trainer does); returns the list."""
    reports: list[WarmStartReport] = []
    _REPORTS.set(reports)
    return reports


def read_vocabularies(directory: str) -> dict[str, list[bytes]]:
    """The vocabulary files in a directory (one token per line), by file name."""
    if not os.path.isdir(directory):
        return {}
    vocabularies = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path, "rb") as source:
                vocabularies[name] = source.read().splitlines()
    return vocabularies


def saved_layer_weights(path: str) -> dict[str, list[Any]]:
    """A Keras HDF5 weights file's arrays, by layer name."""
    import h5py
    import numpy as np

    weights = {}
    with h5py.File(path, "r") as saved:
        for layer in saved.attrs["layer_names"]:
            name = layer.decode() if isinstance(layer, bytes) else layer
            group = saved[name]
            weights[name] = [np.asarray(group[w.decode() if isinstance(w, bytes) else w])
                             for w in group.attrs["weight_names"]]
    return weights


def _vocabulary_of(layer: str, vocabularies: Sequence[str]) -> str | None:
    matches = [name for name in vocabularies if name and name in layer]
    return max(matches, key=len) if matches else None


def _remap_rows(old: Any, fresh: Any, old_tokens: list[bytes], new_tokens: list[bytes]) -> Any | None:
    """Rows of a [tokens + OOV buckets, ...] weight moved to the new vocabulary's order, or None."""
    oov = old.shape[0] - len(old_tokens)
    if old.ndim < 2 or old.shape[1:] != fresh.shape[1:] or oov < 0 or fresh.shape[0] - len(new_tokens) != oov:
        return None
    rows = fresh.copy()
    old_index = {token: index for index, token in enumerate(old_tokens)}
    for index, token in enumerate(new_tokens):
        if token in old_index:
            rows[index] = old[old_index[token]]
    rows[len(new_tokens):] = old[len(old_tokens):]
    return rows


def remap_layer(name: str, saved: list[Any], fresh: list[Any], old_vocabularies: dict[str, list[bytes]],
                new_vocabularies: dict[str, list[bytes]]) -> tuple[list[Any], LayerRemap]:
    """The weights to load into a vocabulary layer, and the report of what was done.

    Weights with a row per token (2-D or more) are remapped; others (a bias) are kept when their
    shape is unchanged. Anything else leaves the layer freshly initialized.
    """
    vocabulary = _vocabulary_of(name, [v for v in new_vocabularies if v in old_vocabularies])
    if vocabulary is None or len(saved) != len(fresh):
        return fresh, LayerRemap(name, None)
    old_tokens, new_tokens = old_vocabularies[vocabulary], new_vocabularies[vocabulary]
    weights = []
    for old, new in zip(saved, fresh, strict=True):
        rows = _remap_rows(old, new, old_tokens, new_tokens)
        if rows is None and old.shape == new.shape:
            rows = old
        if rows is None:
            return fresh, LayerRemap(name, None)
        weights.append(rows)
    shared = len(set(old_tokens) & set(new_tokens))
    return weights, LayerRemap(name, vocabulary, shared, len(new_tokens) - shared, len(old_tokens) - shared)


def load_by_token(model: Any, weights_path: str, old_vocabularies: dict[str, list[bytes]],
                  new_vocabularies: dict[str, list[bytes]], strict: bool = False) -> WarmStartReport:
    """Loads saved weights into `model` by layer name: same shapes as saved, vocabulary layers by token.

    Returns the report (also recorded for the Trainer when it is collecting).

    Raises:
        ValueError: `strict` and a layer started fresh or a base layer matched nothing (names them).
    """
    saved = {name: weights for name, weights in saved_layer_weights(weights_path).items() if weights}
    changed = [name for name, tokens in new_vocabularies.items()
               if old_vocabularies.get(name, tokens) != tokens]
    report = WarmStartReport()
    for layer in model.layers:
        if not layer.weights:
            continue
        report.layers.append(layer.name)
        if layer.name not in saved:
            report.fresh.append(layer.name)
            continue
        fresh, old = layer.get_weights(), saved[layer.name]
        same_shapes = len(old) == len(fresh) and all(
            a.shape == b.shape for a, b in zip(old, fresh, strict=True))
        if same_shapes and _vocabulary_of(layer.name, changed) is None:
            layer.set_weights(old)  # not indexed by a vocabulary that changed (grew or reordered)
            report.loaded.append(layer.name)
            continue
        weights, remap = remap_layer(layer.name, old, fresh, old_vocabularies, new_vocabularies)
        layer.set_weights(weights)
        report.remapped.append(remap)
        if remap.vocabulary is None:
            report.fresh.append(layer.name)
    report.unused = sorted(set(saved) - set(report.layers))
    if strict and not report.complete:
        raise ValueError(f"cannot warm-start from {weights_path}: {report.describe()}")
    collected = _REPORTS.get()
    if collected is not None:
        collected.append(report)
    return report
