"""A small multiclass tf_keras model for the penguin species, with a tuner_fn for its search space."""

import keras_tuner
import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from preprocessing import CATEGORICAL, LABEL, NUMERIC
from tfx_bsl.public import tfxio

from components import TunerFnResult, export_serving_model, load_base_weights

CLASSES = 3
SEED = 1


def search_space():
    """The hyperparameters the Tuner searches (their defaults train when there is no Tuner)."""
    hp = keras_tuner.HyperParameters()
    hp.Choice("learning_rate", [0.01, 0.003], default=0.01)
    hp.Int("hidden_units", 8, 32, step=8, default=16)
    return hp


def build_model(tf_transform_output, hp):
    """Numeric inputs plus small embeddings of island and sex, one tuned dense layer, softmax."""
    inputs, parts = {}, []
    for name in NUMERIC:
        inputs[f"{name}_z"] = keras.Input(shape=(), name=f"{name}_z", dtype=tf.float32)
        parts.append(keras.layers.Reshape((1,))(inputs[f"{name}_z"]))
    for name in CATEGORICAL:
        size = tf_transform_output.vocabulary_size_by_name(name) + 1
        inputs[f"{name}_id"] = keras.Input(shape=(), name=f"{name}_id", dtype=tf.int64)
        parts.append(keras.layers.Embedding(size, 2)(inputs[f"{name}_id"]))
    hidden = keras.layers.Dense(hp.get("hidden_units"), activation="relu")(keras.layers.Concatenate()(parts))
    model = keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(hidden))
    model.compile(optimizer=keras.optimizers.Adam(hp.get("learning_rate")),
                  loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def _datasets(fn_args, tf_transform_output):
    schema = tf_transform_output.transformed_metadata.schema
    options = tfxio.TensorFlowDatasetOptions(batch_size=32, label_key=LABEL, shuffle_seed=SEED)
    return [fn_args.data_accessor.tf_dataset_factory(files, options, schema).repeat()
            for files in (fn_args.train_files, fn_args.eval_files)]


def tuner_fn(fn_args):
    """TFX's Tuner contract: a KerasTuner random search over `search_space()`."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_graph_path)
    tuner = keras_tuner.RandomSearch(
        lambda hp: build_model(tf_transform_output, hp), hyperparameters=search_space(),
        objective=keras_tuner.Objective("val_sparse_categorical_accuracy", "max"), max_trials=4,
        seed=SEED, directory=fn_args.working_dir, project_name="penguin")
    train, evaluation = _datasets(fn_args, tf_transform_output)
    return TunerFnResult(tuner=tuner, fit_kwargs={
        "x": train, "validation_data": evaluation, "steps_per_epoch": fn_args.train_steps,
        "validation_steps": fn_args.eval_steps, "verbose": 0})


def run_fn(fn_args):
    """Trains with the tuned hyperparameters; exports a raw-tf.Example serving signature."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    hp = (keras_tuner.HyperParameters.from_config(fn_args.hyperparameters) if fn_args.hyperparameters
          else search_space())
    keras.utils.set_random_seed(SEED)
    train, evaluation = _datasets(fn_args, tf_transform_output)
    model = build_model(tf_transform_output, hp)
    load_base_weights(model, fn_args.base_model)
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, epochs=1, verbose=0)
    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir, label_key=LABEL)
