"""A compiled package a cluster can run: the project's code inside it, no secret in it, paths that
outlive a pod, and its runs recorded like local ones (kfp.local's SubprocessRunner runs it)."""

import json
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from pipelines.cli.main import main
from pipelines.errors import StarlingError
from pipelines.kubeflow import compile_pipeline
from pipelines.kubeflow.client import run_locally
from pipelines.kubeflow.codegen import ClusterSettings
from pipelines.metadata import MetadataStore, sqlite_config

PIPELINE = '''
import os
from pathlib import Path
from pipelines import Input, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model
from helpers.numbers import numbers_up_to

HERE = os.path.dirname(os.path.abspath(__file__))

@component
def make(examples: Output[Examples], n: Parameter[int] = 3):
    Path(examples.path("n.txt")).write_text(" ".join(map(str, numbers_up_to(n))))

@component
def train(examples: Input[Examples], model: Output[Model], weights_file: Parameter[str] = "",
          fail: Parameter[bool] = False):
    if fail:
        raise ValueError("no weights today")
    total = sum(map(int, Path(examples.path("n.txt")).read_text().split()))
    Path(model.path("w.txt")).write_text(f"{total} {Path(weights_file).read_text().strip()}")

def create_pipeline(root: str = "runs/p", n: int = 3, fail: bool = False):
    made = make(n=n)
    model = train(examples=made.outputs["examples"], fail=fail,
                  weights_file=os.path.join(HERE, "config", "weights.txt"))
    return Pipeline("travelling", root, [made, model])
'''


@pytest.fixture
def project(tmp_path):
    """A project with a pipeline file, a module it imports and a data file a node names."""
    home = tmp_path / "project"
    (home / "helpers").mkdir(parents=True)
    (home / "config").mkdir()
    (home / "pipeline.py").write_text(textwrap.dedent(PIPELINE))
    (home / "helpers" / "__init__.py").write_text("")
    (home / "helpers" / "numbers.py").write_text("def numbers_up_to(n):\n    return list(range(n + 1))\n")
    (home / "config" / "weights.txt").write_text("w=7\n")
    (home / "notes.md").write_text("not code: stays home\n")
    return home


def _compile(project, tmp_path, **options):
    package = tmp_path / "package.yaml"
    params = {"root": str(tmp_path / "root"), **options.pop("params", {})}
    return compile_pipeline(str(project / "pipeline.py"), str(package), params=params,
                            allow_local_paths=True, **options), package


def _step_dir(kfp_root, step):
    [run_dir] = [p for p in Path(kfp_root).iterdir() if p.is_dir()]
    return run_dir / step


def test_the_package_carries_the_project_and_runs_where_the_project_is_not(project, tmp_path, monkeypatch):
    store = tmp_path / "metadata.sqlite"
    compiled, package = _compile(project, tmp_path, metadata_url=f"sqlite:{store}")
    assert compiled.project_files == ("config/weights.txt", "helpers/__init__.py",
                                      "helpers/numbers.py", "pipeline.py")
    shutil.rmtree(project)  # the cluster has only the image and the package
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    run_locally(str(package), str(tmp_path / "kfp"), {"n": 4})

    model = _step_dir(tmp_path / "kfp", "node-train") / "out_model" / "w.txt"
    assert model.read_text() == "10 w=7"
    assert list(elsewhere.iterdir()) == []
    runs = MetadataStore(sqlite_config(store)).list_runs("travelling")
    assert [(r.properties["status"], r.properties["n_complete"], r.properties["orchestrator"])
            for r in runs] == [("COMPLETE", 2, "kubeflow")]
    _check_the_ui_shows(store, runs[0].name, "COMPLETE")


def _check_the_ui_shows(store, run_name, status):
    """The web UI's runs API lists the Kubeflow run with its status, as it does a local run."""
    from starlette.testclient import TestClient

    from pipelines.ui import StoreSource, create_app

    client = TestClient(create_app(StoreSource.from_url(f"sqlite:{store}")), base_url="http://127.0.0.1")
    listed = client.get("/api/runs").json()
    text = json.dumps(listed)
    assert run_name in text and status in text, text[:2000]
    assert client.get(f"/runs/{run_name}").status_code == 200


