"""Whether the server can serve (what `/healthz` reports), and the watchdog that repairs what it can.

Every admitted request releases its slot on every path (see Inference.run), so a slot held well
past its request's deadline is a leak: a bug, or an event loop blocked for that long. The
watchdog looks every second: it logs each such slot and frees it, and restarts a batch worker
that stopped. `/healthz` answers 503 naming each problem while one lasts: no model version
AVAILABLE, batch workers stopped, slots held past their deadline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from serving.inference import Inference

log = logging.getLogger("starling.serving")
GRACE_SECONDS = 5.0  # past its deadline, a request has been answered (504) and its slot freed


def health_problems(inference: Inference, grace_seconds: float = GRACE_SECONDS) -> list[str]:
    """What keeps the server from serving now, one sentence each (empty: healthy)."""
    problems = []
    if not any(served.loaded for served in inference.repository.models.values()):
        problems.append("no model version is AVAILABLE")
    batcher = inference.batcher
    stopped = batcher.expected_workers - batcher.alive_workers
    if stopped > 0:
        problems.append(f"{stopped} of {batcher.expected_workers} batch workers stopped")
    overdue = inference.limiter.overdue(grace_seconds)
    if overdue:
        oldest = min(overdue, key=lambda slot: slot.deadline)
        problems.append(f"{len(overdue)} admission slots held more than {grace_seconds:g} s past their "
                        f"deadline (oldest: {oldest.what}, "
                        f"{time.monotonic() - oldest.deadline:.1f} s past)")
    return problems


def health_report(inference: Inference) -> tuple[int, dict[str, Any]]:
    """`/healthz`: 200 and `"status": "ok"`, or 503 and the problems.

    The body also holds the loaded versions, the requests in flight, the limit, the slots the
    watchdog reclaimed and the process id.
    """
    problems = health_problems(inference)
    repository, limiter = inference.repository, inference.limiter
    body: dict[str, Any] = {
        "status": "ok" if not problems else "unhealthy", "problems": problems,
        "models": {name: max(m.loaded) for name, m in repository.models.items() if m.loaded},
        "in_flight": limiter.in_flight, "limit": int(limiter.limit),
        "reclaimed_slots": limiter.reclaimed, "pid": os.getpid()}
    if inference.request_log_error:
        body["request_log_error"] = inference.request_log_error
    return (503 if problems else 200), body


class Watchdog:
    """Frees leaked admission slots and restarts stopped batch workers, every `interval` seconds."""

    def __init__(self, inference: Inference, interval: float = 1.0, grace_seconds: float = GRACE_SECONDS):
        self.inference = inference
        self.interval = interval
        self.grace_seconds = grace_seconds

    def repair(self) -> int:
        """One round of repairs (on the event loop); returns how many were made."""
        limiter, metrics = self.inference.limiter, self.inference.metrics
        repairs = 0
        for slot in limiter.overdue(self.grace_seconds):
            if limiter.reclaim(slot):
                repairs += 1
                metrics.watchdog_repairs.labels("slot").inc()
                log.error("admission slot of %s held %.1f s past its deadline: freed (a leak; please "
                          "report it)", slot.what, time.monotonic() - slot.deadline)
        metrics.queue_depth.set(limiter.in_flight)
        restarted = self.inference.batcher.ensure_workers()
        if restarted:
            metrics.watchdog_repairs.labels("batch_worker").inc(restarted)
        return repairs + restarted

    async def run(self) -> None:
        """Repairs every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.repair()
            except Exception:  # the watchdog itself must not die
                log.exception("watchdog round failed")
