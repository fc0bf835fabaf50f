"""Starling on a real S3-compatible store (SeaweedFS on 127.0.0.1): the storage layer, the ctr
pipeline's compiled package with its data, root and serving directory in a bucket, and
`starling serve --model-base-path s3://...` serving the pushed model."""

import gzip
import json
import sys
from pathlib import Path

import httpx
import pytest

from pipelines import storage
from pipelines.kubeflow import compile_pipeline
from pipelines.kubeflow.client import run_locally
from pipelines.kubeflow.codegen import ClusterSettings
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.metadata.codec import resolved_uri, stored_uri
from tests.serving.serve_process import serve

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, write_days  # noqa: E402

pytestmark = pytest.mark.objectstore


def test_the_storage_layer_round_trips_a_tree(bucket, tmp_path):
    source = tmp_path / "tree"
    (source / "a" / "b").mkdir(parents=True)
    (source / "top.txt").write_text("top")
    (source / "a" / "b" / "deep.bin").write_bytes(b"\0\1\2")
    (source / "a" / "shard.gz").write_bytes(gzip.compress(b"rows"))  # copied as bytes, not re-zipped
    written = storage.upload_tree(str(source), f"{bucket}/x")
    assert written == [f"{bucket}/x/a/b/deep.bin", f"{bucket}/x/a/shard.gz", f"{bucket}/x/top.txt"]
    assert gzip.decompress(storage.read_bytes(f"{bucket}/x/a/shard.gz")) == b"rows"
    assert storage.child_names(f"{bucket}/x") == ["a", "top.txt"]
    assert storage.exists(f"{bucket}/x/a") and not storage.exists(f"{bucket}/nothing")
    assert storage.match(f"{bucket}/x/*.txt") == [(f"{bucket}/x/top.txt", 3)]
    storage.download_tree(f"{bucket}/x", str(tmp_path / "back"))
    assert (tmp_path / "back" / "a" / "b" / "deep.bin").read_bytes() == b"\0\1\2"
    assert (tmp_path / "back" / "a" / "shard.gz").read_bytes() == (source / "a" / "shard.gz").read_bytes()
    storage.delete_tree(f"{bucket}/x")
    assert storage.list_files(f"{bucket}/x") == []
    # MLMD keeps URIs inside an object-store root relative to it, and leaves other URLs alone
    assert stored_uri(f"{bucket}/runs/Trainer/model/7", f"{bucket}/runs") == "Trainer/model/7"
    assert resolved_uri("Trainer/model/7", f"{bucket}/runs") == f"{bucket}/runs/Trainer/model/7"
    assert stored_uri("s3://other/m/1", "/local/root") == "s3://other/m/1"


def test_ctr_package_reads_and_pushes_through_s3_and_serve_loads_from_s3(bucket, object_store, tmp_path):
    write_days(tmp_path / "data", [1], CtrDataConfig(rows_per_day=2000))
    storage.upload_tree(str(tmp_path / "data"), f"{bucket}/data")
    package, store = tmp_path / "ctr.yaml", tmp_path / "metadata.sqlite"
    compile_pipeline(str(REPO / "templates" / "ctr" / "pipeline.py"), str(package),
                     metadata_url=f"sqlite:{store}",
                     cluster=ClusterSettings(storage_secret="s3-keys",
                                             s3_endpoint=object_store["AWS_ENDPOINT_URL"]),
                     params={"root": f"{bucket}/runs/ctr", "data_root": f"{bucket}/data",
                             "serving_base": f"{bucket}/serving", "train_steps": 20,
                             "eval_steps": 2, "min_auc": 0.3, "gate_on_platform": False})

    text = package.read_text()
    assert object_store["AWS_SECRET_ACCESS_KEY"] not in text and "secretAsEnv" in text

    run_locally(str(package), str(tmp_path / "kfp"), {"span": 1})  # the keys: from the environment

    assert storage.exists(f"{bucket}/serving/ctr/1/saved_model.pb")
    metadata = MetadataStore(sqlite_config(store))
    [pushed] = metadata.query_artifacts("type = 'PushedModel'")
    assert pushed.properties["destination"] == f"{bucket}/serving/ctr/1"
    [examples] = [a for a in metadata.query_artifacts("type = 'Examples'")
                  if a.properties.get("producer_node") == "CsvExampleGen"]
    assert examples.span == 1 and examples.properties["input_fingerprint"]  # read from the bucket
    [run] = metadata.list_runs("ctr")
    assert run.properties["status"] == "COMPLETE" and run.properties["n_pushed"] == 1

    server = serve(f"{bucket}/serving")
    try:
        status = httpx.get(f"{server.url}/v1/models/ctr", timeout=30).json()
        [version] = status["model_version_status"]
        assert (version["version"], version["state"]) == ("1", "AVAILABLE"), json.dumps(status)
    finally:
        server.stop()



