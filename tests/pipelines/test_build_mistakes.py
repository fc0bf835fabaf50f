"""A user's mistakes are caught when the pipeline is built, before any node runs, named for what they are.

Each case is a pipeline file using the standard components, run with `starling run`: the run
exits 2 with one line naming the file, the line and the mistake, and nothing is recorded.
"""

import subprocess
import sys
import textwrap

import pytest

from pipelines.cli.main import main

HEADER = '''
from components import CsvExampleGen, ImportSchemaGen, StatisticsGen, SchemaGen, Trainer, Transform
from pipelines import Pipeline
'''

CASES = {
    "missing schema file": (
        '''schema = ImportSchemaGen(schema_file="schemas/nowhere.pbtxt")
pipeline = Pipeline("p", "ROOT", [schema])''',
        "pipeline.py:4: invalid pipeline: node 'ImportSchemaGen': schema file not found: "
        "DIR/schemas/nowhere.pbtxt"),
    "missing module file": (
        '''gen = CsvExampleGen(input_base="data")
stats = StatisticsGen(examples=gen.outputs["examples"])
schema = SchemaGen(statistics=stats.outputs["statistics"])
transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                      module_file="preprocesing.py")
pipeline = Pipeline("p", "ROOT", [gen, stats, schema, transform])''',
        "pipeline.py:7: invalid pipeline: node 'Transform': module file not found: DIR/preprocesing.py"),
    "misspelled argument of a component": (
        '''gen = CsvExampleGen(input_bse="data")
pipeline = Pipeline("p", "ROOT", [gen])''',
        "pipeline.py:4: invalid pipeline: CsvExampleGen has no argument 'input_bse'; "
        "did you mean 'input_base'?"),
    "misspelled argument of a node-building function": (
        '''gen = CsvExampleGen(input_base="data")
trainer = Trainer(examples=gen.outputs["examples"], schema=None, module_fil="model.py")
pipeline = Pipeline("p", "ROOT", [gen, trainer])''',
        "pipeline.py:5: invalid pipeline: Trainer has no argument 'module_fil'; "
        "did you mean 'module_file'?"),
    "missing required input of a node-building function": (
        '''gen = CsvExampleGen(input_base="data")
transform = Transform(examples=gen.outputs["examples"], module_file="pipeline.py")
pipeline = Pipeline("p", "ROOT", [gen, transform])''',
        "pipeline.py:5: invalid pipeline: node 'Transform': missing required input 'schema' "
        "(expected a channel of Schema)"),
    "misspelled argument of Pipeline": (
        '''gen = CsvExampleGen(input_base="data")
pipeline = Pipeline("p", "ROOT", node=[gen])''',
        "pipeline.py:5: invalid pipeline: Pipeline has no argument 'node'; did you mean 'nodes'?"),
    "missing argument of Pipeline": (
        '''pipeline = Pipeline("p", root="ROOT")''',
        "pipeline.py:4: invalid pipeline: Pipeline: missing a required argument: 'nodes'"),
    "unresolvable module reference": (
        '''gen = CsvExampleGen(input_base="data")
stats = StatisticsGen(examples=gen.outputs["examples"])
schema = SchemaGen(statistics=stats.outputs["statistics"])
transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                      preprocessing_fn="models.nowhere.preprocessing_fn")
pipeline = Pipeline("p", "ROOT", [gen, stats, schema, transform])''',
        "pipeline.py:7: invalid pipeline: node 'Transform' parameter 'preprocessing_fn': cannot find "
        "user module 'models.nowhere.preprocessing_fn': tried"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mistake_is_named_before_anything_runs(tmp_path, capsys, monkeypatch, case):
    monkeypatch.chdir(tmp_path)  # relative file parameters are read from the working directory
    body, expected = CASES[case]
    root = tmp_path / "root"
    path = tmp_path / "pipeline.py"
    path.write_text(HEADER + body.replace("ROOT", str(root)) + "\n")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    expected = expected.replace("DIR", str(tmp_path))
    assert expected in err, err
    assert "Traceback" not in err and "TypeError" not in err and len(err.strip().splitlines()) == 1
    assert not root.exists()  # nothing ran, nothing was recorded


def test_a_pipeline_file_that_exits_is_an_error_not_a_success(tmp_path):
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent('''
        import sys
        sys.exit(0)
    '''))
    done = subprocess.run([sys.executable, "-m", "pipelines.cli.main", "run", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done
    assert (f"{path}:3: called sys.exit(0) while loading; a pipeline file defines `pipeline` or "
            "`create_pipeline`, it does not exit") in done.stderr


def test_create_pipeline_that_exits_is_an_error(tmp_path, capsys):
    path = tmp_path / "pipeline.py"
    path.write_text("import sys\n\ndef create_pipeline():\n    sys.exit('no data yet')\n")
    assert main(["run", str(path)]) == 2
    assert "pipeline.py:4: called sys.exit('no data yet') while loading" in capsys.readouterr().err
