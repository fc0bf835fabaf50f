"""A module written for TFX's generic Trainer and Transform, the way TFX users write them.

Nothing here knows about Starling: preprocessing_fn(inputs) for Transform, run_fn(fn_args) for
Trainer, TFXIO dataset options, TFTransformOutput and a tft_layer serving signature.
"""


import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx_bsl.public import tfxio

_LABEL_KEY = "clicked"
_NUMERIC_FEATURE_KEYS = ["user_ctr_30d", "user_past_impressions_7d", "hour"]


def _fill_in_missing(x):
    if not isinstance(x, tf.sparse.SparseTensor):
        return x
    default_value = "" if x.dtype == tf.string else 0
    return tf.squeeze(tf.sparse.to_dense(
        tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default_value), axis=1)


def preprocessing_fn(inputs):
    outputs = {}
    for key in _NUMERIC_FEATURE_KEYS:
        outputs[key + "_xf"] = tft.scale_to_z_score(tf.cast(_fill_in_missing(inputs[key]), tf.float32))
    outputs["platform_xf"] = tft.compute_and_apply_vocabulary(_fill_in_missing(inputs["platform"]))
    outputs[_LABEL_KEY] = _fill_in_missing(inputs[_LABEL_KEY])
    return outputs


def _input_fn(file_pattern: list[str], data_accessor, tf_transform_output, batch_size: int = 200):
    return data_accessor.tf_dataset_factory(
        file_pattern,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=_LABEL_KEY),
        tf_transform_output.transformed_metadata.schema).repeat()


def _build_keras_model() -> keras.Model:
    inputs = [keras.layers.Input(shape=(1,), name=key + "_xf") for key in _NUMERIC_FEATURE_KEYS]
    platform = keras.layers.Input(shape=(1,), name="platform_xf", dtype=tf.int64)
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 3)(platform))
    d = keras.layers.concatenate(inputs + [embedded])
    d = keras.layers.Dense(8, activation="relu")(d)
    outputs = keras.layers.Dense(1, activation="sigmoid")(d)
    model = keras.Model(inputs=inputs + [platform], outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    return model


def _get_serve_tf_examples_fn(model, tf_transform_output):
    model.tft_layer = tf_transform_output.transform_features_layer()

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples_fn(serialized_tf_examples):
        feature_spec = tf_transform_output.raw_feature_spec()
        feature_spec.pop(_LABEL_KEY)
        parsed_features = tf.io.parse_example(serialized_tf_examples, feature_spec)
        transformed_features = model.tft_layer(parsed_features)
        return model(transformed_features)

    return serve_tf_examples_fn


def run_fn(fn_args):
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train_dataset = _input_fn(fn_args.train_files, fn_args.data_accessor, tf_transform_output)
    eval_dataset = _input_fn(fn_args.eval_files, fn_args.data_accessor, tf_transform_output)
    model = _build_keras_model()
    model.fit(train_dataset, steps_per_epoch=fn_args.train_steps, validation_data=eval_dataset,
              validation_steps=fn_args.eval_steps, verbose=0)
    signatures = {"serving_default": _get_serve_tf_examples_fn(model, tf_transform_output)}
    model.save(fn_args.serving_model_dir, save_format="tf", signatures=signatures)
