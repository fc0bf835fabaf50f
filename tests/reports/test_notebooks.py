"""The review notebooks as files: headings that render, and the store they find by themselves."""

from pathlib import Path

import nbformat
import pytest

from pipelines.errors import MetadataError
from pipelines.reports.notebook import ROOT_VARIABLE, find_root

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_markdown_cells_are_headings_and_text_without_stray_prefixes(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    assert markdown and markdown[0].startswith("# ")
    for source in markdown:
        first = source.splitlines()[0]
        assert first.startswith("#"), (path.name, first)  # e.g. "md## Recent runs" rendered as text
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "store = open_root()" in code and "os.environ" not in code  # found, not configured


def test_the_demo_store_is_found_from_the_notebooks_folder_or_above(tmp_path, monkeypatch):
    monkeypatch.delenv(ROOT_VARIABLE, raising=False)
    store = tmp_path / "runs" / "ctr"
    store.mkdir(parents=True)
    (store / "metadata.sqlite").write_bytes(b"")
    (tmp_path / "notebooks" / "deeper").mkdir(parents=True)
    assert find_root(str(tmp_path / "notebooks")) == str(store)
    assert find_root(str(tmp_path / "notebooks" / "deeper")) == str(store)
    monkeypatch.chdir(tmp_path / "notebooks")
    assert find_root() == str(store)
    monkeypatch.setenv(ROOT_VARIABLE, "/somewhere/else")
    assert find_root() == "/somewhere/else"


def test_no_store_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(ROOT_VARIABLE, raising=False)
    with pytest.raises(MetadataError, match=f"no runs/ctr/metadata.sqlite in {tmp_path} or any folder "
                                            "above it: run `make demo` first, or set STARLING_NOTEBOOK_ROOT"):
        find_root(str(tmp_path))
