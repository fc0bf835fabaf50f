"""A warm worker: TensorFlow, Beam, TFT, TFDV and TFMA imported once, every run forked from it.

`starling run --warm` hands its command line, working directory, environment and terminal to a
worker process (started on first use, stopped after 15 idle minutes) that has already imported
the libraries; the worker forks, and the fork runs exactly what `starling run` would run in a new
process: same launcher, same cache keys, same artifacts. A fork starts from the worker's state
before any run (no pipeline or user module was ever imported in it), so each run imports the
user's modules afresh. The run writes straight to the caller's terminal; Ctrl-C and SIGTERM are
passed on to it.

A worker serves one interpreter, one copy of Starling's sources and one set of installed
packages under one set of the environment variables libraries read when they are imported
(`TF_*`, `PYTHON*`, `STARLING_*`...); when any of those differ, another worker is started.

Example:
    >>> from pipelines.warm import run_warm
    >>> run_warm(["run", "pipeline.py"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

from pipelines.warm.client import WarmProcess, run_warm, worker_for_spawning
from pipelines.warm.location import WorkerFiles, running_workers

__all__ = ["WarmProcess", "WorkerFiles", "run_warm", "running_workers", "worker_for_spawning"]
