"""ExampleGen + StatisticsGen on a generated CSV vs plain `tfdv.generate_statistics_from_csv`.

Each is run in a fresh process on the same file in the same run: wall time, CPU time (user +
system of the process: what the work costs even when other jobs share the machine), rows/s and
peak RSS. The ratio compares CPU time; the wall-time ratio is printed beside it.

    .venv/bin/python benchmarks/data_ingestion.py [--rows 1000000] [--update-readme]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.data_generation import write_mixed_csv
from benchmarks.measure import benchmark_main, markdown_table, run_measured

_CPU = """
import resource
def cpu_s():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
"""

# ExampleGen runs alone first, then StatisticsGen with ExampleGen cached, so each has its CPU time.
OURS = _CPU + """
import tensorflow_data_validation  # imported before measuring, as in the baseline
from pipelines import LocalRunner, Pipeline
from components import CsvExampleGen, StatisticsGen
gen = CsvExampleGen(input_base={data!r})
stats = StatisticsGen(examples=gen.outputs["examples"])
before = cpu_s()
first = LocalRunner().run(Pipeline("bench", {root!r}, [gen]))
middle = cpu_s()
result = LocalRunner().run(Pipeline("bench", {root!r}, [gen, stats]))
assert first.status == result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update(examplegen_s=first.nodes["CsvExampleGen"].duration_s,
              statisticsgen_s=result.nodes["StatisticsGen"].duration_s,
              examplegen_cpu_s=middle - before, statisticsgen_cpu_s=cpu_s() - middle)
"""

BASELINE = _CPU + """
started = time.perf_counter()
import tensorflow_data_validation as tfdv
imported = time.perf_counter()
before = cpu_s()
tfdv.generate_statistics_from_csv({path!r})
RESULT.update(import_s=imported - started, statistics_s=time.perf_counter() - imported,
              statistics_cpu_s=cpu_s() - before)
"""


def measure(rows: int) -> str:
    """Runs both and returns the Markdown table."""
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "data"
        path = write_mixed_csv(data / "data.csv", rows)
        ours = run_measured(OURS.format(data=str(data), root=str(Path(work) / "root")))
        baseline = run_measured(BASELINE.format(path=str(path)))
    ours_s = ours["examplegen_s"] + ours["statisticsgen_s"]
    ours_cpu = ours["examplegen_cpu_s"] + ours["statisticsgen_cpu_s"]
    base_s, base_cpu = baseline["statistics_s"], baseline["statistics_cpu_s"]
    table = [
        ["CsvExampleGen (CSV → split tf.Examples)", f"{ours['examplegen_s']:.1f}",
         f"{ours['examplegen_cpu_s']:.1f}", f"{rows / ours['examplegen_cpu_s']:,.0f}", "", ""],
        ["StatisticsGen (per split)", f"{ours['statisticsgen_s']:.1f}", f"{ours['statisticsgen_cpu_s']:.1f}",
         f"{rows / ours['statisticsgen_cpu_s']:,.0f}", "", ""],
        ["ExampleGen + StatisticsGen", f"{ours_s:.1f}", f"{ours_cpu:.1f}", f"{rows / ours_cpu:,.0f}",
         f"{ours['peak_rss_mb']:,.0f}", f"{base_cpu / ours_cpu:.2f} (wall {base_s / ours_s:.2f})"],
        ["`tfdv.generate_statistics_from_csv` (baseline)", f"{base_s:.1f}", f"{base_cpu:.1f}",
         f"{rows / base_cpu:,.0f}", f"{baseline['peak_rss_mb']:,.0f}", "1.00"],
    ]
    return (f"{rows:,} rows x 20 columns (8 int, 7 float, 5 categorical, ~2% missing in two); "
            "column types inferred over the whole file (no schema given):\n\n"
            + markdown_table(["step", "wall s", "CPU s", "rows per CPU s", "peak RSS MB",
                              "rows/s vs baseline (CPU)"], table))


if __name__ == "__main__":
    benchmark_main(__doc__, "data", measure, {"rows": 1_000_000})
