"""Penguin features with TFT: z-scored measurements, vocabularies for island and sex."""

import tensorflow as tf
import tensorflow_transform as tft

LABEL = "species"
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]


def _dense(feature, default):
    if isinstance(feature, tf.SparseTensor):
        feature = tf.sparse.to_dense(
            tf.SparseTensor(feature.indices, feature.values, [feature.dense_shape[0], 1]), default)
    return tf.reshape(feature, [-1])


def preprocessing_fn(inputs):
    """Measurements as z-scores (missing ones at the mean), categories as vocabulary ids."""
    outputs = {}
    for name in NUMERIC:
        value = tf.cast(_dense(inputs[name], float("nan")), tf.float32)
        mean = tft.mean(tf.where(tf.math.is_nan(value), tf.zeros_like(value), value))
        outputs[f"{name}_z"] = tft.scale_to_z_score(tf.where(tf.math.is_nan(value), mean, value))
    for name in CATEGORICAL:
        outputs[f"{name}_id"] = tft.compute_and_apply_vocabulary(_dense(inputs[name], ""), num_oov_buckets=1,
                                                                 vocab_filename=name)
    outputs[LABEL] = _dense(inputs[LABEL], 0)
    return outputs
