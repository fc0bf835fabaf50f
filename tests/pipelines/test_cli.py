import re
import textwrap

import pytest

from pipelines.cli.main import main

PIPELINE = '''
import json
from pathlib import Path
from pipelines import Input, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model
from helpers.numbers import numbers  # a user module beside the pipeline file

@component
def make(examples: Output[Examples], count: Parameter[int] = 3):
    Path(examples.path("n.json")).write_text(json.dumps(numbers(count)))
    examples.span = 7

@component
def train(examples: Input[Examples], model: Output[Model], fail: Parameter[bool] = False):
    if fail:
        raise ValueError("feature 'age' has no values")
    Path(model.path("m.json")).write_text("{}")

def create_pipeline(count: int = 3, fail: bool = False):
    gen = make(count=count)
    return Pipeline("cli", "ROOT", [gen, train(examples=gen.outputs["examples"], fail=fail)])
'''


@pytest.fixture
def pipeline_file(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text("")
    (tmp_path / "helpers" / "numbers.py").write_text("def numbers(n):\n    return list(range(n))\n")
    path = tmp_path / "pipeline.py"
    path.write_text(PIPELINE.replace("ROOT", str(tmp_path / "root")))
    return path


def test_run_then_rerun_shows_progress_and_cache_hits(pipeline_file, capsys):
    assert main(["run", str(pipeline_file), "--param", "count=4"]) == 0
    out = capsys.readouterr().out
    assert "✓ make" in out and "COMPLETE" in out and "starling lineage" in out
    assert main(["run", str(pipeline_file), "--param", "count=4"]) == 0
    out = capsys.readouterr().out
    assert "= make" in out and "= train" in out and "(2 cached)" in out


def test_no_cache_flag_reruns(pipeline_file, capsys):
    main(["run", str(pipeline_file)])
    capsys.readouterr()  # only the second run's output counts
    main(["run", str(pipeline_file), "--no-cache"])
    out = capsys.readouterr().out
    assert "(2 complete)" in out and "cached" not in out


def test_failed_run_exits_1_and_names_the_node(pipeline_file, capsys):
    assert main(["run", str(pipeline_file), "--param", "fail=true"]) == 1
    out = capsys.readouterr().out
    assert "node 'train' failed: ValueError: feature 'age' has no values" in out


def test_runs_artifacts_and_lineage(pipeline_file, tmp_path, capsys):
    main(["run", str(pipeline_file)])
    main(["run", str(pipeline_file)])
    capsys.readouterr()
    root = str(tmp_path / "root")
    assert main(["runs", "--root", root]) == 0
    out = capsys.readouterr().out
    assert out.count("cli-") == 2 and "COMPLETE" in out and "CACHED" in out.splitlines()[0]
    assert main(["artifacts", "--root", root, "--type", "Examples"]) == 0
    out = capsys.readouterr().out
    assert "Examples" in out and "Model" not in out and " 7 " in out
    assert main(["lineage", "Model", "--root", root]) == 0
    out = capsys.readouterr().out
    assert re.match(r"Model #\d+", out.splitlines()[0])
    assert "made by train" in out and re.search(r"examples: Examples #\d+ \(span 7\)", out)
    assert "made by make" in out


def test_root_from_environment(pipeline_file, tmp_path, capsys, monkeypatch):
    main(["run", str(pipeline_file)])
    monkeypatch.setenv("STARLING_ROOT", str(tmp_path / "root"))
    capsys.readouterr()
    assert main(["artifacts"]) == 0
    assert "Model" in capsys.readouterr().out


@pytest.mark.parametrize("content, expected", [
    (None, "pipeline file not found"),
    ("def broken(:\n", "pipeline.py:1: syntax error"),
    ("x = 1\nraise RuntimeError('no data dir')\n", "pipeline.py:2: RuntimeError: no data dir"),
    ("x = 1\n", "defines neither `pipeline = Pipeline(...)` nor `create_pipeline(**params)`"),
])
def test_bad_pipeline_files_give_one_line_errors(tmp_path, capsys, content, expected):
    path = tmp_path / "pipeline.py"
    if content is not None:
        path.write_text(content)
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_invalid_pipeline_in_file_names_the_line(tmp_path, capsys):
    path = tmp_path / "pipeline.py"
    path.write_text(textwrap.dedent('''
        from pipelines import Pipeline, component, Output, Input
        from pipelines.artifacts import Examples, Model
        @component
        def a(m: Output[Model]): pass
        @component
        def b(e: Input[Examples]): pass
        first = a()
        pipeline = Pipeline("x", "r", [first, b(e=first.outputs["m"])])
    '''))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "pipeline.py:9: invalid pipeline: node 'b': input 'e' expected Examples, got Model" in err


def test_unknown_param_and_missing_store(pipeline_file, tmp_path, capsys):
    assert main(["run", str(pipeline_file), "--param", "bogus=1"]) == 2
    assert "no parameter 'bogus' (parameters: count, fail)" in capsys.readouterr().err
    assert main(["runs", "--root", str(tmp_path / "nowhere")]) == 2
    assert "no metadata store at" in capsys.readouterr().err


def test_lineage_of_unknown_artifact(pipeline_file, tmp_path, capsys):
    main(["run", str(pipeline_file)])
    assert main(["lineage", "999", "--root", str(tmp_path / "root")]) == 2
    assert "no artifact with id 999" in capsys.readouterr().err
