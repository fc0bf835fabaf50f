"""Featurization of ad click-through data with TFT: one graph shared by training and serving."""

import tensorflow as tf
import tensorflow_transform as tft

LABEL = "clicked"
CATEGORICAL = ["country", "platform", "ad_category"]
NUMERIC = ["user_ctr_30d", "user_past_impressions_7d", "user_past_clicks_7d"]
ADVERTISER_BUCKETS = 1000


def _dense(feature, default):
    """A [batch] tensor from a feature that may arrive sparse (missing values get `default`)."""
    if isinstance(feature, tf.SparseTensor):
        feature = tf.sparse.to_dense(
            tf.SparseTensor(feature.indices, feature.values, [feature.dense_shape[0], 1]), default)
    return tf.reshape(feature, [-1])


def preprocessing_fn(inputs):
    """Vocabularies for categories, hashing for advertisers, z-scores for numbers, the hour as is."""
    outputs = {}
    for name in CATEGORICAL:
        outputs[f"{name}_id"] = tft.compute_and_apply_vocabulary(
            _dense(inputs[name], ""), num_oov_buckets=1, vocab_filename=name)
    outputs["advertiser_bucket"] = tft.hash_strings(_dense(inputs["advertiser_id"], ""), ADVERTISER_BUCKETS)
    outputs["hour"] = tf.clip_by_value(_dense(inputs["hour"], 0), 0, 23)
    for name in NUMERIC:
        outputs[f"{name}_z"] = tft.scale_to_z_score(tf.cast(_dense(inputs[name], 0), tf.float32))
    outputs[LABEL] = _dense(inputs[LABEL], 0)
    return outputs
