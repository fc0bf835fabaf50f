"""Cache keys that are right: complete, precise, relocatable, verified, explained (issue 20).

Real pipelines, real MLMD (SQLite), real files; `starling run` and `starling plan` as a user
types them where it matters (moving a project, a changed Starling install).
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from pipelines import LocalRunner
from pipelines.dsl.loading import load_pipeline
from pipelines.dsl.locations import STARLING_DIR, STARLING_PACKAGES
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.runner.plan import plan_pipeline

TAXI_PIPELINE = '''
import json
from pathlib import Path
from pipelines import Output, Parameter, Pipeline, UserModule, component
from pipelines.artifacts import Model, TransformGraph
from pipelines.dsl.module_reference import bind_to_project, load_function


@component(name="Transform")
def transform(graph: Output[TransformGraph], preprocessing_fn: Parameter[UserModule]):
    Path(graph.path("fn.json")).write_text(json.dumps(load_function(preprocessing_fn, "x")()))


@component(name="Trainer")
def trainer(model: Output[Model], run_fn: Parameter[UserModule]):
    Path(model.path("model.json")).write_text(json.dumps(load_function(run_fn, "x")()))


pipeline = Pipeline("taxi", "runs/taxi", [
    transform(preprocessing_fn=bind_to_project("models.preprocessing.preprocessing_fn")),
    trainer(run_fn=bind_to_project("models.keras_model.model.run_fn"))])
'''

TAXI_MODULES = {
    "models/__init__.py": "",
    "models/features.py": "LABEL = 'tips'\nBUCKETS = 10\n",
    "models/preprocessing.py": "from models import features\n\n"
                               "def preprocessing_fn():\n    return {'buckets': features.BUCKETS}\n",
    "models/keras_model/__init__.py": "",
    "models/keras_model/constants.py": "HIDDEN_UNITS = [16, 8]\n",
    "models/keras_model/model.py": "from models import features\nfrom models.keras_model import constants\n\n"
                                   "def run_fn():\n    return {'units': constants.HIDDEN_UNITS, "
                                   "'label': features.LABEL}\n",
}

NUMBERS_PIPELINE = '''
import json
from pathlib import Path

from pipelines import Input, LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model


@component
def make_numbers(examples: Output[Examples], count: Parameter[int] = 100):
    Path(examples.path("numbers.json")).write_text(json.dumps(list(range(count))))
    examples.span = 1


@component
def fit_mean(examples: Input[Examples], model: Output[Model], scale: Parameter[float] = 1.0):
    numbers = json.loads(Path(examples.path("numbers.json")).read_text())
    Path(model.path("mean.json")).write_text(json.dumps(scale * sum(numbers) / len(numbers)))


gen = make_numbers(count=50)
fit = fit_mean(examples=gen.outputs["examples"], scale=2.0)
pipeline = Pipeline(name="numbers", root="runs/numbers", nodes=[gen, fit])
'''


def _write(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _run(project: Path) -> dict[str, tuple[str, str]]:
    """Runs the project's pipeline.py from its directory: {node: (status, reason)}."""
    cwd = os.getcwd()
    os.chdir(project)
    try:
        result = LocalRunner().run(load_pipeline("pipeline.py"))
    finally:
        os.chdir(cwd)
    return {node_id: (node.status, node.reason) for node_id, node in result.nodes.items()}


