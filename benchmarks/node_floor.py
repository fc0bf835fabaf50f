"""The ctr template's day 1, node by node, against the libraries alone doing the same work (the floor).

`starling run` runs the template (its own defaults) cold, as a user types it; `starling run
--warm` then runs the same day into another root through a warm worker started beforehand (the
state of every run after a session's first); both are timed from the command's start to its
exit, node times read from its progress lines; a fresh
process then does each node's work with the plain library (benchmarks/library_floor.py),
reading what the cold run wrote, twice: the first round pays the libraries' first use in the
process, the second runs warm; the floor is the faster of the two (on a shared machine either
may be the slower). The ratio is Starling's node time over the floor. Starling's node times
include the imports each node pays first in its run; the library's are all paid up front.

    .venv/bin/python benchmarks/node_floor.py [--rows 20000] [--update-readme]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


STARLING = os.path.join(os.path.dirname(sys.executable), "starling")
NODE_LINE = re.compile(r"^\[\s*\d+/\d+\] \S (\S+)\s+\S+\s+([\d.]+)s", re.MULTILINE)


def _starling_run(work: str, warm: bool) -> dict:
    """`starling run` of the day into its own root, as a user types it: wall (start to exit) and node seconds.

    With `warm`, the command has `--warm` and its worker was started beforehand.
    """
    name = "warm" if warm else "cold"
    env = dict(os.environ, XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="sw", dir="/tmp"))
    if warm:
        subprocess.run([STARLING, "warm", "start"], env=env, check=True, capture_output=True)
    params = [f"root={work}/{name}-root", f"data_root={work}/data", f"serving_base={work}/{name}-serving",
              "span=1"]
    command = [STARLING, "run", str(CTR / "pipeline.py"), *(["--warm"] if warm else []),
               *(f"--param={param}" for param in params)]
    try:
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
    finally:
        if warm:
            subprocess.run([STARLING, "warm", "stop"], env=env, capture_output=True)
    nodes = {node: float(seconds) for node, seconds in NODE_LINE.findall(done.stdout)}
    return {"wall_s": wall, "nodes": nodes}


def _rows(starling: dict, warm: dict, floor: dict) -> list[list[str]]:
    nodes = starling["nodes"]
    rows = []
    for node, what in WHAT.items():
        ours, first, best = nodes[node], floor[node][0], min(floor[node])
        rows.append([node, f"{ours:.2f}", f"{warm['nodes'][node]:.2f}", f"{first:.2f}", f"{best:.2f}",
                     f"{ours / best:.1f}x", f"{warm['nodes'][node] / best:.1f}x", what])
    others = [node for node in nodes if node not in WHAT]
    rows.append([f"{len(others)} other nodes", f"{sum(nodes[node] for node in others):.2f}",
                 f"{sum(warm['nodes'][node] for node in others):.2f}", "-", "-", "-", "-",
                 "schema import, resolvers, validation, push"])
    script = floor["imports"][0] + sum(floor[node][0] for node in WHAT)
    rows.append(["**day 1, whole run**", f"**{starling['wall_s']:.1f}**", f"**{warm['wall_s']:.1f}**",
                 f"**{script:.1f}**", "-", f"{starling['wall_s'] / script:.1f}x",
                 f"{warm['wall_s'] / script:.1f}x",
                 f"Starling: the command, start to exit; library: imports ({floor['imports'][0]:.1f} s) "
                 "+ the first round, process start excluded"])
    return rows


def measure(rows: int) -> str:
    """Runs the template cold, then the library floor on its outputs; returns the Markdown table."""
    sys.path.insert(0, str(CTR))
    from data_generator import CtrDataConfig, write_days

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as work:
        write_days(Path(work) / "data", [1], CtrDataConfig(rows_per_day=rows))
        starling = _starling_run(work, warm=False)
        warm = _starling_run(work, warm=True)
        csv = next(str(path) for path in (Path(work) / "data").rglob("*.csv"))
        floor = run_measured(FLOOR.format(root=f"{work}/cold-root", ctr=str(CTR), out=f"{work}/floor",
                                          csv=csv))
    load_after = os.getloadavg()[0]
    def verdict(seconds: float) -> str:
        return f"**{seconds:.1f} s**, {'within' if seconds <= GOAL_S else 'over'} the {GOAL_S:.0f} s goal"

    return (f"ctr template day 1, {rows:,} rows, the template's defaults; {os.cpu_count()} cores shared "
            f"with other work (1-minute load average {load_before:.1f} before, {load_after:.1f} after). "
            f"Day 1 cold: {verdict(starling['wall_s'])}; with `starling run --warm`: "
            f"{verdict(warm['wall_s'])}:\n\n"
            + markdown_table(["node", "Starling cold s", "Starling --warm s", "library s, first in process",
                              "library s, best of 2", "cold / best", "warm / best", "the library alone does"],
                             _rows(starling, warm, floor)))


if __name__ == "__main__":
    benchmark_main(__doc__, "node_floor", measure, {"rows": 20_000})
