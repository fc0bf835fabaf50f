"""What deferring Beam's GCP re-exports saves: importing the libraries a Starling run needs, both ways.

Fresh processes alternate between the default (BigQuery/Pub/Sub imported on first use,
pipelines/environment/beam_gcp.py) and `STARLING_BEAM_GCP_EAGER=1` (as Beam does); the median
of each is reported, along with a small DirectRunner pipeline that the lazy way must not undo.

    .venv/bin/python benchmarks/beam_imports.py [--rounds 3] [--update-readme]
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import benchmark_main, markdown_table, run_measured

CODE = """
started = time.perf_counter()
import apache_beam as beam
RESULT["beam_s"] = time.perf_counter() - started
import tensorflow_transform.beam, tensorflow_model_analysis, tensorflow_data_validation
RESULT["libraries_s"] = time.perf_counter() - started
with beam.Pipeline() as pipeline:
    _ = pipeline | beam.Create([1, 2]) | beam.Map(lambda x: x)
RESULT["bigquery"] = "apache_beam.io.gcp.bigquery" in sys.modules
"""


def _run(eager: bool) -> dict:
    saved = os.environ.pop("STARLING_BEAM_GCP_EAGER", None)
    if eager:
        os.environ["STARLING_BEAM_GCP_EAGER"] = "1"
    try:
        return run_measured(CODE)
    finally:
        os.environ.pop("STARLING_BEAM_GCP_EAGER", None)
        if saved is not None:
            os.environ["STARLING_BEAM_GCP_EAGER"] = saved


def measure(rounds: int) -> str:
    """Alternating lazy and eager processes; returns the Markdown table."""
    runs: dict[bool, list[dict]] = {False: [], True: []}
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        for eager in (True, False):
            runs[eager].append(_run(eager))
    load_after = os.getloadavg()[0]

    def median(eager: bool, key: str) -> float:
        return statistics.median(run[key] for run in runs[eager])

    rows = [[label, f"{median(eager, 'beam_s'):.2f}", f"{median(eager, 'libraries_s'):.2f}",
             str(runs[eager][0]["bigquery"])]
            for label, eager in (("as Beam does (`STARLING_BEAM_GCP_EAGER=1`)", True),
                                 ("Starling's default (on first use)", False))]
    saved = median(True, "libraries_s") - median(False, "libraries_s")
    return (f"Median of {rounds} fresh processes each, after `import pipelines`; 1-minute load average "
            f"{load_before:.1f} before, {load_after:.1f} after; {saved:.2f} s saved per process that runs "
            "Beam:\n\n"
            + markdown_table(["GCP re-exports", "import apache_beam s", "+ TFT, TFMA, TFDV s",
                              "BigQuery imported after a DirectRunner pipeline"], rows))


if __name__ == "__main__":
    benchmark_main(__doc__, "beam_imports", measure, {"rounds": 3})
