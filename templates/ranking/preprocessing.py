"""Ranking features with TFT: each numeric feature discretized into quantile buckets."""

import tensorflow as tf
import tensorflow_transform as tft

LABEL = "engaged"
NUMERIC = ["user_activity", "item_popularity", "item_age_hours", "position"]
BUCKETS = 10


def preprocessing_fn(inputs):
    """`<feature>_bucket`: the feature's quantile bucket (0..BUCKETS-1), computed over the data."""
    outputs = {f"{name}_bucket": tft.bucketize(tf.reshape(tf.cast(inputs[name], tf.float32), [-1]), BUCKETS)
               for name in NUMERIC}
    outputs[LABEL] = tf.reshape(inputs[LABEL], [-1])
    return outputs
