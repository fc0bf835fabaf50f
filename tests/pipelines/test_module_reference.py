"""TFX-style user module references: dotted, colon and path forms, isolated per project."""

import pickle
import sys

import pytest

from pipelines.caching import module_source_path
from pipelines.dsl.module_reference import ModuleReferenceError, bind_to_project, load_function


def _project(root, marker):
    """A TFX-template-shaped project: models/preprocessing.py imports its sibling models/features.py."""
    (root / "models").mkdir(parents=True)
    (root / "models" / "__init__.py").write_text("")
    (root / "models" / "features.py").write_text(f"NAME = {marker!r}\n")
    (root / "models" / "preprocessing.py").write_text(
        "from models import features\n\ndef preprocessing_fn():\n    return features.NAME\n")
    (root / "preprocessing.py").write_text(f"MARKER = {marker!r}\n")
    (root / "model.py").write_text("from preprocessing import MARKER\n\ndef run_fn():\n    return MARKER\n")
    return root


@pytest.fixture
def projects(tmp_path):
    return _project(tmp_path / "a", "a"), _project(tmp_path / "b", "b")


def test_two_projects_with_the_same_module_names_stay_apart(projects, monkeypatch):
    a, b = projects
    path_before = list(sys.path)
    monkeypatch.syspath_prepend(str(a))
    from_a = bind_to_project("models.preprocessing.preprocessing_fn")
    monkeypatch.syspath_prepend(str(b))  # b now shadows a on sys.path, as a second loaded pipeline would
    from_b = bind_to_project("models.preprocessing.preprocessing_fn")
    assert load_function(from_a, "preprocessing_fn")() == "a"
    assert load_function(from_b, "preprocessing_fn")() == "b"
    assert load_function(str(a / "model.py"), "run_fn")() == "a"
    assert load_function(str(b / "model.py"), "run_fn")() == "b"
    assert not any(name == "models" or name.startswith("models.")
                   or name == "preprocessing" for name in sys.modules)
    monkeypatch.undo()
    assert sys.path == path_before
    assert module_source_path(from_a) == str(a / "models" / "preprocessing.py")


def test_colon_form_default_function_and_pickling(projects, monkeypatch):
    a, _ = projects
    monkeypatch.syspath_prepend(str(a))
    assert load_function("models.preprocessing:preprocessing_fn", "x")() == "a"
    assert load_function("model", "run_fn")() == "a"
    bound = bind_to_project("models.preprocessing.preprocessing_fn")
    copy = pickle.loads(pickle.dumps(bound))
    assert copy == "models.preprocessing.preprocessing_fn" and copy.project_dir == str(a)


def test_missing_module_or_function_is_named_with_what_was_tried(projects, monkeypatch):
    a, _ = projects
    monkeypatch.syspath_prepend(str(a))
    with pytest.raises(ModuleReferenceError) as missing:
        load_function("models.nowhere.preprocessing_fn", "preprocessing_fn")
    message = str(missing.value)
    assert "'models.nowhere.preprocessing_fn'" in message
    assert "module 'models.nowhere' with function 'preprocessing_fn'" in message
    assert "module 'models.nowhere.preprocessing_fn'" in message and str(a) in message
    with pytest.raises(ModuleReferenceError, match=r"models/preprocessing.py defines no function 'run_fn'"):
        load_function("models.preprocessing:run_fn", "run_fn")
    with pytest.raises(ModuleReferenceError, match=r"cannot find user module .*: no file "):
        load_function(str(a / "absent.py"), "run_fn")


_PIPELINE = """
import os
from components import CsvExampleGen, ImportSchemaGen, Transform
from pipelines import Pipeline

def create_pipeline(root="runs"):
    gen = CsvExampleGen(input_base="data")
    schema = ImportSchemaGen(schema_file=os.path.join(os.path.dirname(__file__), "schema.pbtxt"))
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          preprocessing_fn="models.preprocessing.preprocessing_fn")
    return Pipeline("p", root, [gen, schema, transform])
"""


def test_pipeline_files_bind_dotted_references_to_their_own_project(projects):
    from pipelines.dsl.loading import load_pipeline

    nodes = []
    for project in projects:
        (project / "pipeline.py").write_text(_PIPELINE)
        (project / "schema.pbtxt").write_text("")  # files are checked when the pipeline is built
        nodes.append(load_pipeline(str(project / "pipeline.py")).node("Transform"))
    for project, node in zip(projects, nodes, strict=True):
        reference = node.parameters["preprocessing_fn"]
        assert module_source_path(reference) == str(project / "models" / "preprocessing.py")
        assert load_function(reference, "preprocessing_fn")() == project.name
