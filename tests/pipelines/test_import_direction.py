"""The README's code map holds: each package imports only what the map allows (read from the source)."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "tf_keras", "apache_beam", "tensorflow_data_validation", "tensorflow_transform",
         "tensorflow_model_analysis", "tfx_bsl", "keras_tuner")

# The README's "Code map": what each area of pipelines/ may import besides itself.
# Every area but errors may import errors and artifacts.
MAY_IMPORT = {
    "pipelines.errors": set(),
    "pipelines.environment": set(),
    "pipelines.hosts": set(),
    "pipelines.storage": set(),
    "pipelines.artifacts": {"pipelines.errors"},
    "pipelines.dsl": set(),
    "pipelines.metadata": set(),
    "pipelines.caching": {"pipelines.dsl", "pipelines.metadata"},
    "pipelines.resolvers": {"pipelines.dsl", "pipelines.metadata"},
    "pipelines.runner": {"pipelines.dsl", "pipelines.metadata", "pipelines.caching", "pipelines.resolvers",
                         "pipelines.storage"},
    "pipelines.kubeflow": {"pipelines.dsl", "pipelines.runner", "pipelines.metadata", "pipelines.caching",
                           "pipelines.storage"},
    "pipelines.reports": {"pipelines.metadata"},
    "pipelines.warm": {"pipelines.dsl", "pipelines.environment", "pipelines.cli"},
    # the package's own exports
    "pipelines": {"pipelines.dsl", "pipelines.runner", "pipelines.resolvers", "pipelines.environment"},
}
ANYTHING_IN_PIPELINES = ("pipelines.cli", "pipelines.ui")


def _area(module: str) -> str:
    """`pipelines.dsl.node` -> `pipelines.dsl`; `components.pusher` -> `components`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "pipelines" and len(parts) > 1 else parts[0]


def _module_name(path: Path, repo: Path) -> str:
    return ".".join(path.relative_to(repo).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path, module_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every absolute import in a file (or only those run at import time)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = _module_level(tree) if module_level_only else ast.walk(tree)
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _module_level(tree: ast.Module):
    """Statements run when the module is imported: all but function bodies and `if TYPE_CHECKING:`."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _sources(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def layering_violations(path: Path, repo: Path = REPO) -> list[str]:
    """Imports of one file under repo/pipelines that the code map does not allow."""
    area = _area(_module_name(path, repo))
    if area in ANYTHING_IN_PIPELINES:
        allowed_areas = None
    else:
        allowed_areas = MAY_IMPORT[area] | {area}
        if area != "pipelines.errors":
            allowed_areas |= {"pipelines.errors", "pipelines.artifacts"}
    wrong = []
    for line, imported in _imports(path):
        target = _area(imported)
        if target in ("components", "serving"):
            wrong.append(f"{path.relative_to(repo)}:{line} imports {imported} (pipelines never imports it)")
        elif target.startswith("pipelines") and allowed_areas is not None and target not in allowed_areas:
            wrong.append(f"{path.relative_to(repo)}:{line} imports {imported} ({area} may not)")
    return wrong


def test_every_area_of_pipelines_is_in_the_code_map():
    areas = {_area(_module_name(path, REPO)) for path in _sources("pipelines")}
    assert areas - set(MAY_IMPORT) - set(ANYTHING_IN_PIPELINES) == set()


def test_pipelines_imports_only_what_the_code_map_allows():
    wrong = [message for path in _sources("pipelines") for message in layering_violations(path)]
    assert wrong == []


def heavy_imports_at_import_time(path: Path) -> list[int]:
    """Lines of a file that import TensorFlow, Beam or their libraries when the module is imported."""
    return [line for line, imported in _imports(path, module_level_only=True)
            if imported.split(".")[0] in HEAVY]


def test_no_module_of_pipelines_imports_a_heavy_library_at_import_time():
    wrong = {str(path.relative_to(REPO)): lines for path in _sources("pipelines")
             if (lines := heavy_imports_at_import_time(path))}
    assert wrong == {}


@pytest.mark.parametrize("source, lines", [
    ("import tensorflow as tf\n", [1]),
    ("try:\n    from apache_beam import io\nexcept ImportError:\n    pass\n", [2]),
    ("class A:\n    import tensorflow_transform\n", [2]),
    ("def f():\n    import tensorflow as tf\n", []),  # inside a function body: imported when called
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tensorflow\n", []),
])
def test_heavy_imports_at_import_time_are_found(tmp_path, source, lines):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert heavy_imports_at_import_time(path) == lines


@pytest.mark.parametrize("source, expected", [
    ("from components.pusher import pusher\n",
     "pipelines/dsl/bad.py:1 imports components.pusher (pipelines never imports it)"),
    ("def f():\n    import serving.server\n",
     "pipelines/dsl/bad.py:2 imports serving.server (pipelines never imports it)"),
    ("from pipelines.runner import LocalRunner\n",
     "pipelines/dsl/bad.py:1 imports pipelines.runner (pipelines.dsl may not)"),
])
def test_a_wrong_import_is_named_with_its_file_and_line(tmp_path, source, expected):
    (tmp_path / "pipelines" / "dsl").mkdir(parents=True)
    path = tmp_path / "pipelines" / "dsl" / "bad.py"
    path.write_text(source)
    assert layering_violations(path, tmp_path) == [expected]
