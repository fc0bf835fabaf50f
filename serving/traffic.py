"""Abnormal-traffic detection: a sudden jump in a model's request rate or error rate, logged once."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

log = logging.getLogger("starling.serving")


@dataclasses.dataclass
class _ModelTraffic:
    window_start: float
    requests: int = 0
    errors: int = 0
    baseline_rate: float | None = None  # requests/s, exponentially smoothed over past windows
    baseline_error_share: float = 0.0
    alarmed: set[str] = dataclasses.field(default_factory=set)


class TrafficWatch:
    """Compares each model's last window with its smoothed history.

    A window whose rate is `jump` times the baseline (and at least `min_requests`), or whose error
    share is `jump` times the baseline's and above `min_error_share`, logs one warning with the
    figures; the alarm re-arms when a window is normal again.
    """

    def __init__(self, window_seconds: float = 10.0, jump: float = 3.0, min_requests: int = 50,
                 min_error_share: float = 0.05, clock: Callable[[], float] = time.monotonic):
        self.window_seconds = window_seconds
        self.jump = jump
        self.min_requests = min_requests
        self.min_error_share = min_error_share
        self.clock = clock
        self.alarms: list[str] = []
        self._models: dict[str, _ModelTraffic] = {}

    def record(self, model: str, failed: bool) -> None:
        """Counts one answered request (failed: a server-side error, not a client's 4xx)."""
        now = self.clock()
        traffic = self._models.get(model)
        if traffic is None:
            traffic = self._models[model] = _ModelTraffic(now)
        if now - traffic.window_start >= self.window_seconds:
            self._close_window(model, traffic, now)
        traffic.requests += 1
        traffic.errors += 1 if failed else 0

    def _close_window(self, model: str, traffic: _ModelTraffic, now: float) -> None:
        rate = traffic.requests / max(now - traffic.window_start, 1e-9)
        error_share = traffic.errors / traffic.requests if traffic.requests else 0.0
        if traffic.baseline_rate is not None:
            self._check(model, traffic, "rate", rate > self.jump * traffic.baseline_rate
                        and traffic.requests >= self.min_requests,
                        f"request rate {rate:.1f}/s vs {traffic.baseline_rate:.1f}/s before")
            self._check(model, traffic, "errors", error_share >= self.min_error_share
                        and error_share > self.jump * traffic.baseline_error_share,
                        f"error rate {error_share:.1%} ({traffic.errors} of {traffic.requests}) vs "
                        f"{traffic.baseline_error_share:.1%} before")
            traffic.baseline_rate = 0.7 * traffic.baseline_rate + 0.3 * rate
            traffic.baseline_error_share = 0.7 * traffic.baseline_error_share + 0.3 * error_share
        else:
            traffic.baseline_rate, traffic.baseline_error_share = rate, error_share
        traffic.window_start, traffic.requests, traffic.errors = now, 0, 0

    def _check(self, model: str, traffic: _ModelTraffic, kind: str, abnormal: bool, figures: str) -> None:
        if not abnormal:
            traffic.alarmed.discard(kind)
            return
        if kind in traffic.alarmed:
            return
        traffic.alarmed.add(kind)
        message = f"abnormal traffic for model '{model}': {figures}"
        self.alarms.append(message)
        log.warning(message)
