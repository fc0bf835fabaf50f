"""The review notebooks run as they are, from their own folder, with no environment variable.

The repository's layout is mirrored in a temporary directory: the notebooks, unchanged, in
`notebooks/` and a store in `runs/ctr` (where `make demo` puts it), made by two days of a real
pipeline (TFDV statistics, schema and anomalies, TFMA evaluation, the Pusher): day 1's model is
pushed, day 2's is NOT BLESSED. `jupyter nbconvert --execute` runs each notebook in its folder.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components import CsvExampleGen, Evaluator, ExampleValidator, Pusher, SchemaGen, StatisticsGen
from pipelines import LocalRunner, Pipeline, latest_blessed_model
from tests.ui.demo_store import EVAL_CONFIG, fixed_model, write_day

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
JUPYTER = os.path.join(os.path.dirname(sys.executable), "jupyter")


def review_pipeline(root: Path, data_root: Path, serving: Path, span: int, weight_x: float,
                    weight_z: float) -> Pipeline:
    """Statistics, schema and anomalies of day `span`, a fixed model, its evaluation and push."""
    gen = CsvExampleGen(input_base=str(data_root), pattern="day-{SPAN}/*.csv", span=span)
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    validator = ExampleValidator(statistics=stats.outputs["statistics"], schema=schema.outputs["schema"])
    model = fixed_model(weight_x=weight_x, weight_z=weight_z)
    baseline = latest_blessed_model(pinned_to=gen.outputs["examples"])
    evaluate = Evaluator(examples=gen.outputs["examples"], model=model.outputs["model"],
                         baseline_model=baseline.outputs["model"], eval_config=EVAL_CONFIG)
    push = Pusher(model=model.outputs["model"], model_blessing=evaluate.outputs["blessing"],
                  serving_base=str(serving), model_name="ctr")
    return Pipeline("ctr", str(root), [gen, stats, schema, validator, model, baseline, evaluate, push])


@pytest.fixture(scope="module")
def mirrored_repo(tmp_path_factory):
    """tmp/notebooks (copies of the notebooks) and tmp/runs/ctr (day 1 pushed, day 2 rejected)."""
    base = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "notebooks", base / "notebooks")
    for span, weights in ((1, (3.0, 0.0)), (2, (1.0, 1.5))):
        write_day(base / "data", span)
        result = LocalRunner().run(review_pipeline(base / "runs" / "ctr", base / "data",
                                                   base / "serving", span, *weights))
        assert result.status == "COMPLETE", {n: r.error for n, r in result.nodes.items() if r.error}
    assert result.output("Pusher", "pushed_model").pushed == 0  # the newest record is a refusal
    return base


def test_notebooks_run_from_their_folder_and_find_the_demo_store(mirrored_repo):
    env = {key: value for key, value in os.environ.items() if key != "STARLING_NOTEBOOK_ROOT"}
    folder = mirrored_repo / "notebooks"
    executed = mirrored_repo / "executed"
    notebooks = sorted(path.name for path in folder.glob("*.ipynb"))
    assert notebooks == ["lineage.ipynb", "review_anomalies.ipynb", "sliced_evaluation.ipynb"]
    done = subprocess.run([JUPYTER, "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=300", "--output-dir", str(executed),
                           *notebooks], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    texts = {}
    for name in notebooks:
        cells = json.loads((executed / name).read_text())["cells"]
        outputs = [output for cell in cells for output in cell.get("outputs", [])]
        assert not [o for o in outputs if o["output_type"] == "error"], name
        texts[name] = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                              for o in outputs)
        assert str(mirrored_repo / "runs" / "ctr" / "metadata.sqlite") in texts[name], name
    lineage = texts["lineage.ipynb"]
    assert "version 1 of ctr" in lineage and "(pushed 1, pushed_version 1)" in lineage
    assert "(span 1" in lineage and "(span 2" not in lineage
    assert "rejected" in lineage and "pushed" in lineage  # the runs table tells them apart
