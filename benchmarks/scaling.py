"""ExampleGen + StatisticsGen + Transform on a generated ctr CSV, on four Beam set-ups.

The DirectRunner with StatisticsGen and Transform forced onto their Beam paths
(`in_memory_limit_bytes=0`, how both ran before issue 25), the DirectRunner with their defaults
(in-memory statistics, Transform's batched I/O), the DirectRunner with 2 worker processes, and
the local Flink cluster of `make flink-up` with parallelism 2 (the Flink row needs the cluster
running; it is skipped, and says so, when none answers). Each runs in a fresh driver process on
the same file in the same run: wall and CPU seconds of each component (CPU: user + system of the
driver and the worker processes it waited for), rows/s, peak RSS of the driver, and the 1-minute
load average, since the machine's 2 cores are shared with other work. Each set-up has a decoded-
examples cache of its own (`components.decoded_cache.DecodedCache`, in the run's temporary
directory), so none reads what another decoded: ExampleGen's kept rows are what StatisticsGen and
Transform read in the same run, as in a pipeline run on a fresh machine.

    make flink-up
    .venv/bin/python benchmarks/scaling.py [--rows 1000000] [--update-readme]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import REPO, benchmark_main, markdown_table, run_measured
from components.beam import is_remote
from pipelines.errors import StarlingError

sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, write_days

COMPONENTS = ("CsvExampleGen", "StatisticsGen", "Transform")
PIPELINE = """
os.environ["STARLING_DECODED_CACHE_DIR"] = {cache!r}
from pipelines import LocalRunner, Pipeline
from pipelines.runner.progress import RunListener
from components import CsvExampleGen, ImportSchemaGen, StatisticsGen, Transform


def cpu_s():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class NodeCpu(RunListener):
    def node_started(self, node_id, component):
        RESULT[node_id + "_cpu_s"] = -cpu_s()

    def node_finished(self, result):
        RESULT[result.node_id + "_cpu_s"] += cpu_s()


limit = {limit}
paths = {{}} if limit is None else {{"in_memory_limit_bytes": limit}}
gen = CsvExampleGen(input_base={data!r})
schema = ImportSchemaGen(schema_file={schema!r})
stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"], **paths)
transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                      module_file={module!r}, **paths)
pipeline = Pipeline("scaling", {root!r}, [gen, schema, stats, transform], enable_cache=False,
                    beam_args={beam_args!r})
result = LocalRunner(listener=NodeCpu()).run(pipeline)
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update({{name: result.nodes[name].duration_s for name in {components!r}}})
RESULT["rows_read"] = result.nodes["CsvExampleGen"].outputs["examples"].properties["rows_read"]
RESULT["paths"] = [result.nodes[name].outputs[port].properties["computed"]
                   for name, port in (("StatisticsGen", "statistics"), ("Transform", "transformed_examples"))]
"""
MULTI_PROCESSING = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


BEAM_PATHS = 0  # in_memory_limit_bytes that forces StatisticsGen and Transform onto Beam
HEADERS = ["runner", "ExampleGen s (CPU s)", "StatisticsGen s (CPU s)", "Transform s (CPU s)",
           "total s (CPU s)", "rows/s (per CPU s)", "vs Beam paths", "driver peak RSS MB"]


def _setups() -> list[tuple[str, list[str] | None, int | None, str]]:
    """(label, beam_args or None when unavailable, in_memory_limit_bytes or None for the default, note)."""
    from pipelines.cli.beam_flags import local_flink_args

    try:
        flink: list[str] | None = local_flink_args()
        note = ""
    except StarlingError as error:
        flink, note = None, f"skipped: {error}"
    return [("DirectRunner, Beam paths (`in_memory_limit_bytes=0`, as before issue 25)", [], BEAM_PATHS, ""),
            ("DirectRunner, in memory (the defaults)", [], None, ""),
            ("DirectRunner, multi_processing, 2 workers", MULTI_PROCESSING, None, ""),
            ("local Flink 1.19, parallelism 2 (`--runner flink`)", flink, None, note)]


def _row(label: str, result: dict, rows: int, before: dict | None) -> list[str]:
    seconds = [result[name] for name in COMPONENTS]
    cpu = [result[f"{name}_cpu_s"] for name in COMPONENTS]
    total, total_cpu = sum(seconds), sum(cpu)
    ratio = ""
    if before is not None and before is not result:
        before_total = sum(before[name] for name in COMPONENTS)
        before_cpu = sum(before[f"{name}_cpu_s"] for name in COMPONENTS)
        ratio = f"{before_total / total:.2f}x (CPU {before_cpu / total_cpu:.2f}x)"
    elif before is result:
        ratio = "1.00x"
    return [label, *(f"{s:.1f} ({c:.1f})" for s, c in zip(seconds, cpu, strict=True)),
            f"**{total:.1f}** ({total_cpu:.1f})", f"{rows / total:,.0f} ({rows / total_cpu:,.0f})", ratio,
            f"{result['peak_rss_mb']:,.0f}"]


def measure(rows: int) -> str:
    """Runs the set-ups on one generated file; returns the Markdown table."""
    table = []
    before: dict | None = None
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as work:
        [csv] = write_days(Path(work) / "data", [1], CtrDataConfig(rows_per_day=rows))
        for index, (label, beam_args, limit, note) in enumerate(_setups()):
            if beam_args is None:
                table.append([label, note, *[""] * (len(HEADERS) - 2)])
                continue
            try:
                result = run_measured(PIPELINE.format(
                    data=str(csv.parent), schema=str(REPO / "schemas" / "ctr.pbtxt"),
                    module=str(REPO / "templates" / "ctr" / "preprocessing.py"), limit=limit,
                    root=str(Path(work) / f"root-{index}"), beam_args=beam_args, components=COMPONENTS,
                    cache=str(Path(work) / f"decoded-{index}")))
            except RuntimeError as error:  # the table says which set-up failed; the log says why
                print(error, file=sys.stderr)
                table.append([label, "failed (see stderr)", *[""] * (len(HEADERS) - 2)])
                continue
            if result["rows_read"] != rows:
                raise RuntimeError(f"{label}: ExampleGen read {result['rows_read']} rows of {rows}")
            expected = ["beam"] * 2 if limit == BEAM_PATHS or is_remote(beam_args) else ["in memory"] * 2
            if result["paths"] != expected:
                raise RuntimeError(f"{label}: StatisticsGen, Transform ran {result['paths']}, not {expected}")
            before = before or result
            table.append(_row(label, result, rows, before))
            print(" | ".join(table[-1]), file=sys.stderr)
    load_after = os.getloadavg()[0]
    return (f"{rows:,} ctr rows (10 columns), one CSV; 2 cores shared with other work (1-minute load "
            f"average {load_before:.1f} before, {load_after:.1f} after); wall seconds, CPU seconds in "
            "brackets:\n\n" + markdown_table(HEADERS, table))


if __name__ == "__main__":
    benchmark_main(__doc__, "scaling", measure, {"rows": 1_000_000})
