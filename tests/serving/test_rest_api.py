"""TF Serving's REST API over real HTTP against the fixture SavedModel."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import pytest

from tests.serving.fixture_model import ROWS

pytestmark = pytest.mark.e2e


def in_process(saved_model, rows, signature="serving_default"):
    """The fixture model's outputs for `rows`, called in-process without the server."""
    from serving.loaded_model import load_version

    model = load_version("direct", 1, str(saved_model))
    return model.predict([model.feature_spec.to_example_bytes(r, "row") for r in rows], signature)


def post(server, path, body):
    return httpx.post(f"{server.url}/v1/models/{path}", json=body, timeout=30)


def test_predict_rows_columns_and_serialized_examples_agree(server, saved_model):
    expected = in_process(saved_model, ROWS)["probability"].tolist()
    rows = post(server, "ctr:predict", {"instances": ROWS})
    assert rows.status_code == 200, rows.text
    assert np.allclose(rows.json()["predictions"], expected, atol=1e-6)
    assert rows.json()["model_version"] == "2"  # the newest version serves by default
    columns = post(server, "ctr:predict", {"inputs": {k: [r[k] for r in ROWS] for k in ROWS[0]}})
    assert np.allclose(columns.json()["outputs"], expected, atol=1e-6)  # one output: the value itself
    from serving.feature_spec import FeatureSpec

    spec = FeatureSpec.load(str(saved_model))
    encoded = [{"b64": base64.b64encode(spec.to_example_bytes(r, "row")).decode()} for r in ROWS]
    as_instances = post(server, "ctr:predict", {"instances": [{"examples": e} for e in encoded]})
    assert np.allclose(as_instances.json()["predictions"], expected, atol=1e-6)
    as_inputs = post(server, "ctr:predict", {"inputs": {"examples": encoded}})
    assert np.allclose(as_inputs.json()["outputs"], expected, atol=1e-6)


def test_versions_and_labels_address_the_same_model(server):
    assert post(server, "ctr/versions/1:predict", {"instances": ROWS}).json()["model_version"] == "1"
    assert post(server, "ctr/labels/stable:predict", {"instances": ROWS}).json()["model_version"] == "1"
    assert post(server, "ctr/labels/canary:predict", {"instances": ROWS}).json()["model_version"] == "2"
    assert post(server, "other/versions/7:predict", {"instances": ROWS}).status_code == 200
    status = httpx.get(f"{server.url}/v1/models/ctr/labels/stable").json()
    assert status == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    every = httpx.get(f"{server.url}/v1/models/ctr").json()["model_version_status"]
    assert [s["version"] for s in every] == ["2", "1"]


def test_signature_name_classify_and_regress(server, saved_model):
    direct = in_process(saved_model, ROWS, "classification")
    chosen = post(server, "ctr:predict", {"signature_name": "classification", "instances": ROWS})
    assert np.allclose([p["scores"] for p in chosen.json()["predictions"]], direct["scores"], atol=1e-6)
    assert chosen.json()["predictions"][0]["classes"] == ["no_click", "click"]
    classify = post(server, "ctr:classify", {"signature_name": "classification", "examples": ROWS[1:],
                                             "context": ROWS[0]})
    assert classify.status_code == 200, classify.text
    results = classify.json()["results"]
    assert [label for label, _ in results[0]] == ["no_click", "click"]
    assert np.allclose([[s for _, s in r] for r in results], direct["scores"][1:], atol=1e-6)
    regress = post(server, "ctr:regress", {"signature_name": "regression", "examples": ROWS})
    expected = in_process(saved_model, ROWS, "regression")["outputs"][:, 0]
    assert np.allclose(regress.json()["results"], expected, atol=1e-5)


def test_metadata_is_tf_servings_json(server):
    metadata = httpx.get(f"{server.url}/v1/models/ctr/versions/1/metadata").json()
    assert metadata["model_spec"] == {"name": "ctr", "signature_name": "", "version": "1"}
    signatures = metadata["metadata"]["signature_def"]["signature_def"]
    assert set(signatures) >= {"serving_default", "classification", "regression", "batch_total"}
    default = signatures["serving_default"]
    assert default["inputs"]["examples"]["dtype"] == "DT_STRING"
    assert default["outputs"]["probability"]["dtype"] == "DT_FLOAT"
    assert default["method_name"] == "tensorflow/serving/predict"


