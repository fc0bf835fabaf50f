"""Caching and run records work the same on a shared MariaDB store as on SQLite."""

from __future__ import annotations

import pytest

from pipelines import LocalRunner
from pipelines.metadata import MetadataStore, sqlite_config
from tests.pipelines.conftest import fan_pipeline, statuses


@pytest.fixture
def fan_on_store(metadata_store_kind, request, tmp_path):
    def build(**kwargs):
        pipeline = fan_pipeline(tmp_path / "root", **kwargs)
        if metadata_store_kind == "mariadb":
            pipeline.metadata = request.getfixturevalue("mariadb_metadata")
        else:
            pipeline.metadata = sqlite_config(str(tmp_path / "root" / "metadata.sqlite"))
        return pipeline
    return build


def test_rerun_is_cached_and_a_changed_parameter_reruns_its_dependents(fan_on_store):
    first = LocalRunner().run(fan_on_store())
    again = LocalRunner().run(fan_on_store())
    changed = LocalRunner().run(fan_on_store(factor_right=5.0))
    assert set(statuses(first).values()) == {"COMPLETE"}
    assert set(statuses(again).values()) == {"CACHED"}
    assert statuses(changed) == {"source": "CACHED", "scale_left": "CACHED",
                                 "scale_right": "COMPLETE", "combine": "COMPLETE"}


def test_run_records_keep_64_bit_integers(fan_on_store):
    pipeline = fan_on_store()
    result = LocalRunner().run(pipeline)
    [run] = MetadataStore(pipeline.metadata).list_runs()
    assert run.name == result.run_id and run.properties["status"] == "COMPLETE"
    assert run.properties["started_at_ms"] > 2**31  # 32-bit INT columns would refuse this
    assert abs(run.properties["finished_at_ms"] - run.created_at_ms) < 60_000


CHECKOUT_PIPELINE = '''
from pathlib import Path
from pipelines import Input, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model
import helpers

@component
def make(examples: Output[Examples], count: Parameter[int] = 4):
    Path(examples.path("n.txt")).write_text(str(helpers.scaled(count)))

@component
def fit(examples: Input[Examples], model: Output[Model]):
    Path(model.path("m.txt")).write_text(Path(examples.path("n.txt")).read_text())

def create_pipeline(root: str):
    made = make()
    return Pipeline("checkouts", root, [made, fit(examples=made.outputs["examples"])])
'''


def test_two_checkouts_in_different_directories_share_one_store_and_root(
        metadata_store_kind, request, tmp_path):
    """A CI checkout and a colleague's clone: same code, other directories, one store and root."""
    from pipelines.dsl.loading import load_pipeline

    root = tmp_path / "shared-root"
    results = []
    for checkout in ("ci/build-1/project", "home/ana/project"):
        project = tmp_path / checkout
        project.mkdir(parents=True)
        (project / "helpers.py").write_text("def scaled(n):\n    return 10 * n\n")
        (project / "pipeline.py").write_text(CHECKOUT_PIPELINE)
        pipeline = load_pipeline(str(project / "pipeline.py"), {"root": str(root)})
        if metadata_store_kind == "mariadb":
            pipeline.metadata = request.getfixturevalue("mariadb_metadata")
        results.append(LocalRunner().run(pipeline))
    assert set(statuses(results[0]).values()) == {"COMPLETE"}
    assert set(statuses(results[1]).values()) == {"CACHED"}
