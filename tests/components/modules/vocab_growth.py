"""A tiny TFX-style module: a country vocabulary feeding an embedding, warm-started by token."""

import os

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx_bsl.public import tfxio

from components import export_serving_model, load_base_weights


def preprocessing_fn(inputs):
    country = tf.reshape(tf.sparse.to_dense(inputs["country"], ""), [-1])
    return {"country_id": tft.compute_and_apply_vocabulary(country, num_oov_buckets=1,
                                                           vocab_filename="country"),
            "clicked": tf.reshape(tf.sparse.to_dense(inputs["clicked"], 0), [-1])}


def run_fn(fn_args):
    output = tft.TFTransformOutput(fn_args.transform_output)
    country = keras.Input(shape=(), name="country_id", dtype=tf.int64)
    size = output.vocabulary_size_by_name("country") + 1
    embedded = keras.layers.Embedding(size, 4, name="country_id_embedding")(country)
    hp = fn_args.hyperparameters
    output_layer = keras.layers.Dense(1, activation="sigmoid", name=hp.get("output_layer", "out"))
    model = keras.Model({"country_id": country}, output_layer(embedded))
    load_base_weights(model, fn_args.base_model, output, strict=hp.get("strict", False))
    np.save(os.path.join(fn_args.model_run_dir, "initial_embedding.npy"),
            model.get_layer("country_id_embedding").get_weights()[0])
    options = tfxio.TensorFlowDatasetOptions(batch_size=16, label_key="clicked")
    data = fn_args.data_accessor.tf_dataset_factory(fn_args.train_files, options,
                                                    output.transformed_metadata.schema)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(data, steps_per_epoch=fn_args.train_steps, epochs=1, verbose=0)
    export_serving_model(model, output, fn_args.serving_model_dir, label_key="clicked")
