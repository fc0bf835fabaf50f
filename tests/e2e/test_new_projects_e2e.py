"""`starling new` for each template: the new project's own tests and a `starling run` pass."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli.main import main

pytestmark = pytest.mark.e2e
STARLING = os.path.join(os.path.dirname(sys.executable), "starling")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _run(command, cwd):
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900,
                               env={**os.environ, "TF_USE_LEGACY_KERAS": "1"})
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


@pytest.mark.parametrize("template, prepare, params", [
    ("penguin", None, ["--param", "train_steps=60", "--param", "max_trials=2", "--param", "tune_steps=10"]),
    ("ctr", [sys.executable, "data_generator.py", "--out", "data/ctr", "--days", "1", "--rows", "3000"],
     ["--param", "train_steps=20", "--param", "min_auc=0.3", "--param", "gate_on_platform=false"]),
])
def test_new_project_tests_and_run_pass(tmp_path, template, prepare, params):
    assert main(["new", "shop", "--template", template, "--dir", str(tmp_path)]) == 0
    project = tmp_path / "shop"
    assert (project / "schema.pbtxt").is_file() and (project / "README.md").is_file()
    tests = _run([sys.executable, "-m", "pytest", "-q", "tests", "-p", "no:cacheprovider"], project)
    assert "passed" in tests and "failed" not in tests
    if prepare:
        _run(prepare, project)
    output = _run([STARLING, "run", "pipeline.py", *params], project)
    assert re.search(r"^Run \S+: COMPLETE in ", output, re.MULTILINE), output[-3000:]
    assert "FAILED" not in output
    assert list((project / "serving").glob("*/1/saved_model.pb"))
    if template == "penguin":  # the review notebooks run against this fresh run, so they never rot
        run_notebooks(project / "runs" / "penguin")


def run_notebooks(root):
    import nbformat
    from nbclient import NotebookClient

    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        os.environ["STARLING_NOTEBOOK_ROOT"] = str(root)
        try:
            NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
        finally:
            os.environ.pop("STARLING_NOTEBOOK_ROOT", None)
        outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
        assert outputs and not [o for o in outputs if o.get("output_type") == "error"], path.name
