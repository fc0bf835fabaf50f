"""Tuner seconds per trial (penguin template) and BulkInferrer rows/s (ranking template's model).

Tuner: the penguin template up to its Tuner, 4 trials of `tune_steps` steps; the first trial
includes tf.function tracing and dataset warm-up. BulkInferrer: the ranking template's model
(TFT transform inside the signature) scores every split of `rows` generated impressions on the
DirectRunner, in its own process (earlier nodes cached).

    .venv/bin/python benchmarks/training_loop.py [--rows 100000] [--tune_steps 30] [--update-readme]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import REPO, benchmark_main, markdown_table, run_measured

TUNER = """
import json, glob
sys.path.insert(0, {penguin!r})
from pipeline import create_pipeline
from pipelines import LocalRunner, Pipeline
full = create_pipeline(root={root!r}, data_root={data!r}, tune_steps={tune_steps}, max_trials=4)
nodes = full.nodes[:full.node_ids.index("Tuner") + 1]
result = LocalRunner().run(Pipeline("penguin", {root!r}, nodes))
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT["seconds"] = json.load(open(result.output("Tuner", "tuner_results").path("trial_seconds.json")))
RESULT["tuner_s"] = result.nodes["Tuner"].duration_s
"""

INFER = """
sys.path.insert(0, {ranking!r})
from pipeline import create_pipeline
from components import BulkInferrer
from pipelines import LocalRunner, Pipeline
full = create_pipeline(root={root!r}, data_root={data!r}, rows={rows}, train_steps=50)
nodes = {{n.id: n for n in full.nodes}}
infer = BulkInferrer(examples=nodes["CsvExampleGen"].outputs["examples"],
                     model=nodes["Trainer"].outputs["model"])
chosen = [nodes[k] for k in ("CsvExampleGen", "ImportSchemaGen", "Transform", "Trainer")] + [infer][:{count}]
result = LocalRunner().run(Pipeline("ranking", {root!r}, chosen))
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update({{k: v.duration_s for k, v in result.nodes.items()}})
"""


def measure(rows: int, tune_steps: int) -> str:
    """Runs both measurements and returns the Markdown table."""
    with tempfile.TemporaryDirectory() as work:
        tuned = run_measured(TUNER.format(penguin=str(REPO / "templates" / "penguin"), root=f"{work}/penguin",
                                          data=f"{work}/penguin-data", tune_steps=tune_steps))
        fields = {"ranking": str(REPO / "templates" / "ranking"), "root": f"{work}/ranking",
                  "data": f"{work}/ranking-data", "rows": rows}
        run_measured(INFER.format(count=0, **fields))
        inferred = run_measured(INFER.format(count=1, **fields))
    seconds = tuned["seconds"]
    rest = statistics.median(seconds[1:]) if len(seconds) > 1 else float("nan")
    table = [[f"Tuner, penguin, {len(seconds)} trials of {tune_steps} steps", f"{tuned['tuner_s']:.1f}",
              f"first trial {seconds[0]:.1f} s (tracing, warm-up), then {rest:.1f} s per trial"],
             [f"BulkInferrer, ranking model, {rows:,} rows (DirectRunner)", f"{inferred['BulkInferrer']:.1f}",
              f"{rows / inferred['BulkInferrer']:,.0f} rows/s, PredictionLogs written"]]
    return markdown_table(["step", "seconds", "detail"], table)


if __name__ == "__main__":
    benchmark_main(__doc__, "training_loop", measure, {"rows": 100_000, "tune_steps": 30})
