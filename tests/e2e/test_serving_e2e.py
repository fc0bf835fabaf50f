"""The model server's lifecycle over real HTTP: hot swaps under load, broken versions, batching,
request logs. Waits are polls with deadlines, never fixed sleeps."""

from __future__ import annotations

import concurrent.futures
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from serving.batcher import BatchingOptions
from serving.model_config import VersionPolicy
from serving.server import BackgroundServer, ServerOptions
from tests.serving.conftest import saved_model  # noqa: F401  (the shared fixture SavedModel)
from tests.serving.fixture_model import ROWS, install

pytestmark = pytest.mark.e2e


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Polls `condition` until it holds; fails naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


def served_version(server: BackgroundServer) -> str:
    response = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS[:1]})
    return response.json().get("model_version", "")


def test_new_version_goes_live_under_load_without_a_failed_request(saved_model, tmp_path):  # noqa: F811
    install(saved_model, tmp_path, "ctr", 1)
    answers: list[tuple[float, float, str]] = []  # (sent, answered, model_version) per request
    failures: list[str] = []
    stop = threading.Event()

    def client_loop(url: str) -> None:
        with httpx.Client() as client:
            while not stop.is_set():
                sent = time.monotonic()
                response = client.post(f"{url}/v1/models/ctr:predict", json={"instances": ROWS[:1]})
                if response.status_code != 200:
                    failures.append(response.text)
                else:
                    answers.append((sent, time.monotonic(), response.json()["model_version"]))

    def versions() -> list[str]:
        return [version for _, _, version in answers]

    with BackgroundServer(ServerOptions(str(tmp_path), port=0, poll_seconds=0.1)) as server:
        threads = [threading.Thread(target=client_loop, args=(server.url,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(answers) >= 20, "traffic on version 1")
        install(saved_model, tmp_path, "ctr", 2)
        wait_for(lambda: "2" in versions(), "version 2 to serve")
        served_by_two = len(answers)
        wait_for(lambda: len(answers) >= served_by_two + 20, "traffic on version 2")
        stop.set()
        for thread in threads:
            thread.join()
        status = httpx.get(f"{server.url}/v1/models/ctr").json()["model_version_status"]
    assert failures == []
    assert versions()[0] == "1" and versions()[-1] == "2"
    # the swap happened before version 2's first answer: every request sent after that answer
    # runs on version 2; requests already sent to version 1 may still finish there
    swapped_by = min(answered for _, answered, version in answers if version == "2")
    assert {version for sent, _, version in answers if sent > swapped_by} == {"2"}
    assert {s["version"]: s["state"] for s in status} == {"2": "AVAILABLE", "1": "END"}  # latest:1


def test_half_copied_and_corrupt_versions_are_not_loaded(saved_model, tmp_path):  # noqa: F811
    install(saved_model, tmp_path, "ctr", 1)
    with BackgroundServer(ServerOptions(str(tmp_path), port=0, poll_seconds=0.1)) as server:
        half = tmp_path / "ctr" / "2"
        half.mkdir()
        shutil.copy(saved_model / "saved_model.pb", half / "saved_model.pb")
        (half / "variables").mkdir()  # variables index not copied yet
        corrupt = tmp_path / "ctr" / "3"
        corrupt.mkdir()
        (corrupt / "saved_model.pb").write_bytes(b"not a protobuf")

        def states() -> dict[str, dict]:
            return {s["version"]: s for s in httpx.get(f"{server.url}/v1/models/ctr").json()[
                "model_version_status"]}
        wait_for(lambda: states().get("3", {}).get("state") == "END" and "2" in states(),
                 "version 3 to fail and version 2 to be seen")
        assert served_version(server) == "1"
        assert states()["1"]["state"] == "AVAILABLE"
        assert states()["3"]["status"]["error_code"] == "UNKNOWN" and states()["3"]["status"]["error_message"]
        assert states()["2"]["state"] == "LOADING"
        shutil.rmtree(half)
        install(saved_model, tmp_path, "ctr", 2)  # once the copy completes, version 2 loads
        wait_for(lambda: served_version(server) == "2", "version 2 to serve")


def test_version_policy_keeps_older_versions_servable(saved_model, tmp_path):  # noqa: F811
    for version in (1, 2, 3):
        install(saved_model, tmp_path, "ctr", version)
    options = ServerOptions(str(tmp_path), port=0, poll_seconds=0.1, policy=VersionPolicy("latest", 2),
                            labels={None: {"stable": 2}})
    with BackgroundServer(options) as server:
        assert server.repository.model("ctr").loaded == [2, 3]
        stable = httpx.post(f"{server.url}/v1/models/ctr/labels/stable:predict", json={"instances": ROWS})
        assert stable.json()["model_version"] == "2"
        old = httpx.post(f"{server.url}/v1/models/ctr/versions/1:predict", json={"instances": ROWS})
        assert old.status_code == 404 and "available: 2, 3" in old.json()["error"]
        install(saved_model, tmp_path, "ctr", 4)
        wait_for(lambda: server.repository.model("ctr").loaded == [3, 4], "versions 3 and 4 to serve")
    specific = ServerOptions(str(tmp_path), port=0, policy=VersionPolicy("specific", versions=(1, 3)))
    with BackgroundServer(specific) as server:
        assert server.repository.model("ctr").loaded == [1, 3]
        assert served_version(server) == "3"


def test_batching_merges_concurrent_requests(saved_model, tmp_path):  # noqa: F811
    install(saved_model, tmp_path, "ctr", 1)
    options = ServerOptions(str(tmp_path), port=0, batching=BatchingOptions(max_wait_ms=50, threads=1))
    slow = dict(ROWS[0], delay_ms=200)  # holds the single worker while the others queue
    with BackgroundServer(options) as server:
        with concurrent.futures.ThreadPoolExecutor(9) as pool:
            first = pool.submit(httpx.post, f"{server.url}/v1/models/ctr:predict",
                                json={"instances": [slow]}, timeout=30)
            wait_for(lambda: server.inference.limiter.in_flight == 1, "the slow request to be admitted")
            url = f"{server.url}/v1/models/ctr:predict"
            rest = list(pool.map(lambda i: httpx.post(url, json={"instances": [ROWS[i % 3]]}, timeout=30),
                                 range(8)))
        assert first.result().status_code == 200 and all(r.status_code == 200 for r in rest)
        text = httpx.get(f"{server.url}/monitoring/prometheus/metrics").text
    counts = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line.startswith("starling_batch_size_")}
    assert counts['starling_batch_size_sum{model="ctr"}'] == 9  # the warm-up does not pass the batcher
    assert counts['starling_batch_size_count{model="ctr"}'] < 9  # fewer model calls than requests


def test_request_log_writes_sampled_examples_that_read_back(saved_model, tmp_path):  # noqa: F811
    import tensorflow as tf

    install(saved_model, tmp_path / "models", "ctr", 1)
    log_dir = tmp_path / "requests"
    options = ServerOptions(str(tmp_path / "models"), port=0, request_log_dir=str(log_dir),
                            request_log_sample_rate=1.0)
    with BackgroundServer(options) as server:
        for _ in range(4):
            httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS})
        logger = server.inference.request_logger
        wait_for(lambda: logger.logged == 12, "12 logged examples")
        logger.close()
    files = sorted(Path(log_dir).glob("ctr/*/requests-*.gz"))
    assert files and not list(Path(log_dir).glob("ctr/*/*.tmp"))
    records = [tf.train.Example.FromString(r.numpy())
               for r in tf.data.TFRecordDataset([str(f) for f in files], compression_type="GZIP")]
    assert len(records) == 12
    platforms = {r.features.feature["platform"].bytes_list.value[0] for r in records}
    assert platforms == {b"ios", b"web", b"android"}


def test_request_log_failures_are_surfaced(saved_model, tmp_path):  # noqa: F811
    install(saved_model, tmp_path / "models", "ctr", 1)
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the log directory should be")
    options = ServerOptions(str(tmp_path / "models"), port=0, request_log_dir=str(blocked),
                            request_log_sample_rate=1.0)
    with BackgroundServer(options) as server:
        assert httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS}).status_code == 200
        wait_for(lambda: server.inference.request_log_error is not None, "the request-log error")
        health = httpx.get(f"{server.url}/healthz").json()
        metrics = httpx.get(f"{server.url}/monitoring/prometheus/metrics").text
    assert health["request_log_error"].startswith(("NotADirectoryError", "FileExistsError"))
    assert "starling_request_log_errors_total 1.0" in metrics
