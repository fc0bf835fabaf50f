"""An MLP over bucket embeddings, trained on negatives downsampled (as ranking models often are).

Downsampling negatives makes training cheaper and the positive class visible, but inflates the
predicted probabilities; the pipeline's Calibrator phase maps them back to observed rates.
"""

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from preprocessing import BUCKETS, LABEL, NUMERIC
from tfx_bsl.public import tfxio

from components import export_serving_model

BATCH = 64


def build_model():
    """Each bucket id embedded in 4 dimensions, concatenated, one hidden layer, a sigmoid."""
    inputs = {f"{name}_bucket": keras.Input(shape=(), name=f"{name}_bucket", dtype=tf.int64)
              for name in NUMERIC}
    embedded = [keras.layers.Embedding(BUCKETS + 1, 4)(tensor) for tensor in inputs.values()]
    hidden = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()(embedded))
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))


def _downsampled(dataset, keep_rate, seed):
    """Keeps every positive and a `keep_rate` share of negatives."""
    def keep(features, label):
        return tf.logical_or(tf.equal(label, 1), tf.random.uniform([], seed=seed) < keep_rate)
    return dataset.unbatch().filter(keep).batch(BATCH)


def run_fn(fn_args):
    """Trains the MLP; exports a raw-tf.Example serving signature with the transform inside."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    hp = fn_args.hyperparameters
    seed = hp.get("seed", 1)
    keras.utils.set_random_seed(seed)
    options = tfxio.TensorFlowDatasetOptions(batch_size=BATCH, label_key=LABEL, shuffle_seed=seed)
    schema = tf_transform_output.transformed_metadata.schema
    train = fn_args.data_accessor.tf_dataset_factory(fn_args.train_files, options, schema)
    train = _downsampled(train, hp.get("negative_keep_rate", 0.25), seed).repeat()
    evaluation = fn_args.data_accessor.tf_dataset_factory(fn_args.eval_files, options, schema).repeat()
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(hp.get("learning_rate", 0.01)), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")])
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, epochs=1, verbose=0)
    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir, label_key=LABEL)
