"""The templates on Kubeflow Pipelines: both compile; the compiled ctr pipeline runs under kfp.local."""

import json
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.kubeflow import compile_pipeline
from pipelines.kubeflow.client import run_locally
from pipelines.metadata import MetadataStore, sqlite_config

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, write_days  # noqa: E402

pytestmark = pytest.mark.e2e


def test_penguin_compiles_and_loads_back(tmp_path):
    from kfp import components

    package = tmp_path / "penguin.yaml"
    compiled = compile_pipeline(str(REPO / "templates" / "penguin" / "pipeline.py"), str(package),
                                params={"data_root": str(tmp_path / "data"), "root": "s3://penguins/runs",
                                        "serving_base": "s3://penguins/serving"},
                                allow_local_paths=True)  # the template writes its data at build time
    assert components.load_component_from_file(str(package)).name == "penguin"
    spec = yaml.safe_load(package.read_text())
    names = {task["taskInfo"]["name"] for task in spec["root"]["dag"]["tasks"].values()}
    assert names == {*compiled.node_ids, "project files"} and "Evaluator" in names
    assert {"pipeline.py", "model.py"} <= {path.split("/")[-1] for path in compiled.project_files}
    assert set(spec["root"]["inputDefinitions"]["parameters"]) == {
        "root", "data_root", "serving_base", "train_steps", "tune_steps", "max_trials", "min_accuracy"}


def _outputs(root, step):
    [run_dir] = [p for p in Path(root).iterdir() if p.is_dir()]
    executor_output = json.loads((run_dir / step / "executor_output.json").read_text())
    return run_dir / step, executor_output["artifacts"]


def test_compiled_ctr_runs_under_kfp_local_and_pushes_a_model(tmp_path):
    write_days(tmp_path / "data", [1], CtrDataConfig(rows_per_day=3000))
    package = tmp_path / "ctr.yaml"
    compiled = compile_pipeline(
        str(REPO / "templates" / "ctr" / "pipeline.py"), str(package),
        metadata_url=f"sqlite:{tmp_path / 'metadata.sqlite'}",
        params={"data_root": str(tmp_path / "data"), "serving_base": str(tmp_path / "serving"),
                "root": str(tmp_path / "root"),
                "train_steps": 20, "eval_steps": 2, "min_auc": 0.3, "gate_on_platform": False},
        allow_local_paths=True)
    spec = yaml.safe_load(package.read_text())
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    assert {"span", "train_steps", "data_root", "break_model"} <= set(parameters)
    steps = [name for name in spec["deploymentSpec"]["executors"] if name.startswith("exec-node-")]
    assert len(steps) == len(compiled.node_ids)
    assert {"CsvExampleGen", "Trainer", "Evaluator", "Pusher"} <= set(compiled.node_ids)

    run_locally(str(package), str(tmp_path / "kfp"), {"span": 1})

    _, pusher_outputs = _outputs(tmp_path / "kfp", "node-pusher")
    [pushed] = pusher_outputs["out_pushed_model"]["artifacts"]
    assert pushed["metadata"]["pushed"] == 1 and pushed["metadata"]["starling_type"] == "PushedModel"
    assert (tmp_path / "serving" / "ctr" / "1" / "saved_model.pb").is_file()

    stats_dir, _ = _outputs(tmp_path / "kfp", "node-statisticsgen")
    stats_report = (stats_dir / "statistics_report").read_text()
    assert "<svg" in stats_report and "advertiser_id" in stats_report
    validator_dir, _ = _outputs(tmp_path / "kfp", "node-examplevalidator")
    assert "anomalies" in (validator_dir / "anomalies_report").read_text().lower()
    evaluator_dir, evaluator_outputs = _outputs(tmp_path / "kfp", "node-evaluator")
    assert "Metrics by slice" in (evaluator_dir / "evaluation_report").read_text()
    [metrics] = evaluator_outputs["evaluation_metrics"]["artifacts"]
    assert "auc" in metrics["metadata"] and 0 <= metrics["metadata"]["auc"] <= 1

    # every step went through the launcher: a cache key, driver facts for the ExampleGen,
    # outputs staged and renamed into place (no staging directory left)
    store = MetadataStore(sqlite_config(str(tmp_path / "metadata.sqlite")))
    [run] = store.list_runs("ctr")
    executions = store.executions_of_run(run.id)
    assert len(executions) == len(compiled.node_ids) and {e.state for e in executions} == {"COMPLETE"}
    assert all(e.properties["cache_key"] and e.properties["pid"] for e in executions)
    [example_gen] = [e for e in executions if e.node_id == "CsvExampleGen"]
    assert json.loads(example_gen.properties["driver_facts"])["span"] == 1
    assert not list((tmp_path / "kfp").rglob(".staging-*"))
