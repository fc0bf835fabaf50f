"""`starling new` for every template, then exactly the commands it printed, in a clean shell.

Each step runs under `env -i` with only PATH (system directories, no virtualenv) and HOME: what
a new user has after `make install`. Nothing Starling needs may come from the environment.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
STARLING = os.path.join(os.path.dirname(sys.executable), "starling")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
TEMPLATES = ["ctr", "penguin", "quickstart", "ranking"]


def _shell(command: str, cwd: Path) -> str:
    done = subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in CLEAN_ENV.items()), "bash", "-c", command],
                          cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"$ {command}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def printed_steps(output: str) -> list[str]:
    """The indented command lines `starling new` printed after 'Next, in any shell:'."""
    _, _, steps = output.partition("Next, in any shell:\n")
    return [line.strip() for line in steps.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("template", TEMPLATES)
def test_printed_steps_work_verbatim_in_a_clean_shell(tmp_path, template):
    created = _shell(f"{STARLING} new shop --template {template}", tmp_path)
    steps = printed_steps(created)
    assert steps[0] == "cd shop" and any(" run pipeline.py" in step for step in steps), created
    project = tmp_path / "shop"
    outputs = [_shell(step, project) for step in steps[1:]]
    console = "\n".join(outputs)
    assert re.search(r"^Run \S+: COMPLETE in ", console, re.MULTILINE), console[-3000:]
    assert "FAILED" not in console and " passed" in console
    for noise in ("cuFFT", "cuDNN", "cuBLAS", "oneDNN", "Warning"):  # library chatter stays in the log
        assert noise not in console, (noise, console[-3000:])
    if template != "quickstart":
        assert list((project / "serving").glob("*/1/saved_model.pb")), console[-3000:]
    if template == "penguin":  # the review notebooks run against this fresh run, so they never rot
        run_notebooks(project / "runs" / "penguin")


def test_new_without_template_says_which_it_used(tmp_path):
    created = _shell(f"{STARLING} new shop", tmp_path)
    assert "from the 'ctr' template (the default; others: penguin, quickstart, ranking)" in created
    assert f"{sys.executable} data_generator.py" in created  # absolute: no virtualenv assumed


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
