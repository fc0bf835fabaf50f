"""Rows of vocabulary-indexed weights move by token: growth, reordering, OOV buckets, biases."""

import numpy as np

from components.trainer.warm_start import remap_layer

OLD = {"country": [b"US", b"DE", b"FR"]}


def test_a_reordered_and_grown_vocabulary_moves_rows_by_token_and_keeps_the_bias():
    kernel = np.arange(8, dtype=np.float32).reshape(4, 2)  # 3 tokens + 1 OOV bucket
    bias = np.array([5.0, 6.0], dtype=np.float32)
    fresh = [np.full((5, 2), -1.0, dtype=np.float32), np.zeros(2, dtype=np.float32)]
    new = {"country": [b"BR", b"FR", b"US", b"DE"]}
    (rows, kept_bias), remap = remap_layer("country_id_dense", [kernel, bias], fresh, OLD, new)
    np.testing.assert_array_equal(rows, [[-1, -1], [4, 5], [0, 1], [2, 3], [6, 7]])
    np.testing.assert_array_equal(kept_bias, bias)
    assert remap.describe() == "country_id_dense by country: 3 shared, 1 new, 0 dropped tokens"


def test_a_layer_without_a_matching_vocabulary_stays_fresh_and_says_so():
    fresh = [np.zeros((5, 2))]
    weights, remap = remap_layer("city_embedding", [np.ones((4, 2))], fresh, OLD, {"country": OLD["country"]})
    assert weights is fresh and "no vocabulary matches; left freshly initialized" in remap.describe()


def test_a_vocabulary_reordered_by_frequency_moves_rows_even_when_sizes_match():
    embedding = np.arange(8, dtype=np.float32).reshape(4, 2)
    new = {"country": [b"FR", b"US", b"DE"]}
    [rows], remap = remap_layer("country_id_embedding", [embedding], [np.zeros((4, 2))], OLD, new)
    np.testing.assert_array_equal(rows, [[4, 5], [0, 1], [2, 3], [6, 7]])
    assert remap.shared_tokens == 3 and remap.new_tokens == 0
