"""Drivers and the cache key: ExampleGen sees new spans and changed files; code fingerprints see helpers.

Real CsvExampleGen (Beam DirectRunner) and real MLMD on tiny CSVs.
"""

import json
import os
import textwrap
from pathlib import Path

from components import CsvExampleGen
from components.example_gen.driver import CONTENT, input_facts
from pipelines import Input, LocalRunner, Output, Pipeline, component
from pipelines.artifacts import Examples, Model
from pipelines.cli.main import main
from pipelines.dsl.loading import load_pipeline
from tests.pipelines.conftest import statuses


@component
def count_rows(examples: Input[Examples], model: Output[Model]):
    Path(model.path("rows.json")).write_text(json.dumps(examples.properties["rows_written"]))


def _write_day(data, span, rows, name="part.csv"):
    path = Path(data) / f"day-{span}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("user,clicks\n" + "".join(f"u{i},{i % 3}\n" for i in range(rows)))
    return path


def _pipeline(tmp_path):
    gen = CsvExampleGen(input_base=str(tmp_path / "data"), pattern="day-{SPAN}/*.csv")
    return Pipeline("drivers", str(tmp_path / "root"), [gen, count_rows(examples=gen.outputs["examples"])])


def _run(tmp_path):
    return LocalRunner().run(_pipeline(tmp_path))


def test_new_span_reruns_from_example_gen_and_the_same_data_is_cached(tmp_path):
    _write_day(tmp_path / "data", 1, 5)
    first = _run(tmp_path)
    assert statuses(first) == {"CsvExampleGen": "COMPLETE", "count_rows": "COMPLETE"}
    assert statuses(_run(tmp_path)) == {"CsvExampleGen": "CACHED", "count_rows": "CACHED"}

    _write_day(tmp_path / "data", 2, 7)  # a new day arrives; the pipeline names no span
    second = _run(tmp_path)
    assert statuses(second) == {"CsvExampleGen": "COMPLETE", "count_rows": "COMPLETE"}
    examples = second.output("CsvExampleGen", "examples")
    assert examples.span == 2 and examples.properties["rows_written"] == 7
    assert examples.properties["input_fingerprint"] != first.output(
        "CsvExampleGen", "examples").properties["input_fingerprint"]


def test_file_changed_in_place_reruns_and_an_identical_rewrite_does_not(tmp_path):
    day = _write_day(tmp_path / "data", 1, 5)
    _run(tmp_path)
    day.write_text(day.read_text())  # re-delivered with the same bytes (new mtime)
    os.utime(day, (1, 1))
    assert statuses(_run(tmp_path))["CsvExampleGen"] == "CACHED"
    _write_day(tmp_path / "data", 1, 6)  # corrected in place: same span, same name
    result = _run(tmp_path)
    assert statuses(result) == {"CsvExampleGen": "COMPLETE", "count_rows": "COMPLETE"}
    assert result.output("CsvExampleGen", "examples").properties["rows_written"] == 6


def test_driver_facts_are_recorded_and_shown(tmp_path, store_of, capsys):
    _write_day(tmp_path / "data", 3, 4)
    result = _run(tmp_path)
    facts = input_facts(result.nodes["CsvExampleGen"].outputs["examples"].properties
                        | {"input_base": str(tmp_path / "data"), "pattern": "day-{SPAN}/*.csv"})
    assert facts["span"] == 3 and facts["fingerprint_method"] == CONTENT
    [execution] = store_of(tmp_path / "root").executions_by_id(
        [result.nodes["CsvExampleGen"].execution_id])
    assert json.loads(execution.properties["driver_facts"]) == facts
    assert isinstance(execution.properties["pid"], int) and execution.properties["host"]
    stored = store_of(tmp_path / "root").artifact(result.output("CsvExampleGen", "examples").id)
    assert stored.properties["input_fingerprint"] == facts["input_fingerprint"]

    short = facts["input_fingerprint"][:12]
    assert main(["lineage", "Model", "--root", str(tmp_path / "root")]) == 0
    lineage = capsys.readouterr().out
    assert f"saw span 3, data {short} (content" in lineage
    assert main(["artifacts", "--root", str(tmp_path / "root"), "--type", "Examples"]) == 0
    assert short in capsys.readouterr().out


def test_missing_input_fails_the_node_in_one_line_before_running(tmp_path):
    (tmp_path / "data").mkdir()
    result = _run(tmp_path)
    node = result.nodes["CsvExampleGen"]
    assert node.status == "FAILED" and node.execution_id is None  # the driver said no
    assert node.error.startswith("FileNotFoundError: no input files match pattern 'day-{SPAN}/*.csv'")
    assert "\n" not in node.error


PROJECT_PIPELINE = '''
from pathlib import Path
from pipelines import Output, Pipeline, component
from pipelines.artifacts import Model
import helpers

@component
def uses_helper(model: Output[Model]):
    Path(model.path("value.txt")).write_text(str(helpers.value()))

pipeline = Pipeline("helped", "ROOT", [uses_helper()])
'''


def test_editing_a_helper_module_reruns_the_component_that_imports_it(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pipeline.py").write_text(PROJECT_PIPELINE.replace("ROOT", str(tmp_path / "root")))
    (project / "helpers.py").write_text("def value():\n    return 1\n")

    def run():
        result = LocalRunner().run(load_pipeline(str(project / "pipeline.py")))
        return result.nodes["uses_helper"].status, Path(
            result.output("uses_helper", "model").path("value.txt")).read_text()

    assert run() == ("COMPLETE", "1")
    assert run() == ("CACHED", "1")
    (project / "helpers.py").write_text(textwrap.dedent("""
        def value():
            return 2
    """))
    assert run() == ("COMPLETE", "2")
