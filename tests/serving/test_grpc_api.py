"""TF Serving's gRPC API through tensorflow-serving-api's own client stubs."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from tests.serving.fixture_model import ROWS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stubs(server):
    from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

    with grpc.insecure_channel(server.grpc_target) as channel:
        yield (prediction_service_pb2_grpc.PredictionServiceStub(channel),
               model_service_pb2_grpc.ModelServiceStub(channel))


def examples_of(server, rows):
    spec = server.repository.model("ctr").get().feature_spec
    return [spec.to_example_bytes(row, "row") for row in rows]


def predict_request(name, examples, version=None, label=None, signature="", input_name="examples"):
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    request.inputs[input_name].CopyFrom(tf.make_tensor_proto(examples))
    return request


def test_predict_on_serialized_examples_matches_rest(server, stubs):
    import httpx
    import tensorflow as tf

    prediction, _ = stubs
    response = prediction.Predict(predict_request("ctr", examples_of(server, ROWS)), timeout=30)
    assert response.model_spec.name == "ctr" and response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "serving_default"
    over_grpc = tf.make_ndarray(response.outputs["probability"])
    over_rest = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS}).json()
    assert np.allclose(over_grpc, over_rest["predictions"], atol=1e-6)
    labelled = prediction.Predict(predict_request("ctr", examples_of(server, ROWS), label="stable"))
    assert labelled.model_spec.version.value == 1
    versioned = prediction.Predict(predict_request("other", examples_of(server, ROWS), version=7))
    assert versioned.model_spec.version.value == 7


def test_classify_and_regress_with_context(server, stubs):
    from tensorflow.core.example import example_pb2
    from tensorflow_serving.apis import classification_pb2, regression_pb2

    prediction, _ = stubs
    parsed = [example_pb2.Example.FromString(e) for e in examples_of(server, ROWS)]
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "ctr"
    request.model_spec.signature_name = "classification"
    context = example_pb2.Example()
    context.features.feature["hour"].CopyFrom(parsed[0].features.feature["hour"])
    with_context = request.input.example_list_with_context
    with_context.context.CopyFrom(context)
    for example in parsed:
        trimmed = example_pb2.Example()
        trimmed.CopyFrom(example)
        del trimmed.features.feature["hour"]
        with_context.examples.append(trimmed)
    response = prediction.Classify(request, timeout=30)
    same_hour = [dict(row, hour=ROWS[0]["hour"]) for row in ROWS]
    expected = server.repository.model("ctr").get().predict(examples_of(server, same_hour), "classification")
    classes = response.result.classifications
    assert [c.label for c in classes[0].classes] == ["no_click", "click"]
    assert np.allclose([[c.score for c in row.classes] for row in classes], expected["scores"], atol=1e-6)

    regress = regression_pb2.RegressionRequest()
    regress.model_spec.name = "ctr"
    regress.model_spec.signature_name = "regression"
    regress.input.example_list.examples.extend(parsed)
    values = [r.value for r in prediction.Regress(regress, timeout=30).result.regressions]
    direct = server.repository.model("ctr").get().predict(examples_of(server, ROWS), "regression")
    assert np.allclose(values, direct["outputs"][:, 0], atol=1e-5)


def test_metadata_and_model_status(server, stubs):
    from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2

    prediction, models = stubs
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "ctr"
    response = prediction.GetModelMetadata(request, timeout=30)
    signatures = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(signatures)
    assert signatures.signature_def["classification"].inputs["inputs"].dtype == 7  # DT_STRING
    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = "ctr"
    status = models.GetModelStatus(status_request, timeout=30)
    assert {(s.version, s.state) for s in status.model_version_status} == {
        (1, get_model_status_pb2.ModelVersionStatus.AVAILABLE),
        (2, get_model_status_pb2.ModelVersionStatus.AVAILABLE)}


@pytest.mark.parametrize("request_args, code, message", [
    ({"name": "nope"}, grpc.StatusCode.NOT_FOUND, "unknown model 'nope'"),
    ({"name": "ctr", "version": 9}, grpc.StatusCode.NOT_FOUND, "has no version 9"),
    ({"name": "ctr", "label": "beta"}, grpc.StatusCode.NOT_FOUND, "no version label 'beta'"),
    ({"name": "ctr", "signature": "nope"}, grpc.StatusCode.INVALID_ARGUMENT, "no signature 'nope'"),
    ({"name": "ctr", "input_name": "rows"}, grpc.StatusCode.INVALID_ARGUMENT,
     "input 'rows' is not an input of signature 'serving_default' (inputs: examples)"),
])
def test_errors_carry_tf_servings_status_codes(server, stubs, request_args, code, message):
    prediction, _ = stubs
    with pytest.raises(grpc.RpcError) as raised:
        prediction.Predict(predict_request(examples=examples_of(server, ROWS), **request_args), timeout=30)
    assert raised.value.code() == code and message in raised.value.details()


def test_a_non_string_input_is_rejected_naming_it(server, stubs):
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    prediction, _ = stubs
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "ctr"
    request.inputs["examples"].CopyFrom(tf.make_tensor_proto([1.0, 2.0]))
    with pytest.raises(grpc.RpcError) as raised:
        prediction.Predict(request, timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "input 'examples' must be a DT_STRING tensor of serialized tf.Examples, got DT_FLOAT" in (
        raised.value.details())


def test_multi_inference_is_unimplemented_not_a_crash(server, stubs):
    from tensorflow_serving.apis import inference_pb2

    prediction, _ = stubs
    with pytest.raises(grpc.RpcError) as raised:
        prediction.MultiInference(inference_pb2.MultiInferenceRequest(), timeout=30)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert prediction.Predict(predict_request("ctr", examples_of(server, ROWS)), timeout=30).outputs


def test_examples_are_checked_before_batching_naming_the_field(server, stubs):
    from tensorflow.core.example import example_pb2
    from tensorflow_serving.apis import classification_pb2

    prediction, _ = stubs
    [good] = [example_pb2.Example.FromString(e) for e in examples_of(server, ROWS[:1])]
    not_text = example_pb2.Example()
    not_text.CopyFrom(good)
    not_text.features.feature["platform"].bytes_list.value[0] = b"\xff\xfe"
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "ctr"
    request.model_spec.signature_name = "classification"
    request.input.example_list.examples.extend([good, not_text])
    with pytest.raises(grpc.RpcError) as raised:
        prediction.Classify(request, timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "input: example_list.examples[1]: feature 'platform' is not UTF-8 text" in raised.value.details()
    with pytest.raises(grpc.RpcError) as raised:
        prediction.Predict(predict_request("ctr", [b"\x0a\x05junk!"]), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs['examples'][0]: not a serialized tf.Example" in raised.value.details()