def _starling(project: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "pipelines.cli.main", *args], cwd=project,
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_editing_a_module_a_run_fn_imports_reruns_only_what_imports_it(tmp_path):
    _write(tmp_path, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    assert {status for status, _ in _run(tmp_path).values()} == {"COMPLETE"}
    (tmp_path / "models/keras_model/constants.py").write_text("HIDDEN_UNITS = [32, 16, 8]\n")
    after_constants = _run(tmp_path)
    assert after_constants["Transform"][0] == "CACHED"
    assert after_constants["Trainer"] == ("COMPLETE", "code models/keras_model/constants.py changed (run_fn)")
    (tmp_path / "models/features.py").write_text("LABEL = 'tips'\nBUCKETS = 20\n")
    after_features = _run(tmp_path)
    assert after_features["Transform"] == ("COMPLETE", "code models/features.py changed (preprocessing_fn)")
    assert after_features["Trainer"] == ("COMPLETE", "code models/features.py changed (run_fn)")


def test_a_component_is_fingerprinted_by_its_own_function_not_the_whole_file(tmp_path):
    """The README's promise: change `scale` and only `fit_mean` runs again."""
    _write(tmp_path, {"pipeline.py": NUMBERS_PIPELINE})
    _run(tmp_path)
    pipeline_file = tmp_path / "pipeline.py"
    pipeline_file.write_text(NUMBERS_PIPELINE.replace("scale=2.0)", "scale=3.0)"))
    rerun = _run(tmp_path)
    assert rerun["make_numbers"][0] == "CACHED"
    assert rerun["fit_mean"] == ("COMPLETE", "parameter scale 2.0 → 3.0")
    pipeline_file.write_text(pipeline_file.read_text().replace(
        "scale * sum(numbers) / len(numbers)", "scale * sum(numbers) / max(len(numbers), 1)"))
    edited = _run(tmp_path)
    assert edited["make_numbers"][0] == "CACHED"
    assert edited["fit_mean"] == ("COMPLETE", "code pipeline.py::fit_mean changed")


def test_a_moved_project_with_its_root_is_all_cached_and_its_artifacts_found_there(tmp_path):
    first = tmp_path / "first"
    _write(first, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    _run(first)
    moved = tmp_path / "elsewhere" / "second"
    shutil.move(first, moved)
    assert {status for status, _ in _run(moved).values()} == {"CACHED"}
    listing = _starling(moved, "artifacts", "--root", "runs/taxi")
    assert str(moved)[:50] in listing and str(first) + "/" not in listing  # the URI column is cut
    store = MetadataStore(sqlite_config(str(moved / "runs/taxi/metadata.sqlite")))
    uris = [artifact.uri for artifact in store.query_artifacts("type = 'Model'")]
    assert uris and all(uri.startswith(str(moved)) and os.path.isdir(uri) for uri in uris)


def test_a_damaged_cached_artifact_is_not_reused_and_the_node_says_why(tmp_path):
    _write(tmp_path, {"pipeline.py": NUMBERS_PIPELINE})
    _run(tmp_path)
    [numbers] = (tmp_path / "runs/numbers/make_numbers/examples").glob("*/numbers.json")
    numbers.write_text(numbers.read_text().replace("[0,", "[9,"))  # same size, other content
    rerun = _run(tmp_path)
    assert rerun["make_numbers"] == (
        "COMPLETE", "cached artifact failed its check: examples: file numbers.json changed (content)")
    newest_model = max((tmp_path / "runs/numbers/fit_mean/model").glob("*/mean.json"),
                       key=lambda path: int(path.parent.name))
    newest_model.unlink()
    again = _run(tmp_path)
    assert again["make_numbers"][0] == "CACHED"
    assert again["fit_mean"] == (
        "COMPLETE", "cached artifact failed its check: model: file mean.json is missing")


def test_plan_names_each_reason_without_running_anything(tmp_path):
    _write(tmp_path, {**TAXI_MODULES, "pipeline.py": TAXI_PIPELINE})
    assert "no earlier execution (no metadata store yet)" in _starling(tmp_path, "plan", "pipeline.py")
    assert not (tmp_path / "runs").exists()
    _run(tmp_path)
    cached = _starling(tmp_path, "plan", "pipeline.py")
    assert "✓ Transform  CACHED    reuses execution 1" in cached and "2 cached, 0 will run" in cached
    (tmp_path / "models/keras_model/constants.py").write_text("HIDDEN_UNITS = [4]\n")
    changed = _starling(tmp_path, "plan", "pipeline.py")
    assert "▶ Trainer    WILL RUN  code models/keras_model/constants.py changed (run_fn)" in changed
    store = MetadataStore(sqlite_config(str(tmp_path / "runs/taxi/metadata.sqlite")))
    assert len(store.latest_executions("taxi", "Trainer")) == 1  # planning recorded nothing


def test_plan_says_a_parameter_changed_and_what_follows_from_it(tmp_path):
    _write(tmp_path, {"pipeline.py": NUMBERS_PIPELINE.replace(
        'pipeline = Pipeline(name="numbers", root="runs/numbers", nodes=[gen, fit])',
        'def create_pipeline(count: int = 50):\n'
        '    gen = make_numbers(count=count)\n'
        '    fit = fit_mean(examples=gen.outputs["examples"], scale=2.0)\n'
        '    return Pipeline(name="numbers", root="runs/numbers", nodes=[gen, fit])')})
    _starling(tmp_path, "run", "pipeline.py")
    planned = _starling(tmp_path, "plan", "pipeline.py", "--param", "count=60")
    assert "make_numbers  WILL RUN  parameter count 50 → 60" in planned
    assert "fit_mean      WILL RUN  upstream make_numbers will run" in planned
    store = MetadataStore(sqlite_config(str(tmp_path / "runs/numbers/metadata.sqlite")))
    planned_nodes = plan_pipeline(load_pipeline(str(tmp_path / "pipeline.py")), store)
    assert [node.verdict for node in planned_nodes] == ["CACHED", "CACHED"]


def test_a_standard_component_reruns_when_the_starling_code_it_runs_changes(tmp_path):
    """A copy of Starling's packages stands for an upgraded (or edited editable) install."""
    copy = tmp_path / "starling_copy"
    for package in STARLING_PACKAGES:
        shutil.copytree(Path(STARLING_DIR) / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    project = tmp_path / "project"
    _write(project, {"data/day-1/rows.csv": "a,b\n1,2\n3,4\n", "pipeline.py": textwrap.dedent('''
        from components import CsvExampleGen
        from pipelines import Pipeline
        gen = CsvExampleGen(input_base="data", pattern="day-{SPAN}/*.csv")
        pipeline = Pipeline("ingest", "runs/ingest", [gen])
    ''')})
    env = {**os.environ, "PYTHONPATH": str(copy)}
    assert "COMPLETE" in _starling(project, "run", "pipeline.py", env=env)
    assert "CACHED" in _starling(project, "run", "pipeline.py", env=env)
    helper = copy / "components" / "example_gen" / "csv_rows.py"
    helper.write_text(helper.read_text() + "\n# a fix in a helper of CsvExampleGen\n")
    rerun = _starling(project, "run", "pipeline.py", env=env)
    assert "CsvExampleGen                COMPLETE" in rerun
    assert "(code components/example_gen/csv_rows.py changed)" in rerun
