"""The ctr pipeline over one span: per-component and end-to-end times, cold and fully cached.

Both runs are fresh `starling run`-like processes; the cached one must not import TensorFlow.

    .venv/bin/python benchmarks/ctr_pipeline.py [--rows 100000] [--update-readme]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import REPO, benchmark_main, markdown_table, run_measured

RUN = """
from pipelines import LocalRunner
from pipelines.cli.loader import load_pipeline
pipeline = load_pipeline({pipeline!r}, {{"root": {root!r}, "data_root": {data!r}, "serving_base": {serving!r},
                                        "span": 1, **{extra!r}}})
result = LocalRunner().run(pipeline)
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update(nodes={{k: [v.status, v.duration_s] for k, v in result.nodes.items()}}, run_s=result.duration_s)
"""


def measure(rows: int) -> str:
    """Runs the pipeline cold then cached and returns the Markdown table."""
    sys.path.insert(0, str(REPO / "templates" / "ctr"))
    from data_generator import CtrDataConfig, write_days

    with tempfile.TemporaryDirectory() as work:
        write_days(Path(work) / "data", [1], CtrDataConfig(rows_per_day=rows))
        code = RUN.format(pipeline=str(REPO / "templates" / "ctr" / "pipeline.py"), root=f"{work}/root",
                          data=f"{work}/data", serving=f"{work}/serving",
                          extra={"train_steps": 300})
        cold = run_measured(code)
        cached = run_measured(code)
    rows_out = [[node, f"{cold['nodes'][node][1]:.2f}", f"{cached['nodes'][node][1] * 1000:.1f} ms",
                 cached["nodes"][node][0]] for node in cold["nodes"]]
    rows_out.append(["**whole run, process start included**", f"**{cold['wall_s']:.1f}**",
                     f"**{cached['wall_s']:.2f} s**",
                     f"TensorFlow imported: {cached['tensorflow_imported']}"])
    return (f"{rows:,} rows in the span, 300 training steps; cached rerun "
            f"{cold['wall_s'] / cached['wall_s']:.0f}x faster than cold:\n\n"
            + markdown_table(["node", "cold seconds", "cached", "cached status"], rows_out))


if __name__ == "__main__":
    benchmark_main(__doc__, "ctr", measure, {"rows": 100_000})
