"""Admission control: an adaptive concurrency limit that sheds excess load early with 503.

The limit follows the queueing delay and success rate of the requests it admits (additive
increase, multiplicative decrease, as TCP's congestion window and Netflix's concurrency limiters
do). Queueing delay is what more concurrency adds in front of the model: the wait in the batch
queue. Each window of completed requests whose 95th-percentile delay stays under a share of the
latency target while the limit was nearly reached raises it; a window over that share, or with
too many failures, cuts it. A request arriving while the limit's worth are in flight is refused
at once, before its body is read, so the ones admitted keep their latency under the target.

The event loop's own lag is exported as a metric but not used: measured with clients that
resend at once, cutting the limit on it turned most answers into 503s and goodput fell
seven-fold, because a refused HTTP request costs the loop nearly as much as a served one.
"""

from __future__ import annotations

import dataclasses
import itertools
import time

from serving.errors import Overloaded


@dataclasses.dataclass
class LimiterOptions:
    """How the concurrency limit adapts.

    Attributes:
        latency_target_ms: The p99 the admitted requests should stay under.
        initial_limit: Requests in flight allowed at start.
        min_limit: The limit never drops below this: keep it at least one full batch, or a
            shrinking limit starves the batcher and throughput collapses with it.
        max_limit: Nor rises above this.
        window: Completed requests per adjustment.
        min_success_rate: A window with a lower share of successes cuts the limit.
    """

    latency_target_ms: float = 50.0
    initial_limit: int = 256
    min_limit: int = 64
    max_limit: int = 1024
    window: int = 64
    min_success_rate: float = 0.9


@dataclasses.dataclass
class Slot:
    """One admitted request's hold on the limit, released exactly once.

    Attributes:
        number: Tells slots apart.
        what: The API and model, for logs (e.g. `grpc_predict ctr`).
        admitted: `time.monotonic()` at admission.
        deadline: `time.monotonic()` by which the request is answered; a slot held well past it
            was leaked (see serving/watchdog.py).
    """

    number: int
    what: str
    admitted: float
    deadline: float


class AdaptiveLimiter:
    """Counts requests in flight against a limit that adapts to their latency and success.

    Each admitted request holds a `Slot`; releasing a slot twice (the watchdog reclaimed it, then
    its request ended after all) is a no-op, so the count never drifts below the truth.
    """

    HEADROOM = 0.4  # a window's p95 queueing delay above this share of the target cuts the limit
    DECREASE = 0.8

    def __init__(self, options: LimiterOptions | None = None):
        self.options = options or LimiterOptions()
        self.limit = float(self.options.initial_limit)
        self.shed = 0
        self.reclaimed = 0
        self._held: dict[int, Slot] = {}
        self._numbers = itertools.count()
        self._delays: list[float] = []
        self._failures = 0
        self._peak = 0

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet released."""
        return len(self._held)

    @property
    def full(self) -> bool:
        """Whether a request arriving now would be refused."""
        return self.in_flight >= int(self.limit)

    def acquire(self, what: str = "", timeout: float = 60.0) -> Slot:
        """Admits one request that should be answered within `timeout` seconds.

        Raises:
            Overloaded: the limit's worth of requests are in flight.
        """
        if self.full:
            self.shed += 1
            raise Overloaded(f"{self.in_flight} requests in flight reach the concurrency limit "
                             f"({int(self.limit)}); retry shortly")
        now = time.monotonic()
        slot = Slot(next(self._numbers), what, now, now + timeout)
        self._held[slot.number] = slot
        self._peak = max(self._peak, self.in_flight)
        return slot

    def release(self, slot: Slot, delay_seconds: float | None, succeeded: bool) -> bool:
        """Frees a slot; False when it was already released.

        The request's queueing delay and outcome count towards the window that adapts the limit,
        unless the delay is None (the client gave up first: that says nothing of the server).
        """
        if self._held.pop(slot.number, None) is None:
            return False
        if delay_seconds is None:
            return True
        self._delays.append(delay_seconds)
        self._failures += 0 if succeeded else 1
        if len(self._delays) >= self.options.window:
            self._adjust()
        return True

    def overdue(self, grace_seconds: float, now: float | None = None) -> list[Slot]:
        """Slots held more than `grace_seconds` past their deadline.

        Every path that answers a request releases its slot by the deadline: these leaked.
        """
        now = time.monotonic() if now is None else now
        return [slot for slot in self._held.values() if now > slot.deadline + grace_seconds]

    def reclaim(self, slot: Slot) -> bool:
        """Frees a leaked slot (counted in `reclaimed` and as a failure); False if already free."""
        if not self.release(slot, time.monotonic() - slot.admitted, succeeded=False):
            return False
        self.reclaimed += 1
        return True

    def _adjust(self) -> None:
        delays = sorted(self._delays)
        p95 = delays[int(0.95 * (len(delays) - 1))]
        success = 1.0 - self._failures / len(delays)
        target = self.options.latency_target_ms / 1000
        if p95 > self.HEADROOM * target or success < self.options.min_success_rate:
            self.limit = max(self.options.min_limit, self.limit * self.DECREASE)
        elif self._peak >= 0.9 * int(self.limit):
            self.limit = min(self.options.max_limit, self.limit + max(1.0, self.limit * 0.05))
        self._delays, self._failures, self._peak = [], 0, self.in_flight
