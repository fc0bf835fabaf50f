"""ExampleGen + StatisticsGen + Transform on a generated ctr CSV, on three Beam set-ups.

DirectRunner in memory, DirectRunner with 2 worker processes, and the local Flink cluster of
`make flink-up` with parallelism 2 (the Flink row needs the cluster running; it is skipped, and
says so, when none answers). Each runs in a fresh driver process on the same file in the same run:
wall time of the three components, rows/s, peak RSS of the driver.

    make flink-up
    .venv/bin/python benchmarks/scaling.py [--rows 1000000] [--update-readme]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import REPO, benchmark_main, markdown_table, run_measured
from pipelines.errors import StarlingError

sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, write_days

COMPONENTS = ("CsvExampleGen", "StatisticsGen", "Transform")
PIPELINE = """
from pipelines import LocalRunner, Pipeline
from components import CsvExampleGen, ImportSchemaGen, StatisticsGen, Transform
gen = CsvExampleGen(input_base={data!r})
schema = ImportSchemaGen(schema_file={schema!r})
stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                      module_file={module!r})
pipeline = Pipeline("scaling", {root!r}, [gen, schema, stats, transform], enable_cache=False,
                    beam_args={beam_args!r})
result = LocalRunner().run(pipeline)
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update({{name: result.nodes[name].duration_s for name in {components!r}}})
RESULT["rows_read"] = result.nodes["CsvExampleGen"].outputs["examples"].properties["rows_read"]
"""
MULTI_PROCESSING = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def _setups() -> list[tuple[str, list[str] | None, str]]:
    """(label, beam_args or None when unavailable, note)."""
    from pipelines.cli.beam_flags import local_flink_args

    try:
        flink: list[str] | None = local_flink_args()
        note = ""
    except StarlingError as error:
        flink, note = None, f"skipped: {error}"
    return [("DirectRunner, in memory", [], ""),
            ("DirectRunner, multi_processing, 2 workers", MULTI_PROCESSING, ""),
            ("local Flink 1.19, parallelism 2 (`--runner flink`)", flink, note)]


def measure(rows: int) -> str:
    """Runs the three set-ups on one generated file; returns the Markdown table."""
    table = []
    with tempfile.TemporaryDirectory() as work:
        [csv] = write_days(Path(work) / "data", [1], CtrDataConfig(rows_per_day=rows))
        for index, (label, beam_args, note) in enumerate(_setups()):
            if beam_args is None:
                table.append([label, note, "", "", "", "", ""])
                continue
            try:
                result = run_measured(PIPELINE.format(
                    data=str(csv.parent), schema=str(REPO / "schemas" / "ctr.pbtxt"),
                    module=str(REPO / "templates" / "ctr" / "preprocessing.py"),
                    root=str(Path(work) / f"root-{index}"), beam_args=beam_args, components=COMPONENTS))
            except RuntimeError as error:  # the table says which set-up failed; the log says why
                print(error, file=sys.stderr)
                table.append([label, "failed (see stderr)", "", "", "", "", ""])
                continue
            if result["rows_read"] != rows:
                raise RuntimeError(f"{label}: ExampleGen read {result['rows_read']} rows of {rows}")
            seconds = [result[name] for name in COMPONENTS]
            total = sum(seconds)
            table.append([label, *(f"{s:.1f}" for s in seconds), f"{total:.1f}", f"{rows / total:,.0f}",
                          f"{result['peak_rss_mb']:,.0f}"])
    return (f"{rows:,} ctr rows (10 columns), one CSV, 2 cores:\n\n"
            + markdown_table(["runner", "ExampleGen s", "StatisticsGen s", "Transform s", "total s",
                              "rows/s", "driver peak RSS MB"], table))


if __name__ == "__main__":
    benchmark_main(__doc__, "scaling", measure, {"rows": 1_000_000})
