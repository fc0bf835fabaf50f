"""The click-through model (tf_keras): embeddings of the transformed features, warm-start aware."""

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from preprocessing import ADVERTISER_BUCKETS, CATEGORICAL, LABEL, NUMERIC
from tfx_bsl.public import tfxio

from components import export_serving_model, load_base_weights


def build_model(tf_transform_output, hidden_units=32, embedding_dim=8):
    """Embeddings for categorical ids, the advertiser bucket and the hour; numbers as they are."""
    inputs, parts = {}, []
    sizes = {f"{name}_id": tf_transform_output.vocabulary_size_by_name(name) + 1 for name in CATEGORICAL}
    sizes.update(advertiser_bucket=ADVERTISER_BUCKETS, hour=24)
    for name, size in sizes.items():
        inputs[name] = keras.Input(shape=(), name=name, dtype=tf.int64)
        parts.append(keras.layers.Embedding(size, embedding_dim, name=f"{name}_embedding")(inputs[name]))
    for name in NUMERIC:
        inputs[f"{name}_z"] = keras.Input(shape=(), name=f"{name}_z", dtype=tf.float32)
        parts.append(keras.layers.Reshape((1,))(inputs[f"{name}_z"]))
    hidden = keras.layers.Dense(hidden_units, activation="relu")(keras.layers.Concatenate()(parts))
    output = keras.layers.Dense(1, activation="sigmoid", name="click_probability")(hidden)
    return keras.Model(inputs, output)


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
    batch_size = hp.get("batch_size", 256)
    train = _dataset(fn_args, fn_args.train_files, schema, batch_size, seed, hp.get("invert_labels", False))
    evaluation = _dataset(fn_args, fn_args.eval_files, schema, batch_size, seed)
    model = build_model(tf_transform_output, hp.get("hidden_units", 32))
    warm_started = load_base_weights(model, fn_args.base_model, tf_transform_output)  # by token
    model.compile(optimizer=keras.optimizers.Adam(hp.get("learning_rate", 0.005)),
                  loss="binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, epochs=1, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(fn_args.model_run_dir)])
    print(f"trained {fn_args.train_steps} steps, warm start: {warm_started}")
    export_serving_model(model, tf_transform_output, fn_args.serving_model_dir, label_key=LABEL)