def test_a_changed_project_archive_is_refused_by_its_hash(project, tmp_path, capfd):
    _, package = _compile(project, tmp_path)
    text = package.read_text()
    digest = text.split("project_sha256='")[1][:64]
    package.write_text(text.replace(f"project_sha256='{digest}'", f"project_sha256='{'0' * 64}'"))
    with pytest.raises(RuntimeError):
        run_locally(str(package), str(tmp_path / "kfp"), {})
    captured = capfd.readouterr()
    assert "is not the compiled 0000000000000000" in captured.out + captured.err


def test_starling_runs_shows_a_failed_kubeflow_run_failed(project, tmp_path, capsys):
    store = tmp_path / "metadata.sqlite"
    _, package = _compile(project, tmp_path, metadata_url=f"sqlite:{store}")
    with pytest.raises(RuntimeError):
        run_locally(str(package), str(tmp_path / "kfp"), {"fail": True})
    [run] = MetadataStore(sqlite_config(store)).list_runs("travelling")
    assert run.properties["status"] == "FAILED" and run.properties["n_failed"] == 1
    capsys.readouterr()  # kfp.local's own lines
    assert main(["runs", "--metadata", f"sqlite:{store}"]) == 0
    line = [row for row in capsys.readouterr().out.splitlines() if run.name in row]
    assert line and "FAILED" in line[0] and "?" not in line[0].split()
    _check_the_ui_shows(store, run.name, "FAILED")


def test_no_password_in_the_package_secrets_and_volumes_through_kfp_kubernetes(project, tmp_path):
    with pytest.raises(StarlingError, match="--metadata has a password in it"):
        _compile(project, tmp_path, metadata_url="mysql://starling:hunter2@mysql:3306/mlmd")
    with pytest.raises(StarlingError, match="--s3_secret_access_key carries a secret"):
        _compile(project, tmp_path, beam_args=["--s3_secret_access_key=hunter2"])
    cluster = ClusterSettings(metadata_secret="mlmd-db", storage_secret="s3-keys",
                              volumes=(("starling-data", "/mnt/data"),),
                              s3_endpoint="http://minio.kubeflow:9000")
    package = tmp_path / "cluster.yaml"
    compile_pipeline(str(project / "pipeline.py"), str(package), cluster=cluster,
                     metadata_url="mysql://starling@mysql:3306/mlmd",
                     params={"root": "/mnt/data/runs/travelling"})
    text = package.read_text()
    assert "hunter2" not in text
    docs = list(yaml.safe_load_all(text))
    executors = docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert set(executors) == {"exec-node-make", "exec-node-train", "exec-starling-finish-run"}
    train = executors["exec-node-train"]
    assert {(s["secretName"], s["keyToEnv"][0]["secretKey"]) for s in train["secretAsEnv"]} == {
        ("mlmd-db", "password"), ("s3-keys", "AWS_ACCESS_KEY_ID")}
    assert train["pvcMount"] == [{"constant": "starling-data", "mountPath": "/mnt/data",
                                  "pvcNameParameter": {"runtimeValue": {"constant": "starling-data"}}}]
    container = docs[0]["deploymentSpec"]["executors"]["exec-node-train"]["container"]
    assert {"name": "AWS_ENDPOINT_URL", "value": "http://minio.kubeflow:9000"} in container["env"]
    assert "dsl.ExitHandler" not in text and "exit-handler" in json.dumps(docs[0]["root"])


@pytest.mark.parametrize(("params", "volumes", "message"), [
    ({"root": "runs/p"}, (), "parameter 'root' = 'runs/p' is a relative local path"),
    ({"root": "/srv/runs/p"}, (), "parameter 'root' = '/srv/runs/p' is an absolute local path"),
    ({"root": "s3://bucket/p"}, (), None),
    ({"root": "/mnt/data/p"}, (("data", "/mnt/data"),), None),
])
def test_storage_paths_must_outlive_the_pod(project, tmp_path, params, volumes, message):
    def build():
        compile_pipeline(str(project / "pipeline.py"), str(tmp_path / "p.yaml"), params=params,
                         cluster=ClusterSettings(volumes=volumes))
    if message is None:
        build()
    else:
        with pytest.raises(StarlingError, match=message):
            build()


