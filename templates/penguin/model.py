"""A small multiclass tf_keras model for the penguin species."""

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from preprocessing import CATEGORICAL, LABEL, NUMERIC
from tfx_bsl.public import tfxio

from components import export_serving_model, load_base_weights

CLASSES = 3


def build_model(tf_transform_output):
    """Numeric inputs plus small embeddings of island and sex, two dense layers, softmax."""
    inputs, parts = {}, []
    for name in NUMERIC:
        inputs[f"{name}_z"] = keras.Input(shape=(), name=f"{name}_z", dtype=tf.float32)
        parts.append(keras.layers.Reshape((1,))(inputs[f"{name}_z"]))
    for name in CATEGORICAL:
        size = tf_transform_output.vocabulary_size_by_name(name) + 1
        inputs[f"{name}_id"] = keras.Input(shape=(), name=f"{name}_id", dtype=tf.int64)
        parts.append(keras.layers.Embedding(size, 2)(inputs[f"{name}_id"]))
    hidden = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()(parts))
    return keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(hidden))


def run_fn(fn_args):
    """Trains on the transformed examples; exports a raw-tf.Example serving signature."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    hp = fn_args.hyperparameters
    keras.utils.set_random_seed(hp.get("seed", 1))
    schema = tf_transform_output.transformed_metadata.schema
    options = tfxio.TensorFlowDatasetOptions(batch_size=hp.get("batch_size", 32), label_key=LABEL,
                                             shuffle_seed=hp.get("seed", 1))
    train = fn_args.data_accessor.tf_dataset_factory(fn_args.train_files, options, schema).repeat()
    evaluation = fn_args.data_accessor.tf_dataset_factory(fn_args.eval_files, options, schema).repeat()
    model = build_model(tf_transform_output)
    load_base_weights(model, fn_args.base_model)
    model.compile(optimizer=keras.optimizers.Adam(hp.get("learning_rate", 0.01)),
                  loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, epochs=1, verbose=0)
    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir, label_key=LABEL)
