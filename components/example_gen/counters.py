"""The counts an ExampleGen keeps (rows read, rejected, written per split).

Inside a Beam job they are Beam metrics of the namespace `example_gen`, read back from the
job's result; when the files are read in this process (`ingestion.ingest`'s in-process path)
they are added to a plain tally instead. Readers call `count()` and need not know which.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

NAMESPACE = "example_gen"
ROWS_READ = "rows_read"
ROWS_REJECTED = "rows_rejected"
_TALLY: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("example_gen_tally",
                                                                             default=None)


def count(name: str, amount: int = 1) -> None:
    """Adds `amount` to the counter `name`."""
    tally = _TALLY.get()
    if tally is None:
        from apache_beam.metrics import Metrics

        Metrics.counter(NAMESPACE, name).inc(amount)
    else:
        tally[name] = tally.get(name, 0) + amount


@contextlib.contextmanager
def tallied() -> Iterator[dict[str, int]]:
    """Within the block, `count()` adds to the yielded dict instead of Beam's metrics."""
    tally: dict[str, int] = {}
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)
