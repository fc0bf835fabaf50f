"""ExampleGen + StatisticsGen on a generated CSV vs plain `tfdv.generate_statistics_from_csv`.

Each is run in a fresh process on the same file in the same run: wall time, rows/s, peak RSS.

    .venv/bin/python benchmarks/data_ingestion.py [--rows 1000000] [--update-readme]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data_generation import write_mixed_csv
from benchmarks.measure import benchmark_main, markdown_table, run_measured

OURS = """
from pipelines import LocalRunner, Pipeline
from components import CsvExampleGen, StatisticsGen
gen = CsvExampleGen(input_base={data!r})
stats = StatisticsGen(examples=gen.outputs["examples"])
result = LocalRunner().run(Pipeline("bench", {root!r}, [gen, stats], enable_cache=False))
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update(examplegen_s=result.nodes["CsvExampleGen"].duration_s,
              statisticsgen_s=result.nodes["StatisticsGen"].duration_s)
"""

BASELINE = """
started = time.perf_counter()
import tensorflow_data_validation as tfdv
imported = time.perf_counter()
tfdv.generate_statistics_from_csv({path!r})
RESULT.update(import_s=imported - started, statistics_s=time.perf_counter() - imported)
"""


def measure(rows: int) -> str:
    """Runs both and returns the Markdown table."""
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "data"
        path = write_mixed_csv(data / "data.csv", rows)
        ours = run_measured(OURS.format(data=str(data), root=str(Path(work) / "root")))
        baseline = run_measured(BASELINE.format(path=str(path)))
    ours_s = ours["examplegen_s"] + ours["statisticsgen_s"]
    gen_s, stats_s = ours["examplegen_s"], ours["statisticsgen_s"]
    table = [
        ["CsvExampleGen (CSV → split tf.Examples)", f"{gen_s:.1f}", f"{rows / gen_s:,.0f}", "", ""],
        ["StatisticsGen (per split)", f"{stats_s:.1f}", f"{rows / stats_s:,.0f}", "", ""],
        ["ExampleGen + StatisticsGen", f"{ours_s:.1f}", f"{rows / ours_s:,.0f}",
         f"{ours['peak_rss_mb']:,.0f}", f"{baseline['statistics_s'] / ours_s:.2f}"],
        ["`tfdv.generate_statistics_from_csv` (baseline)", f"{baseline['statistics_s']:.1f}",
         f"{rows / baseline['statistics_s']:,.0f}", f"{baseline['peak_rss_mb']:,.0f}", "1.00"],
    ]
    return (f"{rows:,} rows x 20 columns (8 int, 7 float, 5 categorical, ~2% missing in two):\n\n"
            + markdown_table(["step", "seconds", "rows/s", "peak RSS MB", "rows/s vs baseline"], table))


if __name__ == "__main__":
    benchmark_main(__doc__, "data", measure, {"rows": 1_000_000})
