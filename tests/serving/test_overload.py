"""Deadlines and load shedding on a real server, checked by counts (no timing asserts)."""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

from serving.admission import LimiterOptions
from serving.batcher import BatchingOptions
from serving.model_config import ConfigError
from serving.server import BackgroundServer, ModelServer, ServerOptions, bind
from tests.e2e.test_serving_e2e import wait_for
from tests.serving.fixture_model import ROWS, install

pytestmark = pytest.mark.e2e


def metric(text: str, series: str) -> float:
    """One series' value in Prometheus text (0 when absent)."""
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series + " ")]
    return values[0] if values else 0.0


def test_requests_past_their_deadline_get_504_and_the_server_goes_on(saved_model, tmp_path):
    install(saved_model, tmp_path, "ctr", 1)
    options = ServerOptions(str(tmp_path), port=0, request_timeout_ms=150,
                            batching=BatchingOptions(threads=1))
    with BackgroundServer(options) as server:
        url = f"{server.url}/v1/models/ctr:predict"
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            slow = [pool.submit(httpx.post, url, json={"instances": [dict(ROWS[0], delay_ms=600)]},
                                timeout=30) for _ in range(4)]
            codes = [f.result().status_code for f in slow]
        assert codes == [504] * 4
        assert "deadline passed" in slow[0].result().json()["error"]
        # the model call already running cannot be interrupted; once it ends, requests succeed
        wait_for(lambda: httpx.post(url, json={"instances": ROWS}).status_code == 200, "a 200 again")
        text = httpx.get(f"{server.url}/monitoring/prometheus/metrics").text
    late = metric(text, 'starling_requests_total{api="rest_predict",code="DEADLINE_EXCEEDED",model="ctr",'
                        'version="1"}')
    assert late >= 4


def test_beyond_the_concurrency_limit_requests_are_shed_with_503(saved_model, tmp_path):
    install(saved_model, tmp_path, "ctr", 1)
    options = ServerOptions(str(tmp_path), port=0, batching=BatchingOptions(threads=1),
                            limiter=LimiterOptions(initial_limit=2, min_limit=2, max_limit=2))
    with BackgroundServer(options) as server:
        url = f"{server.url}/v1/models/ctr:predict"
        slow = {"instances": [dict(ROWS[0], delay_ms=300)]}
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(lambda _: httpx.post(url, json=slow, timeout=30), range(12)))
        codes = [r.status_code for r in responses]
        shed = [r for r in responses if r.status_code == 503]
        assert set(codes) <= {200, 503} and codes.count(200) >= 2 and shed
        assert shed[0].headers["Retry-After"] == "1" and "concurrency limit" in shed[0].json()["error"]
        assert httpx.post(url, json={"instances": ROWS}).status_code == 200
        text = httpx.get(f"{server.url}/monitoring/prometheus/metrics").text
    assert f'starling_shed_total{{model="ctr"}} {float(len(shed))}' in text
    unavailable = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                      if line.startswith("starling_requests_total") and 'code="UNAVAILABLE"' in line)
    assert unavailable == len(shed)


def test_startup_fails_clearly_on_a_missing_base_path_or_a_taken_port(tmp_path):
    with pytest.raises(ConfigError, match=f"model base path {tmp_path / 'nope'} does not exist"):
        ModelServer(ServerOptions(str(tmp_path / "nope"), port=0))
    taken = bind("127.0.0.1", 0, "test")
    port = taken.getsockname()[1]
    try:
        with pytest.raises(ConfigError, match=f"cannot listen for REST on 127.0.0.1:{port}"):
            ModelServer(ServerOptions(str(tmp_path), port=port))
        with pytest.raises(ConfigError, match=f"cannot listen for gRPC on 127.0.0.1:{port}"):
            ModelServer(ServerOptions(str(tmp_path), port=0, grpc_port=port))
    finally:
        taken.close()


def test_a_lone_request_does_not_wait_for_the_batch_window(saved_model, tmp_path):
    install(saved_model, tmp_path, "ctr", 1)
    options = ServerOptions(str(tmp_path), port=0, request_timeout_ms=3000,
                            batching=BatchingOptions(max_wait_ms=60_000, threads=1))
    with BackgroundServer(options) as server:
        codes = [httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": ROWS}).status_code
                 for _ in range(3)]
    assert codes == [200, 200, 200]  # waiting out a 60 s window would have missed the 3 s deadline