def test_a_local_run_reads_its_input_from_s3_and_caches_on_the_same_data(bucket, tmp_path):
    from components import CsvExampleGen
    from pipelines import LocalRunner, Pipeline

    storage.write_bytes(f"{bucket}/in/day-1/part.csv", b"a,b\n1,x\n2,y\n3,z\n")
    storage.write_bytes(f"{bucket}/in/day-2/part.csv", b"a,b\n4,x\n5,y\n")

    def run():
        node = CsvExampleGen(input_base=f"{bucket}/in", pattern="day-{SPAN}/*.csv")
        return LocalRunner().run(Pipeline("s3in", str(tmp_path / "root"), [node])).nodes["CsvExampleGen"]

    first = run()
    assert first.status == "COMPLETE", first.error
    examples = first.outputs["examples"]
    assert examples.span == 2 and examples.properties["input_files"] == 1
    assert run().status == "CACHED"
    storage.write_bytes(f"{bucket}/in/day-2/part.csv", b"a,b\n4,x\n5,y\n6,z\n")  # re-delivered
    assert run().status == "COMPLETE"


def test_a_local_run_with_its_root_in_s3_leaves_it_there_and_another_machine_continues(
        bucket, tmp_path, monkeypatch, capsys):
    from pipelines.cli.main import main
    from pipelines.runner.root_mirror import mirror_dir

    storage.write_bytes(f"{bucket}/in/day-1/part.csv", b"a,b\n1,x\n2,y\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pipeline.py").write_text(
        "from components import CsvExampleGen\nfrom pipelines import Pipeline\n"
        "def create_pipeline(root: str = '', data_root: str = ''):\n"
        "    return Pipeline('s3root', root, [CsvExampleGen(input_base=data_root, "
        "pattern='day-{SPAN}/*.csv')])\n")
    run = ["run", str(project / "pipeline.py"), "--param", f"root={bucket}/runs",
           "--param", f"data_root={bucket}/in"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "machine-1"))
    assert main(run) == 0
    assert f"Artifacts: {bucket}/runs" in capsys.readouterr().out
    stored = [path[len(f"{bucket}/runs/"):] for path in storage.list_files(f"{bucket}/runs")]
    assert "metadata.sqlite" in stored and any(p.startswith("CsvExampleGen/examples/") for p in stored)
    assert not [p for p in stored if p.startswith((".tmp", "logs", ".starling-run"))]
    assert not (Path.cwd() / "s3:").exists()

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "machine-2"))  # an empty mirror
    assert main(run) == 0
    assert "CACHED" in capsys.readouterr().out
    second = MetadataStore(sqlite_config(str(Path(mirror_dir(f"{bucket}/runs")) / "metadata.sqlite")))
    assert [r.properties["n_cached"] for r in second.list_runs("s3root")] == [1, 0]


def test_pushes_to_s3_take_new_versions_and_serving_mirrors_only_complete_ones(bucket, tmp_path):
    from components.pusher import push_saved_model_to_url
    from serving.object_store import ObjectStoreMirror

    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.index").write_bytes(b"index")
    assert push_saved_model_to_url(str(model), f"{bucket}/serving/m") == (1, f"{bucket}/serving/m/1")
    assert push_saved_model_to_url(str(model), f"{bucket}/serving/m")[0] == 2
    storage.write_bytes(f"{bucket}/serving/m/3/variables/variables.index", b"half a push")
    mirror = ObjectStoreMirror(f"{bucket}/serving", str(tmp_path / "mirror"))
    assert mirror.sync() == ["m/1", "m/2"]
    assert (tmp_path / "mirror" / "m" / "2" / "variables" / "variables.index").read_bytes() == b"index"
    assert not storage.exists(f"{bucket}/serving/m/1/saved_model.pb.last")
    storage.write_bytes(f"{bucket}/serving/m/3/saved_model.pb", b"graph")
    assert mirror.sync() == ["m/3"] and mirror.sync() == []


def test_the_penguin_template_compiles_with_its_data_in_a_bucket(bucket, tmp_path):
    compile_pipeline(str(REPO / "templates" / "penguin" / "pipeline.py"), str(tmp_path / "p.yaml"),
                     params={"root": f"{bucket}/runs", "data_root": f"{bucket}/data",
                             "serving_base": f"{bucket}/serving"})
    [(path, size)] = storage.match(f"{bucket}/data/*.csv")  # written there on first use
    assert path.endswith("/penguins.csv") and size > 10_000
    assert not (Path.cwd() / "s3:").exists()
