"""Request logging: a sample of served examples, as gzipped tf.Example TFRecords per day.

Files land in `<log_dir>/<model>/<YYYY>-<MM>-<DD>/requests-<start>-<n>.gz`, written under a
`.tmp` name and renamed when closed, so a pipeline reading `{YYYY}-{MM}-{DD}/*.gz` (e.g.
ImportExampleGen) only ever sees whole files. These are the serving data that ExampleValidator
compares with the training data to find training/serving skew.
"""

from __future__ import annotations

import datetime
import os
import random
import threading
import time
from typing import Any


class RequestLogger:
    """Keeps a `sample_rate` share of examples; rolls files every `roll_seconds` or `max_records`."""

    def __init__(self, log_dir: str, sample_rate: float = 0.1, roll_seconds: float = 60.0,
                 max_records: int = 10_000, seed: int | None = None):
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be within 0..1, got {sample_rate}")
        self.log_dir = log_dir
        self.sample_rate = sample_rate
        self.roll_seconds = roll_seconds
        self.max_records = max_records
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._open: dict[str, tuple[Any, str, float, int]] = {}
        self._sequence = 0
        self.logged = 0

    def log(self, model_name: str, examples: list[bytes]) -> None:
        """Writes the sampled share of `examples` to today's file of the model."""
        chosen = [e for e in examples if self._random.random() < self.sample_rate]
        if not chosen:
            return
        with self._lock:
            writer = self._writer(model_name)
            for example in chosen:
                writer.write(example)
            handle, path, opened, count = self._open[model_name]
            self._open[model_name] = (handle, path, opened, count + len(chosen))
            self.logged += len(chosen)
            if count + len(chosen) >= self.max_records or time.time() - opened >= self.roll_seconds:
                self._close(model_name)

    def _writer(self, model_name: str) -> Any:
        import tensorflow as tf

        day = datetime.date.today().strftime("%Y-%m-%d")
        current = self._open.get(model_name)
        if current is not None and os.path.basename(os.path.dirname(current[1])) != day:
            self._close(model_name)
            current = None
        if current is None:
            directory = os.path.join(self.log_dir, model_name, day)
            os.makedirs(directory, exist_ok=True)
            self._sequence += 1
            path = os.path.join(directory, f"requests-{int(time.time())}-{os.getpid()}-{self._sequence}.gz")
            handle = tf.io.TFRecordWriter(path + ".tmp", options="GZIP")
            self._open[model_name] = (handle, path, time.time(), 0)
        return self._open[model_name][0]

    def _close(self, model_name: str) -> None:
        handle, path, _, _ = self._open.pop(model_name)
        handle.close()
        os.rename(path + ".tmp", path)

    def close(self) -> None:
        """Closes every open file (call on shutdown)."""
        with self._lock:
            for model_name in list(self._open):
                self._close(model_name)
