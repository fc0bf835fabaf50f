"""Warm-starting a model across vocabulary changes: rows are carried over by token, not by index.

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


_REMAPS: contextvars.ContextVar[list[LayerRemap] | None] = contextvars.ContextVar(
    "starling_warm_start_remaps", default=None)


def collect_remaps() -> list[LayerRemap]:
    """Starts collecting warm-start remaps in this context (the Trainer does); returns the list."""
    remaps: list[LayerRemap] = []
    _REMAPS.set(remaps)
    return remaps


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
                  new_vocabularies: dict[str, list[bytes]]) -> list[LayerRemap]:
    """Loads saved weights into `model`: same-shape layers as saved, vocabulary layers by token.

    Returns the remapped layers (also recorded for the Trainer when it is collecting).
    """
    saved = saved_layer_weights(weights_path)
    changed = [name for name, tokens in new_vocabularies.items()
               if old_vocabularies.get(name, tokens) != tokens]
    remaps = []
    for layer in model.layers:
        if layer.name not in saved or not layer.weights:
            continue
        fresh = layer.get_weights()
        old = saved[layer.name]
        same_shapes = len(old) == len(fresh) and all(
            a.shape == b.shape for a, b in zip(old, fresh, strict=True))
        if same_shapes and _vocabulary_of(layer.name, changed) is None:
            layer.set_weights(old)  # not indexed by a vocabulary that changed (grew or reordered)
            continue
        weights, remap = remap_layer(layer.name, old, fresh, old_vocabularies, new_vocabularies)
        layer.set_weights(weights)
        remaps.append(remap)
    collected = _REMAPS.get()
    if collected is not None:
        collected.extend(remaps)
    return remaps
