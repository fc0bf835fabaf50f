"""Prometheus metrics of one server, served at TF Serving's `/monitoring/prometheus/metrics`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class _LoadedVersions(Collector):
    """`starling_model_version_loaded{model,version} 1` for every serving version, read at scrape."""

    def __init__(self, loaded: Callable[[], dict[str, list[int]]]):
        self._loaded = loaded

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("starling_model_version_loaded", "Model versions serving now",
                                   labels=["model", "version"])
        for model, versions in sorted(self._loaded().items()):
            for version in versions:
                family.add_metric([model, str(version)], 1)
        yield family


class ServerMetrics:
    """Counters and histograms of one server, in their own registry (several servers per process)."""

    def __init__(self, loaded_versions: Callable[[], dict[str, list[int]]]):
        self.registry = CollectorRegistry()
        self.requests = Counter("starling_requests", "Requests answered, by model, version, API and "
                                "TF Serving status code", ["model", "version", "api", "code"],
                                registry=self.registry)
        self.latency = Histogram("starling_request_latency_seconds", "Time from admission to answer",
                                 ["model", "api"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("starling_batch_size", "Examples per model call", ["model"],
                                    buckets=_BATCH_BUCKETS, registry=self.registry)
        self.queue_depth = Gauge("starling_queue_depth", "Requests admitted and not yet answered",
                                 registry=self.registry)
        self.shed = Counter("starling_shed", "Requests refused with 503 by the concurrency limit",
                            ["model"], registry=self.registry)
        self.concurrency_limit = Gauge("starling_concurrency_limit", "The adaptive concurrency limit",
                                       registry=self.registry)
        self.loop_lag = Gauge("starling_event_loop_lag_seconds", "How late the event loop's timers fire",
                              registry=self.registry)
        self.watchdog_repairs = Counter("starling_watchdog_repairs", "Leaked admission slots freed and "
                                        "stopped batch workers restarted by the watchdog", ["kind"],
                                        registry=self.registry)
        self.request_log_errors = Counter("starling_request_log_errors", "Request-log writes that failed",
                                          registry=self.registry)
        self.registry.register(_LoadedVersions(loaded_versions))

    def text(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
