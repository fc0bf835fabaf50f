"""The model server over real HTTP on localhost, serving real SavedModels."""

import concurrent.futures
import json
import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from serving.batcher import BatchingOptions
from serving.server import BackgroundServer, ServerOptions

pytestmark = pytest.mark.e2e

ROWS = [{"x": 0.5, "platform": "ios", "hour": 3}, {"x": -1.25, "platform": "web", "hour": 20},
        {"x": 2.0, "platform": "android", "hour": 11}]


def export_model(directory, weight, sleep_ms=0):
    """A SavedModel whose serving signature parses raw tf.Examples, plus its feature spec."""
    import tensorflow as tf
    import tf_keras as keras

    inputs = keras.Input(shape=(2,))
    outputs = keras.layers.Dense(1, activation="sigmoid")(inputs)
    model = keras.Model(inputs, outputs)
    model.layers[1].set_weights([np.array([[weight], [0.1]], np.float32), np.zeros(1, np.float32)])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(serialized):
        parsed = tf.io.parse_example(serialized, {
            "x": tf.io.FixedLenFeature([1], tf.float32), "platform": tf.io.FixedLenFeature([1], tf.string),
            "hour": tf.io.FixedLenFeature([1], tf.int64)})
        if sleep_ms:
            tf.py_function(lambda: time.sleep(sleep_ms / 1000), [], [])
        features = tf.concat([parsed["x"], tf.cast(parsed["hour"], tf.float32) / 24.0], axis=1)
        is_web = tf.cast(tf.equal(parsed["platform"], "web"), tf.float32)
        return {"probability": model(features) * (1.0 - 0.5 * is_web)}

    model.save(str(directory), signatures={"serving_default": serve}, save_format="tf")
    spec = {"x": {"dtype": "float32"}, "platform": {"dtype": "string"}, "hour": {"dtype": "int64"}}
    (Path(directory) / "assets.extra").mkdir(exist_ok=True)
    (Path(directory) / "assets.extra" / "feature_spec.json").write_text(json.dumps(spec))


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("saved")
    for name, weight in (("w1", 1.0), ("w2", -2.0), ("slow", 1.0)):
        export_model(root / name, weight, sleep_ms=300 if name == "slow" else 0)
    return root


def install(saved_models, source, base, name, version):
    target = Path(base) / name / str(version)
    staging = Path(base) / name / f".copy-{version}"
    shutil.copytree(saved_models / source, staging)
    os.rename(staging, target)


def in_process_predictions(path, rows):
    import tensorflow as tf

    from serving.feature_spec import FeatureSpec

    signature = tf.saved_model.load(str(path)).signatures["serving_default"]
    spec = FeatureSpec.load(str(path))
    examples = [spec.to_example_bytes(row, "row") for row in rows]
    return signature(examples=tf.constant(examples))["probability"].numpy().tolist()


def test_http_predictions_equal_in_process_predictions(saved_models, tmp_path):
    install(saved_models, "w1", tmp_path, "ctr", 1)
    install(saved_models, "w2", tmp_path, "other", 7)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, poll_seconds=0.2)) as server:
        response = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS})
        assert response.status_code == 200, response.text
        expected = in_process_predictions(tmp_path / "ctr" / "1", ROWS)
        assert np.allclose(response.json()["predictions"], expected, atol=1e-6)
        columnar = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"inputs": {
            key: [row[key] for row in ROWS] for key in ROWS[0]}})
        assert np.allclose(columnar.json()["outputs"]["probability"], expected, atol=1e-6)
        # a second model in the same process, addressed by version
        other = httpx.post(f"{server.url}/v1/models/other/versions/7:predict", json={"instances": ROWS})
        assert np.allclose(other.json()["predictions"],
                           in_process_predictions(tmp_path / "other" / "7", ROWS), atol=1e-6)
        status = httpx.get(f"{server.url}/v1/models/ctr").json()
        assert status == {"model_version_status": [
            {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
        assert httpx.get(f"{server.url}/healthz").json()["models"] == {"ctr": 1, "other": 7}


def test_new_version_goes_live_without_a_failed_request(saved_models, tmp_path):
    install(saved_models, "w1", tmp_path, "ctr", 1)
    versions, failures, stop = [], [], threading.Event()

    def client_loop(url):
        with httpx.Client() as client:
            while not stop.is_set():
                response = client.post(f"{url}/v1/models/ctr:predict", json={"instances": ROWS[:1]})
                if response.status_code != 200:
                    failures.append(response.text)
                else:
                    versions.append(response.json()["model_version"])

    with BackgroundServer(ServerOptions(str(tmp_path), port=0, poll_seconds=0.2)) as server:
        threads = [threading.Thread(target=client_loop, args=(server.url,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        install(saved_models, "w2", tmp_path, "ctr", 2)
        deadline = time.time() + 60
        while (not versions or versions[-1] != "2") and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert versions[0] == "1" and versions[-1] == "2"
    first_two = versions.index("2")
    assert set(versions[first_two:]) == {"2"}  # once v2 serves, v1 is no longer the default


def test_half_copied_and_corrupt_versions_are_not_loaded(saved_models, tmp_path):
    install(saved_models, "w1", tmp_path, "ctr", 1)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, poll_seconds=0.2)) as server:
        half = tmp_path / "ctr" / "2"
        half.mkdir()
        shutil.copy(saved_models / "w2" / "saved_model.pb", half / "saved_model.pb")
        (half / "variables").mkdir()  # variables index not copied yet
        corrupt = tmp_path / "ctr" / "3"
        corrupt.mkdir()
        (corrupt / "saved_model.pb").write_bytes(b"not a protobuf")
        time.sleep(1.5)
        response = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS})
        assert response.status_code == 200 and response.json()["model_version"] == "1"
        status = {s["version"]: s for s in httpx.get(f"{server.url}/v1/models/ctr").json()[
            "model_version_status"]}
        assert status["1"]["state"] == "AVAILABLE"
        assert status["3"]["state"] == "FAILED" and status["3"]["status"]["error_message"]
        # once the copy completes, version 2 loads
        shutil.rmtree(half)
        install(saved_models, "w2", tmp_path, "ctr", 2)
        deadline = time.time() + 30
        while time.time() < deadline:
            if httpx.post(f"{server.url}/v1/models/ctr:predict",
                          json={"instances": ROWS}).json()["model_version"] == "2":
                break
            time.sleep(0.2)
        else:
            pytest.fail("version 2 never went live")


def test_overload_sheds_with_503_and_the_server_survives(saved_models, tmp_path):
    install(saved_models, "slow", tmp_path, "ctr", 1)
    options = ServerOptions(str(tmp_path), port=0, batching=BatchingOptions(
        enabled=False, max_queued_requests=2, threads=1))
    with BackgroundServer(options) as server:
        def call(_):
            return httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS[:1]},
                              timeout=30).status_code
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            codes = list(pool.map(call, range(24)))
        assert set(codes) <= {200, 503} and codes.count(503) > 0 and codes.count(200) >= 2
        shed = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS[:1]})
        assert shed.status_code == 200
        assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_batching_merges_concurrent_requests(saved_models, tmp_path):
    install(saved_models, "w1", tmp_path, "ctr", 1)
    options = ServerOptions(str(tmp_path), port=0, batching=BatchingOptions(max_wait_ms=50, threads=1))
    with BackgroundServer(options) as server:
        model = server.repository.model("ctr").get()
        calls = []
        original = model.predict
        model.predict = lambda examples: calls.append(len(examples)) or original(examples)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda i: httpx.post(
                f"{server.url}/v1/models/ctr:predict", json={"instances": [ROWS[i % 3]]}), range(8)))
        assert all(r.status_code == 200 for r in responses)
        assert sum(calls) == 8 and max(calls) > 1
        expected = in_process_predictions(tmp_path / "ctr" / "1", ROWS)
        for index, response in enumerate(responses):
            assert np.allclose(response.json()["predictions"], [expected[index % 3]], atol=1e-6)


