"""What a Tuner run leaves behind (TFX's files) and what it says while it searches."""

from __future__ import annotations

import json
import logging
import math
import os
import time
from typing import Any

from components.trainer.executor import BEST_HYPERPARAMETERS_FILE
from pipelines.runner.progress import PROGRESS_LOGGER

TUNER_RESULTS_FILE = "tuner_results.json"

progress_log = logging.getLogger(PROGRESS_LOGGER)  # shown on the console by ConsoleProgress


def _score_text(score: Any) -> str:
    return "n/a" if score is None or (isinstance(score, float) and math.isnan(score)) else f"{score:.4f}"


class TrialProgress:
    """Reports "trial k/N" with the trial's score and the best so far, after each trial.

    Attached to a KerasTuner tuner by wrapping its `on_trial_end` hook, so any tuner the user's
    `tuner_fn` builds reports without being subclassed.
    """

    def __init__(self, node_id: str, tuner: Any):
        self.node_id = node_id
        self.tuner = tuner
        self.seconds: list[float] = []
        self._started = time.time()
        self.lines: list[str] = []

    def attach(self) -> None:
        """Wraps the tuner's trial hooks (on this instance only)."""
        begin, end = self.tuner.on_trial_begin, self.tuner.on_trial_end

        def on_trial_begin(trial: Any) -> None:
            self._started = time.time()
            begin(trial)

        def on_trial_end(trial: Any) -> None:
            end(trial)
            self.seconds.append(time.time() - self._started)
            self.report(trial)

        self.tuner.on_trial_begin = on_trial_begin
        self.tuner.on_trial_end = on_trial_end

    def report(self, trial: Any) -> None:
        """Emits one progress line for a finished trial."""
        oracle = self.tuner.oracle
        best = oracle.get_best_trials(1)
        best_score = best[0].score if best else None
        line = (f"{self.node_id}: trial {len(self.seconds)}/{oracle.max_trials} "
                f"{oracle.objective.name}={_score_text(trial.score)} "
                f"best={_score_text(best_score)} ({self.seconds[-1]:.1f}s)")
        self.lines.append(line)
        progress_log.info(line)


def write_best_hyperparameters(tuner: Any, directory: str) -> dict[str, Any]:
    """Writes `best_hyperparameters.txt` (the best HyperParameters' config as JSON, as TFX does).

    Raises:
        ValueError: no trial completed, so there is no best.
    """
    best = tuner.get_best_hyperparameters(1)
    if not best:
        raise ValueError("Tuner: no trial completed, so there are no best hyperparameters "
                         "(see the trial errors above)")
    config = best[0].get_config()
    with open(os.path.join(directory, BEST_HYPERPARAMETERS_FILE), "w") as target:
        target.write(json.dumps(config))
    return config


def write_tuner_results(tuner: Any, directory: str, seconds: list[float]) -> list[dict[str, Any]]:
    """Writes `tuner_results.json`: each completed trial's id, score and values, best first (TFX's)."""
    rows = []
    for trial in tuner.oracle.get_best_trials(tuner.oracle.max_trials):
        if str(trial.status).endswith("COMPLETED") and trial.hyperparameters.values:
            rows.append({"trial_id": trial.trial_id, "score": trial.score, **trial.hyperparameters.values})
    with open(os.path.join(directory, TUNER_RESULTS_FILE), "w") as target:
        json.dump(rows, target)
    if seconds:
        with open(os.path.join(directory, "trial_seconds.json"), "w") as target:
            json.dump(seconds, target)
    return rows
