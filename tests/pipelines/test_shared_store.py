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