@pytest.mark.parametrize("path, body, status, message", [
    ("/v1/models/nope:predict", {"instances": ROWS}, 404, "unknown model 'nope'"),
    ("/v1/models/ctr/versions/9:predict", {"instances": ROWS}, 404, "has no version 9"),
    ("/v1/models/ctr:predict", {"instances": [{"x": 1.0, "platform": "ios"}]}, 400,
     "instances[0]: missing feature 'hour'"),
    ("/v1/models/ctr:predict", {"instances": [dict(ROWS[0], colour="red")]}, 400,
     "instances[0]: unknown feature 'colour'"),
    ("/v1/models/ctr:predict", {"instances": [dict(ROWS[0], x="high")]}, 400,
     "instances[0]: feature 'x' expects a number, got 'high'"),
    ("/v1/models/ctr:predict", {"instances": [dict(ROWS[0], hour=2.5)]}, 400,
     "instances[0]: feature 'hour' expects an integer, got 2.5"),
    ("/v1/models/ctr:predict", {"rows": ROWS}, 400, "either 'instances' (rows) or 'inputs'"),
    ("/v1/models/ctr:predict", {"inputs": {"x": [1.0], "hour": [1, 2]}}, 400, "columns differ in length"),
])
def test_bad_requests_get_4xx_naming_the_field(saved_models, tmp_path, path, body, status, message):
    install(saved_models, "w1", tmp_path, "ctr", 1)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, max_body_bytes=4096)) as server:
        response = httpx.post(server.url + path, json=body)
        assert response.status_code == status and message in response.json()["error"]


def test_malformed_and_oversized_bodies(saved_models, tmp_path):
    install(saved_models, "w1", tmp_path, "ctr", 1)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, max_body_bytes=4096)) as server:
        malformed = httpx.post(f"{server.url}/v1/models/ctr:predict", content=b"{not json")
        assert malformed.status_code == 400 and "malformed JSON" in malformed.json()["error"]
        big = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS * 200})
        assert big.status_code == 400 and "exceeds the 4096-byte limit" in big.json()["error"]


def test_request_log_writes_sampled_examples_that_read_back(saved_models, tmp_path):
    import tensorflow as tf

    install(saved_models, "w1", tmp_path / "models", "ctr", 1)
    log_dir = tmp_path / "requests"
    options = ServerOptions(str(tmp_path / "models"), port=0, request_log_dir=str(log_dir),
                            request_log_sample_rate=1.0)
    with BackgroundServer(options) as server:
        for _ in range(4):
            httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS})
        time.sleep(0.3)
        server.app.request_logger.close()
    files = sorted(log_dir.glob("ctr/*/requests-*.gz"))
    assert files and not list(log_dir.glob("ctr/*/*.tmp"))
    records = [tf.train.Example.FromString(r.numpy())
               for r in tf.data.TFRecordDataset([str(f) for f in files], compression_type="GZIP")]
    assert len(records) == 12
    platforms = {r.features.feature["platform"].bytes_list.value[0] for r in records}
    assert platforms == {b"ios", b"web", b"android"}
