"""Output manifests: in full while they fit a MySQL text column, else a count-and-size summary."""

import json

from pipelines.artifacts import Examples
from pipelines.runner import manifests


def _artifact(directory, files: int) -> Examples:
    directory.mkdir()
    for index in range(files):
        (directory / f"part-{index:05d}-of-many-shards.gz").write_bytes(b"x" * (index % 7 + 1))
    return Examples(uri=str(directory), state="LIVE")


def test_a_small_artifact_is_recorded_file_by_file_and_an_edit_is_named(tmp_path):
    artifact = _artifact(tmp_path / "few", 3)
    text = manifests.manifests_text({"examples": artifact})
    assert sorted(json.loads(text)["examples"]) == [f"part-{i:05d}-of-many-shards.gz" for i in range(3)]
    (tmp_path / "few" / "part-00001-of-many-shards.gz").write_bytes(b"y" * 2)  # same size
    assert manifests.first_damage({"examples": artifact}, text) == (
        "examples: file part-00001-of-many-shards.gz changed (content)")


def test_thousands_of_files_are_summarized_and_still_checked(tmp_path):
    artifact = _artifact(tmp_path / "many", 800)
    text = manifests.manifests_text({"examples": artifact})
    assert len(text) <= manifests.MAX_MANIFEST_TEXT
    assert json.loads(text) == {"examples": {manifests.SUMMARY: [800, sum(i % 7 + 1 for i in range(800))]}}
    assert manifests.first_damage({"examples": artifact}, text) is None
    (tmp_path / "many" / "part-00000-of-many-shards.gz").unlink()
    assert manifests.first_damage({"examples": artifact}, text).startswith("examples: holds 799 files")
