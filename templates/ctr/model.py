"""The click-through model (tf_keras): wide and deep over the transformed features, warm-start aware.

The wide part is a learned weight per category, advertiser bucket and hour plus a linear term per
number; the deep part, small embeddings and one hidden layer, learns what crosses them. Both
are L2-regularized: a day brings a few hundred clicks, and an unregularized embedding of 1,000
advertiser buckets learns their noise. Every layer is named, because warm start carries a base
model's weights over by layer name.

Defaults were measured with `benchmarks/model_quality.py` (README, "Model quality"): about one
pass over a day's training split per run (`train_steps` x `batch_size` ~ the split's rows), at a
learning rate that leaves room for the next day: each day continues from the day before.
"""

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from preprocessing import ADVERTISER_BUCKETS, CATEGORICAL, LABEL, NUMERIC
from tfx_bsl.public import tfxio

from components import export_serving_model, load_base_weights

BASE_RATE_LOGIT = -3.5  # log-odds of a ~3% click rate: the output starts at the base rate


def _sizes(tf_transform_output):
    sizes = {f"{name}_id": tf_transform_output.vocabulary_size_by_name(name) + 1 for name in CATEGORICAL}
    sizes.update(advertiser_bucket=ADVERTISER_BUCKETS, hour=24)
    return sizes


def build_model(tf_transform_output, hidden_units=16, embedding_dim=4, l2=1e-3):
    """Wide (a weight per id) plus deep (embeddings, one hidden layer); numbers enter both."""
    regularizer = keras.regularizers.l2(l2)
    inputs, wide, deep = {}, [], []
    for name, size in _sizes(tf_transform_output).items():
        inputs[name] = keras.Input(shape=(), name=name, dtype=tf.int64)
        wide.append(keras.layers.Embedding(size, 1, embeddings_initializer="zeros",
                                           embeddings_regularizer=regularizer,
                                           name=f"{name}_weight")(inputs[name]))
        deep.append(keras.layers.Embedding(size, embedding_dim, embeddings_regularizer=regularizer,
                                           name=f"{name}_embedding")(inputs[name]))
    for name in NUMERIC:
        inputs[f"{name}_z"] = keras.Input(shape=(), name=f"{name}_z", dtype=tf.float32)
    numbers = keras.layers.Concatenate(name="numbers")(
        [keras.layers.Reshape((1,), name=f"{name}_column")(inputs[f"{name}_z"]) for name in NUMERIC])
    wide.append(keras.layers.Dense(1, name="numeric_weight")(numbers))
    hidden = keras.layers.Dense(hidden_units, activation="relu", kernel_regularizer=regularizer,
                                name="hidden")(keras.layers.Concatenate(name="deep_inputs")([*deep, numbers]))
    deep_logit = keras.layers.Dense(1, name="deep_logit",
                                    bias_initializer=keras.initializers.Constant(BASE_RATE_LOGIT))(hidden)
    logit = keras.layers.Add(name="logit")([*wide, deep_logit])
    output = keras.layers.Activation("sigmoid", name="click_probability")(logit)
    return keras.Model(inputs, output, name="ctr")


def _dataset(fn_args, files, schema, batch_size, seed, invert_labels=False):
    options = tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=LABEL, shuffle_seed=seed)
    dataset = fn_args.data_accessor.tf_dataset_factory(files, options, schema)
    if invert_labels:  # a deliberately broken model, for seeing the blessing gate work
        dataset = dataset.map(lambda features, label: (features, 1 - label))
    return dataset


def run_fn(fn_args):
    """Trains on the transformed examples and exports a raw-tf.Example serving signature."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    hp = fn_args.hyperparameters
    seed = hp.get("seed", 7)
    keras.utils.set_random_seed(seed)  # the same data and settings train the same model
    schema = tf_transform_output.transformed_metadata.schema
    batch_size = hp.get("batch_size", 128)
    train = _dataset(fn_args, fn_args.train_files, schema, batch_size, seed, hp.get("invert_labels", False))
    evaluation = _dataset(fn_args, fn_args.eval_files, schema, batch_size, seed)
    model = build_model(tf_transform_output, hp.get("hidden_units", 16), hp.get("embedding_dim", 4),
                        hp.get("l2", 1e-3))
    warm_start = load_base_weights(model, fn_args.base_model, tf_transform_output)  # by name, by token
    learning_rate = hp.get("warm_learning_rate", 0.003) if warm_start else hp.get("learning_rate", 0.01)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, epochs=1, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(fn_args.model_run_dir)])
    print(f"trained {fn_args.train_steps} steps of {batch_size} at learning rate {learning_rate}, "
          f"{warm_start.describe() if warm_start else 'from scratch'}")
    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir, label_key=LABEL)
