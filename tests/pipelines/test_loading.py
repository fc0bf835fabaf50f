"""Loading pipeline files: two projects with same-named modules never share one; nothing leaks."""

import sys
from pathlib import Path

from pipelines import LocalRunner
from pipelines.dsl.loading import load_pipeline

PIPELINE = '''
from pathlib import Path
from pipelines import Output, Pipeline, component
from pipelines.artifacts import Model
from helpers import VALUE

@component
def report(model: Output[Model]):
    Path(model.path("value.txt")).write_text(VALUE)

pipeline = Pipeline("NAME", "ROOT", [report()])
'''


def _project(tmp_path, name):
    project = tmp_path / name
    project.mkdir()
    (project / "helpers.py").write_text(f"VALUE = {name!r}\n")
    (project / "pipeline.py").write_text(PIPELINE.replace("NAME", name)
                                         .replace("ROOT", str(tmp_path / f"root-{name}")))
    return str(project / "pipeline.py")


def test_same_named_modules_of_two_projects_stay_apart_and_nothing_leaks(tmp_path):
    path_before, modules_before = list(sys.path), set(sys.modules)
    first = load_pipeline(_project(tmp_path, "alpha"))
    second = load_pipeline(_project(tmp_path, "beta"))
    assert sys.path == path_before
    assert "helpers" not in sys.modules and set(sys.modules) - modules_before <= {
        name for name in sys.modules if not name.startswith(("helpers", "starling_pipeline_"))}
    for pipeline, expected in ((first, "alpha"), (second, "beta")):
        result = LocalRunner().run(pipeline)
        assert Path(result.output("report", "model").path("value.txt")).read_text() == expected
