"""Labelled examples with known effects and fixed-weight models, for the Evaluator's tests (real TFMA).

x drives the label, z is noise; 20% of rows come from the web platform. With `rare_platforms`,
60 `car` rows hold exactly 3 positives and 60 `tv` rows none.
"""

from pathlib import Path

import numpy as np

from pipelines import Output, Parameter, component
from pipelines.artifacts import Examples, Model


def _example(x, z, platform, label):
    import tensorflow as tf

    return tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[x])),
        "z": tf.train.Feature(float_list=tf.train.FloatList(value=[z])),
        "platform": tf.train.Feature(bytes_list=tf.train.BytesList(value=[platform])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
    })).SerializeToString()


@component
def labelled_examples(examples: Output[Examples], span: Parameter[int] = 1, rows: Parameter[int] = 600,
                      rare_platforms: Parameter[bool] = False):
    """`rows` labelled examples in an eval split (seeded by span)."""
    import tensorflow as tf

    rng = np.random.default_rng(span)
    directory = Path(examples.split_uri("eval"))
    directory.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(directory / "data_tfrecord-00000.gz"), options="GZIP") as writer:
        for _ in range(rows):
            x, z = rng.normal(), rng.normal()
            platform = b"web" if rng.random() < 0.2 else b"ios"
            writer.write(_example(x, z, platform, int(x + rng.normal(0, 0.5) > 0)))
        for index in range(60 if rare_platforms else 0):
            x, z = rng.normal(), rng.normal()
            writer.write(_example(x, z, b"car", int(index < 3)))
            writer.write(_example(x, z, b"tv", 0))
    examples.span = span
    examples.split_names = ["eval"]


@component
def fixed_model(model: Output[Model], weight_x: Parameter[float] = 3.0, weight_z: Parameter[float] = 0.0,
                flip_on_web: Parameter[bool] = False):
    """A logistic model with fixed weights, exported with a serving signature over tf.Example, and
    a `transform_features` signature making `label_xf` from `label` (as TFX's taxi model makes
    `tips_xf`: a label that only the model's preprocessing has)."""
    import tensorflow as tf
    import tf_keras as keras

    inputs = keras.Input(shape=(3,), name="features")
    outputs = keras.layers.Dense(1, activation="sigmoid")(inputs)
    keras_model = keras.Model(inputs, outputs)
    keras_model.layers[1].set_weights([np.array([[weight_x], [weight_z], [0.0]], np.float32),
                                       np.zeros(1, np.float32)])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        parsed = tf.io.parse_example(serialized, {
            "x": tf.io.FixedLenFeature([1], tf.float32), "z": tf.io.FixedLenFeature([1], tf.float32),
            "platform": tf.io.FixedLenFeature([1], tf.string)})
        sign = tf.where(tf.equal(parsed["platform"], "web"), -1.0, 1.0) if flip_on_web else 1.0
        features = tf.concat([parsed["x"] * sign, parsed["z"], tf.zeros_like(parsed["x"])], axis=1)
        return {"outputs": keras_model(features)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def transform_features(serialized):
        parsed = tf.io.parse_example(serialized, {"label": tf.io.FixedLenFeature([1], tf.int64)})
        return {"label_xf": tf.cast(parsed["label"], tf.float32)}

    keras_model.save(model.path("Format-Serving"), save_format="tf",
                     signatures={"serving_default": serve, "transform_features": transform_features})
