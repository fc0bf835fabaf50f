"""The ctr template's day 1, node by node, against the libraries alone doing the same work (the floor).

One fresh process runs the template (its own defaults) cold with LocalRunner; a second fresh
process then does each node's work with the plain library (benchmarks/library_floor.py),
reading what the run wrote, twice: the first round pays the libraries' first use in the
process, the second runs warm; the floor is the faster of the two (on a shared machine either
may be the slower). The ratio is Starling's node time over the floor. Starling's node times
include the imports each node pays first in its run; the library's are all paid up front.

    .venv/bin/python benchmarks/node_floor.py [--rows 20000] [--update-readme]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ctr_pipeline import RUN
from benchmarks.measure import REPO, benchmark_main, markdown_table, run_measured

GOAL_S = 30.0
CTR = REPO / "templates" / "ctr"
FLOOR = """
from benchmarks.library_floor import measure_floor
RESULT.update(measure_floor({root!r}, {ctr!r}, {csv!r}, {out!r}))
"""
WHAT = {
    "CsvExampleGen": "pyarrow CSV read, tfx-bsl tf.Example encoding, gzip TFRecords",
    "StatisticsGen": "TFDV in-memory statistics of both splits (records decoded to Arrow)",
    "Transform": "TFT AnalyzeAndTransformDataset + TransformDataset on Beam, TFRecords written",
    "Trainer": "the template's run_fn: tf_keras fit (AutoGraph off tf_keras) and export",
    "Evaluator": "TFMA run_model_analysis, same EvalConfig, include_default_metrics=False",
    "InfraValidator": "SavedModel loaded in-process, 10 examples through serving_default",
    "BulkInferrer": "SavedModel loaded, eval split scored in batches of 256 (nothing written)",
}


def _rows(starling: dict, floor: dict) -> list[list[str]]:
    nodes = starling["nodes"]
    rows = []
    for node, what in WHAT.items():
        ours, first, warm = nodes[node][1], floor[node][0], min(floor[node])
        rows.append([node, f"{ours:.2f}", f"{first:.2f}", f"{warm:.2f}", f"{ours / warm:.1f}x", what])
    others = [node for node in nodes if node not in WHAT]
    rows.append([f"{len(others)} other nodes", f"{sum(nodes[node][1] for node in others):.2f}", "-", "-", "-",
                 "schema import, resolvers, validation, push"])
    script = floor["imports"][0] + sum(floor[node][0] for node in WHAT)
    rows.append(["**day 1, whole run**", f"**{starling['wall_s']:.1f}**", f"**{script:.1f}**", "-",
                 f"{starling['wall_s'] / script:.1f}x",
                 f"Starling: process start included; library: imports ({floor['imports'][0]:.1f} s) "
                 "+ the first round, process start excluded"])
    return rows


def measure(rows: int) -> str:
    """Runs the template cold, then the library floor on its outputs; returns the Markdown table."""
    sys.path.insert(0, str(CTR))
    from data_generator import CtrDataConfig, write_days

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as work:
        write_days(Path(work) / "data", [1], CtrDataConfig(rows_per_day=rows))
        starling = run_measured(RUN.format(pipeline=str(CTR / "pipeline.py"), root=f"{work}/root",
                                           data=f"{work}/data", serving=f"{work}/serving", extra={}))
        csv = next(str(path) for path in (Path(work) / "data").rglob("*.csv"))
        floor = run_measured(FLOOR.format(root=f"{work}/root", ctr=str(CTR), out=f"{work}/floor", csv=csv))
    load_after = os.getloadavg()[0]
    verdict = "within" if starling["wall_s"] <= GOAL_S else "over"
    return (f"ctr template day 1, {rows:,} rows, the template's defaults; {os.cpu_count()} cores shared "
            f"with other work (1-minute load average {load_before:.1f} before, {load_after:.1f} after). "
            f"Day 1 cold: **{starling['wall_s']:.1f} s**, {verdict} the {GOAL_S:.0f} s goal:\n\n"
            + markdown_table(["node", "Starling s", "library s, first in process", "library s, best of 2",
                              "Starling / best", "the library alone does"], _rows(starling, floor)))


if __name__ == "__main__":
    benchmark_main(__doc__, "node_floor", measure, {"rows": 20_000})
