import pytest

from pipelines.artifacts import Artifact, Examples, IntProperty, ModelBlessing
from pipelines.errors import MetadataError
from pipelines.metadata import MetadataStore, mysql_config, sqlite_config
from pipelines.metadata.connection import describe


class Custom(Artifact):
    TYPE_NAME = "StarlingTestCustom"
    rows = IntProperty()


def _roundtrip(tmp_path, artifact):
    store = MetadataStore(sqlite_config(tmp_path / "m.sqlite"))
    context = store.pipeline_context("p")
    execution_id = store.start_execution("writer", {"node_id": "writer"}, {}, [context])
    artifact.state = "LIVE"
    store.finish_execution(execution_id, "writer", "COMPLETE", {}, {"out": artifact}, [context])
    return store, store.artifact(artifact.id)


@pytest.mark.parametrize("artifact, expected", [
    (Examples(uri="/e", span=3, version=1, split_names=["train", "eval"], rows_read=10),
     {"span": 3, "version": 1, "split_names": ["train", "eval"], "rows_read": 10}),
    (ModelBlessing(uri="/b", blessed=1, note="fine", score=0.5, ok=True),
     {"blessed": 1, "note": "fine", "score": 0.5, "ok": True}),
    (Custom(uri="/c", rows=5, counts={"train": 2}), {"rows": 5, "counts": {"train": 2.0}}),
])
def test_artifacts_round_trip_through_mlmd(tmp_path, artifact, expected):
    _, loaded = _roundtrip(tmp_path, artifact)
    assert type(loaded) is type(artifact)
    assert loaded.type_name == artifact.type_name and loaded.uri == artifact.uri
    assert loaded.properties == expected and loaded.state == "LIVE"


def test_types_use_tfx_names_and_typed_properties(tmp_path):
    store, _ = _roundtrip(tmp_path, Examples(uri="/e", span=1))
    examples_type = store.mlmd.get_artifact_type("Examples")
    assert dict(examples_type.properties) == {"span": 1, "version": 1, "split_names": 3}
    execution_id = store.mlmd.get_executions()[0].id
    assert store.executions_by_id([execution_id])[0].component == "writer"


def test_unregistered_type_keeps_its_name(tmp_path):
    store = MetadataStore(sqlite_config(tmp_path / "m.sqlite"))
    from ml_metadata.proto import metadata_store_pb2 as pb
    type_id = store.mlmd.put_artifact_type(pb.ArtifactType(name="ForeignThing"))
    [artifact_id] = store.mlmd.put_artifacts([pb.Artifact(type_id=type_id, uri="/f")])
    assert store.artifact(artifact_id).type_name == "ForeignThing"


def test_mysql_config_is_accepted():
    config = mysql_config("db.internal", "mlmd", "starling", password="secret", port=3307)
    assert (config.mysql.host, config.mysql.port, config.mysql.database) == ("db.internal", 3307, "mlmd")
    assert describe(config) == "mysql://starling@db.internal:3307/mlmd"  # no password shown


def test_unopenable_store_names_its_location(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(MetadataError, match="cannot open the metadata store at sqlite:"):
        MetadataStore(sqlite_config(blocker / "metadata.sqlite"))


def test_store_urls():
    from pipelines.metadata import config_from_url
    assert config_from_url("sqlite:/tmp/m.sqlite").sqlite.filename_uri == "/tmp/m.sqlite"
    mysql = config_from_url("mysql://ml:p%40ss@db:3307/mlmd")
    assert (mysql.mysql.user, mysql.mysql.password, mysql.mysql.port) == ("ml", "p@ss", 3307)
    assert describe(config_from_url("grpc://metadata-grpc:8080")) == "grpc://metadata-grpc:8080"
    with pytest.raises(MetadataError, match="expected sqlite:PATH"):
        config_from_url("postgres://x/y")


def test_list_runs_returns_every_run_of_a_pipeline_newest_first(tmp_path):
    """More runs than one MLMD page (100) holds; other pipelines' runs and other contexts left out."""
    store = MetadataStore(sqlite_config(tmp_path / "m.sqlite"))
    store.pipeline_context("a")
    for index in range(230):
        store.create_run_context(f"run-{index}", {"pipeline_name": "a" if index % 2 else "b"})
    runs_of_a = store.list_runs("a")
    assert [run.name for run in runs_of_a] == [f"run-{index}" for index in range(229, 0, -2)]
    assert len(store.list_runs()) == 230 and store.list_runs("c") == []
    assert store.run("run-7").properties == {"pipeline_name": "a"}
