"""The adaptive concurrency limit, abnormal-traffic detection and version policies (no server)."""

from __future__ import annotations

import pytest

from serving.admission import AdaptiveLimiter, LimiterOptions
from serving.errors import Overloaded
from serving.model_config import ConfigError, VersionPolicy, parse_labels, read_config_file
from serving.traffic import TrafficWatch


def run_window(limiter: AdaptiveLimiter, latency: float, succeeded: bool = True, concurrent: int = 0) -> None:
    for _ in range(limiter.options.window):
        slots = [limiter.acquire() for _ in range(concurrent or 1)]
        for slot in slots:
            limiter.release(slot, latency, succeeded)
            if len(limiter._delays) == 0:
                return


def test_the_limit_sheds_when_reached():
    limiter = AdaptiveLimiter(LimiterOptions(initial_limit=2))
    limiter.acquire()
    limiter.acquire()
    with pytest.raises(Overloaded, match="concurrency limit"):
        limiter.acquire()
    assert limiter.shed == 1 and limiter.in_flight == 2


def test_slow_or_failing_windows_cut_the_limit_and_fast_full_ones_raise_it():
    options = LimiterOptions(latency_target_ms=50, initial_limit=40, min_limit=4, window=8)
    slow = AdaptiveLimiter(options)
    run_window(slow, latency=0.045)
    assert slow.limit < 40
    failing = AdaptiveLimiter(options)
    run_window(failing, latency=0.001, succeeded=False)
    assert failing.limit < 40
    idle = AdaptiveLimiter(options)
    run_window(idle, latency=0.001)  # fast but far from the limit: no reason to raise it
    assert idle.limit == 40
    busy = AdaptiveLimiter(options)
    run_window(busy, latency=0.001, concurrent=40)
    assert busy.limit > 40


def test_a_rate_jump_and_an_error_jump_are_logged_once_with_figures(caplog):
    now = [0.0]
    watch = TrafficWatch(window_seconds=10, min_requests=50, clock=lambda: now[0])
    windows = iter(range(100))

    def window(requests: int, errors: int = 0) -> None:
        start = next(windows) * 10.0
        for index in range(requests):
            now[0] = start + index * 10.0 / requests
            watch.record("ctr", failed=index < errors)

    window(100)
    window(100)
    window(1000)  # the jump shows when this window closes
    window(1000)
    window(1000)
    assert len([a for a in watch.alarms if "request rate" in a]) == 1
    assert "request rate 100.0/s vs 10.0/s before" in watch.alarms[0]
    window(1000, errors=300)
    window(1000)
    assert [a for a in watch.alarms if "error rate" in a] == [
        "abnormal traffic for model 'ctr': error rate 30.0% (300 of 1000) vs 0.0% before"]
    assert "abnormal traffic for model 'ctr'" in caplog.text


@pytest.mark.parametrize("text, on_disk, wanted", [
    ("latest:1", [1, 2, 3], [3]), ("latest:2", [1, 2, 3], [2, 3]), ("all", [3, 1], [1, 3]),
    ("specific:1,3", [1, 2, 3], [1, 3]), ("latest", [4, 5], [5]),
])
def test_version_policies(text, on_disk, wanted):
    assert VersionPolicy.parse(text).wanted(on_disk) == wanted


@pytest.mark.parametrize("text", ["latest:0", "newest:2", "specific:", "specific:a", "all:3"])
def test_bad_policies_name_the_flag(text):
    with pytest.raises(ConfigError, match=f"--model-version-policy '{text}'"):
        VersionPolicy.parse(text)


def test_labels_and_tf_serving_config_files(tmp_path):
    assert parse_labels(["stable=3", "ctr:canary=4"]) == {None: {"stable": 3}, "ctr": {"canary": 4}}
    with pytest.raises(ConfigError, match="--version-label 'stable'"):
        parse_labels(["stable"])
    config = tmp_path / "models.config"
    config.write_text('model_config_list { config { name: "ctr" base_path: "models/ctr" '
                      'model_version_policy { specific { versions: 2 versions: 1 } } '
                      'version_labels { key: "stable" value: 1 } } }')
    [model] = read_config_file(str(config))
    assert (model.name, model.base_path, model.labels) == ("ctr", str(tmp_path / "models/ctr"), {"stable": 1})
    assert model.policy == VersionPolicy("specific", versions=(1, 2))
    config.write_text("model_config_list { config { nme: 1 } }")
    with pytest.raises(ConfigError, match=f"model config file {config}:"):
        read_config_file(str(config))


def test_a_slot_is_released_once_and_a_leaked_one_is_found_and_reclaimed():
    limiter = AdaptiveLimiter(LimiterOptions(initial_limit=4))
    answered = limiter.acquire("rest_predict ctr", timeout=10)
    leaked = limiter.acquire("grpc_predict ctr", timeout=0)
    assert limiter.release(answered, 0.001, True) and not limiter.release(answered, 0.001, True)
    assert limiter.in_flight == 1  # a second release does not free someone else's slot
    assert limiter.overdue(grace_seconds=5) == []
    [found] = limiter.overdue(grace_seconds=5, now=leaked.deadline + 6)
    assert found.what == "grpc_predict ctr"
    assert limiter.reclaim(found) and not limiter.reclaim(found)
    assert (limiter.in_flight, limiter.reclaimed) == (0, 1)
    assert not limiter.release(leaked, 0.001, True)  # its request ending late changes nothing


def test_a_client_giving_up_frees_its_slot_without_moving_the_limit():
    limiter = AdaptiveLimiter(LimiterOptions(initial_limit=8, min_limit=1, window=2))
    for _ in range(4):  # cancels and the clients' own short deadlines: no delay sample, no failure
        assert limiter.release(limiter.acquire(), None, succeeded=False)
    assert (limiter.in_flight, limiter.limit) == (0, 8)
