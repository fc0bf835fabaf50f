"""Transform + Trainer (the ctr template's modules) on a generated dataset: time, peak RSS, our share.

Each component runs in its own fresh process (the earlier nodes come from the cache), so peak RSS
is that component's. One more run under cProfile splits the time between our code (pipelines/,
components/, templates/) and the libraries (TFT, Beam, TensorFlow/Keras).

    .venv/bin/python benchmarks/transform_trainer.py [--rows 200000] [--update-readme]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import REPO, benchmark_main, markdown_table, run_measured

PIPELINE = """
sys.path.insert(0, {ctr!r})
from pipelines import LocalRunner, Pipeline
from components import CsvExampleGen, ImportSchemaGen, Transform, Trainer
gen = CsvExampleGen(input_base={data!r}, pattern="day-{{SPAN}}/*.csv")
schema = ImportSchemaGen(schema_file={schema!r})
transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                      module_file={ctr!r} + "/preprocessing.py")
trainer = Trainer(examples=transform.outputs["transformed_examples"], schema=schema.outputs["schema"],
                  transform_graph=transform.outputs["transform_graph"], module_file={ctr!r} + "/model.py",
                  train_steps={steps}, eval_steps=10)
nodes = [gen, schema, transform, trainer][:{count}]
"""

RUN = PIPELINE + """
result = LocalRunner().run(Pipeline("bench", {root!r}, nodes))
assert result.status == "COMPLETE", {{k: v.error for k, v in result.nodes.items()}}
RESULT.update({{k: v.duration_s for k, v in result.nodes.items() if v.status == "COMPLETE"}})
"""

PROFILE = PIPELINE + """
import cProfile, pstats
transform.with_cache(False)
trainer.with_cache(False)
profiler = cProfile.Profile()
profiler.enable()
LocalRunner().run(Pipeline("bench", {root!r}, nodes))
profiler.disable()
stats = pstats.Stats(profiler)
ours = sum(row[2] for key, row in stats.stats.items()
           if key[0].startswith(({repo!r} + "/pipelines", {repo!r} + "/components", {repo!r} + "/templates")))
RESULT.update(ours_s=ours, total_s=stats.total_tt)
"""


def measure(rows: int, steps: int) -> str:
    """Runs the stages and returns the Markdown table."""
    sys.path.insert(0, str(REPO / "templates" / "ctr"))
    from data_generator import CtrDataConfig, write_days

    with tempfile.TemporaryDirectory() as work:
        write_days(Path(work) / "data", [1], CtrDataConfig(rows_per_day=rows))
        fields = {"ctr": str(REPO / "templates" / "ctr"), "data": str(Path(work) / "data"),
                  "schema": str(REPO / "schemas" / "ctr.pbtxt"), "root": str(Path(work) / "root"),
                  "steps": steps, "repo": str(REPO)}
        run_measured(RUN.format(count=2, **fields))
        transform = run_measured(RUN.format(count=3, **fields))
        trainer = run_measured(RUN.format(count=4, **fields))
        profile = run_measured(PROFILE.format(count=4, **fields))
    share = profile["ours_s"] / profile["total_s"]
    table = [["Transform (TFT analysis on Beam, batched transform)", f"{transform['Transform']:.1f}",
              f"{rows / transform['Transform']:,.0f}", f"{transform['peak_rss_mb']:,.0f}"],
             [f"Trainer ({steps} steps of 256, tf_keras)", f"{trainer['Trainer']:.1f}", "-",
              f"{trainer['peak_rss_mb']:,.0f}"]]
    return (f"{rows:,} generated ctr rows, one span:\n\n"
            + markdown_table(["component", "seconds", "rows/s", "peak RSS MB (own process)"], table)
            + f"\n\nOne profiled run of both: {profile['total_s']:.1f} s in all, {profile['ours_s']:.2f} s "
              f"({share:.1%}) in Starling's own code (pipelines/, components/, templates/); the rest "
              "inside TFT, Beam, TensorFlow and Keras (cProfile of the main thread: work in the "
              "libraries' own threads counts as theirs).")


if __name__ == "__main__":
    benchmark_main(__doc__, "transform_trainer", measure, {"rows": 200_000, "steps": 500})
