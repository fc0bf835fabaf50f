"""What the ExampleGen driver costs per poll: fingerprinting the selected files by content or by stat.

Writes one span of N MiB (in files of 16 MiB) under a temporary directory and times
`components.example_gen.driver.input_facts` (the content hash the driver uses up to
256 MiB) and the size+mtime fingerprint it uses above that, each as the best of 3.

    .venv/bin/python -m benchmarks.input_fingerprint [--update-readme]
"""

from __future__ import annotations

import os
import tempfile
import time

from benchmarks.measure import benchmark_main, markdown_table
from components.example_gen.driver import CONTENT, CONTENT_HASH_LIMIT_BYTES, STAT, fingerprint_files
from components.example_gen.spans import select_files

_FILE_MIB = 16
_SIZES_MIB = (1, 64, 256, 1024)


def _write_span(base: str, mib: int) -> None:
    day = os.path.join(base, "day-1")
    os.makedirs(day)
    remaining = mib * 1024 * 1024
    index = 0
    while remaining > 0:
        size = min(remaining, _FILE_MIB * 1024 * 1024)
        with open(os.path.join(day, f"part-{index:04d}.csv"), "wb") as target:
            target.write(os.urandom(size))
        remaining -= size
        index += 1


def _best_of_three(base: str, method: str) -> float:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        fingerprint_files(select_files(base, "day-{SPAN}/*.csv"), base, method)
        timings.append(time.perf_counter() - started)
    return min(timings)


def measure(max_mib: int) -> str:
    """The README table: span size, files, content-hash time and throughput, stat time."""
    rows = []
    for mib in (size for size in _SIZES_MIB if size <= max_mib):
        with tempfile.TemporaryDirectory(prefix="starling-fingerprint-") as base:
            _write_span(base, mib)
            files = len(os.listdir(os.path.join(base, "day-1")))
            content = _best_of_three(base, CONTENT)
            stat = _best_of_three(base, STAT)
        used = CONTENT if mib * 1024 * 1024 <= CONTENT_HASH_LIMIT_BYTES else STAT
        rows.append([f"{mib} MiB", files, f"{content * 1000:.1f} ms", f"{mib / content:,.0f} MiB/s",
                     f"{stat * 1000:.2f} ms", used])
    return markdown_table(["span size", "files", "content hash", "throughput", "size+mtime",
                           "driver uses"], rows)


if __name__ == "__main__":
    benchmark_main(__doc__, "input_fingerprint", measure, {"max_mib": 1024})