@pytest.mark.parametrize("path, body, status, message", [
    ("nope:predict", {"instances": ROWS}, 404, "unknown model 'nope'"),
    ("ctr/versions/9:predict", {"instances": ROWS}, 404, "has no version 9"),
    ("ctr/labels/beta:predict", {"instances": ROWS}, 404, "no version label 'beta' (labels: canary, stable)"),
    ("ctr/versions/x:predict", {"instances": ROWS}, 400, "version 'x' is not a number"),
    ("ctr:predict", {"signature_name": "nope", "instances": ROWS}, 400,
     "no signature 'nope' (signatures: batch_total, classification, regression, serving_default)"),
    ("ctr:classify", {"examples": ROWS}, 400, "cannot classify (signatures that can: classification)"),
    ("ctr:regress", {"signature_name": "classification", "examples": ROWS}, 400,
     "cannot regress (signatures that can: regression)"),
    ("ctr:explain", {"instances": ROWS}, 404, "unknown method ':explain'"),
    ("ctr:predict", {"instances": [{"x": 1.0, "platform": "ios"}]}, 400,
     "instances[0]: missing feature 'hour'"),
    ("ctr:predict", {"instances": [dict(ROWS[0], colour="red")]}, 400,
     "instances[0]: unknown feature 'colour'"),
    ("ctr:predict", {"instances": [dict(ROWS[0], x="high")]}, 400,
     "instances[0]: feature 'x' expects a number, got 'high'"),
    ("ctr:predict", {"instances": [dict(ROWS[0], hour=2.5)]}, 400,
     "instances[0]: feature 'hour' expects an integer, got 2.5"),
    ("ctr:predict", {"instances": [dict(ROWS[0], hour=None)]}, 400, "instances[0]: feature 'hour' is null"),
    ("ctr:predict", {"instances": [ROWS[0], dict(ROWS[0], hour=[1, 2, 3])]}, 400,
     "instances[1]: feature 'hour' expects one value, got a list of 3"),
    ("ctr:predict", {"instances": [dict(ROWS[0], hour={"h": 1})]}, 400,
     "instances[0]: feature 'hour' expects flat values, got a nested dict"),
    ("ctr:predict", {"instances": [dict(ROWS[0], platform={"b64": "***"})]}, 400,
     "instances[0]: feature 'platform': 'b64' is not valid base64"),
    ("ctr:predict", {"rows": ROWS}, 400, "either 'instances' (rows) or 'inputs'"),
    ("ctr:predict", {"inputs": {"x": [1.0], "hour": [1, 2]}}, 400, "columns differ in length"),
    ("ctr:predict", {"instances": [{"examples": {"b64": base64.b64encode(b"junk").decode()}}]}, 400,
     "instances[0]['examples']: not a serialized tf.Example"),
])
def test_errors_are_json_with_tf_servings_codes(server, path, body, status, message):
    response = post(server, path, body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]


def test_wrong_methods_paths_and_bodies_answer_json(server):
    get_predict = httpx.get(f"{server.url}/v1/models/ctr:predict")
    assert get_predict.status_code == 405 and "use POST" in get_predict.json()["error"]
    post_status = httpx.post(f"{server.url}/v1/models/ctr", json={})
    assert post_status.status_code == 405 and "use GET" in post_status.json()["error"]
    unknown = httpx.get(f"{server.url}/v2/anything")
    assert unknown.status_code == 404 and "no such endpoint" in unknown.json()["error"]
    malformed = httpx.post(f"{server.url}/v1/models/ctr:predict", content=b"{not json")
    assert malformed.status_code == 400 and "malformed JSON" in malformed.json()["error"]
    big = post(server, "ctr:predict", {"instances": ROWS * 2000})
    assert big.status_code == 400 and "exceeds the 65536-byte limit" in big.json()["error"]


def test_a_batch_that_breaks_the_worker_fails_alone(server):
    broken = post(server, "ctr:predict", {"signature_name": "batch_total", "instances": ROWS})
    assert broken.status_code == 500 and "output 'total' has shape []" in broken.json()["error"]
    assert server.inference.batcher.alive_workers == server.options.batching.threads
    assert post(server, "ctr:predict", {"instances": ROWS}).status_code == 200


def test_metrics_text_counts_requests_by_model_version_and_code(server):
    post(server, "other:predict", {"instances": ROWS})
    post(server, "other:predict", {"instances": [{"x": "bad"}]})
    text = httpx.get(f"{server.url}/monitoring/prometheus/metrics").text
    assert 'starling_requests_total{api="rest_predict",code="OK",model="other",version="7"}' in text
    assert ('starling_requests_total{api="rest_predict",code="INVALID_ARGUMENT",model="other",version="7"}'
            in text)
    assert 'starling_model_version_loaded{model="ctr",version="1"} 1.0' in text
    for name in ("starling_request_latency_seconds_bucket", "starling_batch_size_bucket",
                 "starling_queue_depth", "starling_concurrency_limit"):
        assert name in text