def test_compile_and_submit_take_the_same_flags(project, tmp_path, capsys):
    common = ["--metadata", "mysql://starling@mysql:3306/mlmd", "--metadata-secret", "mlmd-db",
              "--param", "root=s3://bucket/runs", "--beam-args", "--direct_num_workers=2"]
    assert main(["compile", str(project / "pipeline.py"), "-o", str(tmp_path / "c.yaml"), *common]) == 0
    assert "note: --image starling:latest names no registry" in capsys.readouterr().out
    assert main(["submit", str(project / "pipeline.py"), "--host", "http://127.0.0.1:9",
                 "--schedule", "0 6 * * *", *common]) == 2
    assert "cannot schedule on Kubeflow Pipelines at http://127.0.0.1:9" in capsys.readouterr().err
    assert main(["submit", str(project / "pipeline.py"), "--host", "http://127.0.0.1:9",
                 "--metadata", "mysql://u:pw@mysql/mlmd", "--param", "root=s3://bucket/runs"]) == 2
    assert "--metadata has a password in it" in capsys.readouterr().err


def test_a_watched_run_refuses_an_object_store_root_before_writing_anything(project, tmp_path,
                                                                            monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(project / "pipeline.py"), "--watch", "--param", "root=s3://bucket/runs"]) == 2
    assert "root s3://bucket/runs: --watch keeps its root on this machine" in capsys.readouterr().err
    assert not (tmp_path / "s3:").exists()


def test_a_project_too_large_for_a_package_is_refused_naming_its_largest_file(project, tmp_path):
    import os

    (project / "config" / "weights.txt").write_bytes(os.urandom(5 * 1024 * 1024))
    with pytest.raises(StarlingError, match=r"more than a package should carry \(largest: .*weights.txt\)"):
        _compile(project, tmp_path)


def test_a_starling_new_project_runs_from_its_package_alone(tmp_path, monkeypatch, capsys):
    assert main(["new", "demo", "--template", "quickstart", "--dir", str(tmp_path)]) == 0
    store, package = tmp_path / "metadata.sqlite", tmp_path / "demo.yaml"
    assert main(["compile", str(tmp_path / "demo" / "pipeline.py"), "-o", str(package),
                 "--metadata", f"sqlite:{store}", "--param", f"root={tmp_path / 'root'}",
                 "--allow-local-paths"]) == 0
    assert "project files shipped in the package: pipeline.py" in capsys.readouterr().out
    shutil.rmtree(tmp_path / "demo")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert main(["kfp-local", str(package), "--pipeline-root", str(tmp_path / "kfp")]) == 0
    [run] = MetadataStore(sqlite_config(store)).list_runs()
    assert run.properties["status"] == "COMPLETE" and run.properties["n_complete"] == 4


def test_the_ctr_template_ships_its_modules_and_the_schema_it_finds_above_it_once():
    from pipelines.dsl.loading import load_pipeline
    from pipelines.kubeflow.project_bundle import build_bundle

    ctr = Path(__file__).resolve().parents[2] / "templates" / "ctr" / "pipeline.py"
    bundle = build_bundle(str(ctr), load_pipeline(str(ctr)))
    assert {"schemas/ctr.pbtxt", "templates/ctr/pipeline.py", "templates/ctr/model.py",
            "templates/ctr/preprocessing.py"} <= set(bundle.files)  # ../../schemas/ctr.pbtxt
    assert len(set(bundle.files)) == len(bundle.files) and bundle.pipeline_path == "templates/ctr/pipeline.py"
    assert build_bundle(str(ctr), load_pipeline(str(ctr))).sha256 == bundle.sha256  # deterministic
