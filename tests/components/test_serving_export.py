"""`export_serving_model`: a model of tf_keras's own layers is saved without per-layer traces and still
loads with `tf_keras.models.load_model`; a model with a layer class of its own keeps its traces."""

from __future__ import annotations

import numpy as np
import pytest

import pipelines  # noqa: F401  (tf.keras is tf_keras from here on)
from components.trainer.serving_export import export_serving_model, rebuilt_from_config

pytestmark = pytest.mark.e2e
ROWS = [{"country": b"de", "hour": 3.0, "clicked": 1}, {"country": b"fr", "hour": 7.0, "clicked": 0},
        {"country": b"de", "hour": 11.0, "clicked": 0}, {"country": b"us", "hour": 20.0, "clicked": 1}]


def preprocessing_fn(inputs):
    import tensorflow_transform as tft

    return {"country_id": tft.compute_and_apply_vocabulary(inputs["country"]),
            "hour_scaled": tft.scale_to_z_score(inputs["hour"])}


@pytest.fixture(scope="module")
def transform_output(tmp_path_factory):
    import tempfile

    import tensorflow as tf
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils

    spec = {"country": tf.io.FixedLenFeature([], tf.string), "hour": tf.io.FixedLenFeature([], tf.float32),
            "clicked": tf.io.FixedLenFeature([], tf.int64)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    target = str(tmp_path_factory.mktemp("transform"))
    with tft_beam.Context(temp_dir=tempfile.mkdtemp()):
        transform_fn = (ROWS, metadata) | tft_beam.AnalyzeDataset(preprocessing_fn)
        _ = transform_fn | tft_beam.WriteTransformFn(target)
    metadata_io.write_metadata(metadata, f"{target}/{tft.TFTransformOutput.RAW_METADATA_DIR}")
    return tft.TFTransformOutput(target)


def built_in_model():
    import tf_keras as keras

    country = keras.Input(shape=(), dtype="int64", name="country_id")
    hour = keras.Input(shape=(), dtype="float32", name="hour_scaled")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 2, name="country_embedding")(country))
    joined = keras.layers.Concatenate()([embedded, keras.layers.Reshape((1,))(hour)])
    return keras.Model([country, hour], keras.layers.Dense(1, activation="sigmoid", name="click")(joined))


def custom_model():
    import tf_keras as keras

    class Doubled(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    hour = keras.Input(shape=(), dtype="float32", name="hour_scaled")
    country = keras.Input(shape=(), dtype="int64", name="country_id")
    output = keras.layers.Dense(1, name="click")(keras.layers.Reshape((1,))(Doubled()(hour)))
    return keras.Model([country, hour], output)


def serialized_examples():
    import tensorflow as tf

    def example(row):
        feature = {"country": tf.train.Feature(bytes_list=tf.train.BytesList(value=[row["country"]])),
                   "hour": tf.train.Feature(float_list=tf.train.FloatList(value=[row["hour"]]))}
        return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()

    return tf.constant([example(row) for row in ROWS])


def traced_layer_functions(saved_model_dir) -> list[str]:
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(f"{saved_model_dir}/saved_model.pb", "rb") as source:
        proto.ParseFromString(source.read())
    library = proto.meta_graphs[0].graph_def.library.function
    return [function.signature.name for function in library
            if "call_and_return_conditional_losses" in function.signature.name]


def test_a_model_of_built_in_layers_is_saved_without_traces_and_loads_the_same(transform_output, tmp_path):
    import tensorflow as tf
    import tf_keras as keras

    model = built_in_model()
    assert rebuilt_from_config(model)
    export_serving_model(model, transform_output, str(tmp_path), label_key="clicked")
    assert traced_layer_functions(tmp_path) == []
    served = tf.saved_model.load(str(tmp_path)).signatures["serving_default"](serialized_examples())
    transformed = transform_output.transform_raw_features(
        tf.io.parse_example(serialized_examples(), {name: spec for name, spec in
                                                    transform_output.raw_feature_spec().items()
                                                    if name != "clicked"}))
    inputs = {name: transformed[name] for name in ("country_id", "hour_scaled")}
    reloaded = keras.models.load_model(str(tmp_path))
    np.testing.assert_allclose(served["outputs"].numpy(), model(inputs).numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(reloaded(inputs).numpy(), model(inputs).numpy(), rtol=0, atol=1e-6)


def test_a_model_with_a_layer_class_of_its_own_keeps_its_traces_and_loads_without_custom_objects(
        transform_output, tmp_path):
    import tf_keras as keras

    model = custom_model()
    assert not rebuilt_from_config(model)
    export_serving_model(model, transform_output, str(tmp_path), label_key="clicked")
    assert traced_layer_functions(tmp_path) != []
    reloaded = keras.models.load_model(str(tmp_path))  # revived from the traces: no custom_objects
    assert [layer.name for layer in reloaded.layers] == [layer.name for layer in model.layers]
