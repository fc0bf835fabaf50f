"""A seeded tf_keras model over the synthetic examples, and a blessing verdict, as pipeline steps."""

from pathlib import Path

from pipelines import Output, Parameter, component
from pipelines.artifacts import Model, ModelBlessing


@component
def tiny_model(model: Output[Model]):
    """A seeded tf_keras model whose serving signature takes serialized tf.Examples."""
    import tensorflow as tf
    import tf_keras as keras

    keras.utils.set_random_seed(5)
    net = keras.Sequential([keras.layers.Dense(4, activation="relu"),
                            keras.layers.Dense(1, activation="sigmoid")])
    net.build((None, 2))
    spec = {"age": tf.io.FixedLenFeature([1], tf.int64), "income": tf.io.FixedLenFeature([1], tf.float32)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        parsed = tf.io.parse_example(serialized, spec)
        features = tf.concat([tf.cast(parsed["age"], tf.float32) / 80.0, parsed["income"] / 100.0], axis=1)
        return {"outputs": net(features)}

    net.save(model.path("Format-Serving"), save_format="tf", signatures={"serving_default": serve})


@component
def verdict(blessing: Output[ModelBlessing], blessed: Parameter[int] = 1):
    Path(blessing.path("BLESSED" if blessed else "NOT_BLESSED")).touch()
    blessing.blessed = blessed
