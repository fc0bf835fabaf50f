"""The Kubeflow path: compile with the kfp SDK, load the YAML back, run it under kfp.local."""

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from pipelines.cli.main import main
from pipelines.kubeflow import compile_pipeline
from pipelines.kubeflow.client import run_locally
from pipelines.metadata import MetadataStore, lineage, sqlite_config
from pipelines.runner.outcomes import recorded_status

PIPELINE = '''
import json
from pathlib import Path
from pipelines import Input, Output, Parameter, Pipeline, component, latest_model
from pipelines.artifacts import Examples, ExampleStatistics, Model, ModelEvaluation

@component
def make(examples: Output[Examples], span: Parameter[int] = 1):
    Path(examples.path("n.json")).write_text(json.dumps(list(range(span + 2))))
    examples.span = span
    examples.split_names = ["train"]

@component
def describe(examples: Input[Examples], statistics: Output[ExampleStatistics]):
    numbers = json.loads(Path(examples.path("n.json")).read_text())
    Path(statistics.path("report.html")).write_text(f"<h1>count {len(numbers)}</h1>")

@component
def train(examples: Input[Examples], model: Output[Model], base_model: Input[Model] = None,
          fail: Parameter[bool] = False):
    if fail:
        raise ValueError("feature 'n' is empty")
    base = json.loads(Path(base_model.path("w.json")).read_text()) if base_model else 0
    numbers = json.loads(Path(examples.path("n.json")).read_text())
    Path(model.path("w.json")).write_text(json.dumps(base + sum(numbers)))

@component
def evaluate(model: Input[Model], evaluation: Output[ModelEvaluation]):
    weight = json.loads(Path(model.path("w.json")).read_text())
    Path(evaluation.path("metrics.json")).write_text(json.dumps({"weight": weight, "auc": 0.75}))
    Path(evaluation.path("report.html")).write_text("<table><tr><td>auc</td></tr></table>")

def create_pipeline(span: int = 1, fail: bool = False, root: str = "unused"):  # tests pass root
    gen = make(span=span)
    stats = describe(examples=gen.outputs["examples"])
    base = latest_model(pinned_to=gen.outputs["examples"])
    model = train(examples=gen.outputs["examples"], base_model=base.outputs["model"], fail=fail)
    model.with_cache(False)
    judge = evaluate(model=model.outputs["model"])
    return Pipeline("kfp_test", root, [gen, stats, base, model, judge])
'''


@pytest.fixture
def pipeline_file(tmp_path):
    path = tmp_path / "project" / "pipeline.py"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(PIPELINE))
    return str(path)


def compile_here(pipeline_file, package, root, **options):
    """Compiles for a kfp.local run on this machine: an absolute local root is allowed."""
    params = {"root": str(root), **options.pop("params", {})}
    return compile_pipeline(str(pipeline_file), str(package), params=params, allow_local_paths=True,
                            **options)


def _outputs(root, step, output):
    [run_dir] = [p for p in Path(root).iterdir() if p.is_dir()]
    executor_output = json.loads((run_dir / step / "executor_output.json").read_text())
    return run_dir / step / output, executor_output


def test_compiled_yaml_loads_back_and_names_every_node_and_parameter(pipeline_file, tmp_path):
    from kfp import components

    package = str(tmp_path / "p.yaml")
    compiled = compile_here(pipeline_file, package, tmp_path / "root", image="registry.example/starling:1")
    assert compiled.node_ids == ["make", "describe", "latest_model", "train", "evaluate"]
    loaded = components.load_component_from_file(package)
    assert loaded.name == "kfp-test"
    spec = yaml.safe_load(Path(package).read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert {task["taskInfo"]["name"] for task in tasks.values()} == {*compiled.node_ids, "project files"}
    assert compiled.project_files == ("pipeline.py",)
    assert set(spec["root"]["inputDefinitions"]["parameters"]) == {"span", "fail", "root"}
    assert tasks["node-train"]["cachingOptions"] == {}  # caching turned off for this node
    assert tasks["node-make"]["cachingOptions"] == {"enableCache": True}
    executors = spec["deploymentSpec"]["executors"]
    assert {e["container"]["image"] for e in executors.values()} == {"registry.example/starling:1"}
    assert tasks["node-describe"]["inputs"]["artifacts"]["in_examples"]["taskOutputArtifact"] == {
        "outputArtifactKey": "out_examples", "producerTask": "node-make"}


def test_compiled_pipeline_runs_under_kfp_local_with_reports_metrics_and_lineage(pipeline_file, tmp_path):
    package = str(tmp_path / "p.yaml")
    store_path = tmp_path / "metadata.sqlite"
    compile_here(pipeline_file, package, tmp_path / "root", metadata_url=f"sqlite:{store_path}")
    first_root, second_root = tmp_path / "kfp1", tmp_path / "kfp2"
    run_locally(package, str(first_root), {"span": 1})

    examples_dir, examples_out = _outputs(first_root, "node-make", "out_examples")
    assert json.loads((examples_dir / "n.json").read_text()) == [0, 1, 2]
    [examples_meta] = examples_out["artifacts"]["out_examples"]["artifacts"]
    assert examples_meta["metadata"]["starling_type"] == "Examples"
    assert examples_meta["metadata"]["span"] == 1
    report, _ = _outputs(first_root, "node-describe", "statistics_report")
    assert report.read_text() == "<h1>count 3</h1>"
    summary, _ = _outputs(first_root, "node-describe", "statistics_summary")
    assert "ExampleStatistics" in summary.read_text() and "producer_node" in summary.read_text()
    _, evaluate_out = _outputs(first_root, "node-evaluate", "out_evaluation")
    [metrics] = evaluate_out["artifacts"]["evaluation_metrics"]["artifacts"]
    assert metrics["metadata"] == {"weight": 3.0, "auc": 0.75}

    # a second span warm-starts from the first span's model, resolved from the metadata store
    run_locally(package, str(second_root), {"span": 2})
    model_dir, _ = _outputs(second_root, "node-train", "out_model")
    assert json.loads((model_dir / "w.json").read_text()) == 3 + (0 + 1 + 2 + 3)
    store = MetadataStore(sqlite_config(store_path))
    newest_model = store.query_artifacts("type = 'Model'", limit=1)[0]
    upstream = lineage(store, newest_model.id)
    spans = sorted(a.span for a in upstream.artifacts() if a.type_name == "Examples")
    assert spans == [1, 2]


def test_failing_node_fails_the_kfp_local_run_with_its_message(pipeline_file, tmp_path, capfd):
    package = str(tmp_path / "p.yaml")
    compile_here(pipeline_file, package, tmp_path / "root")
    with pytest.raises(RuntimeError):
        run_locally(package, str(tmp_path / "kfp"), {"fail": True})
    captured = capfd.readouterr()
    assert "ValueError: feature 'n' is empty" in captured.out + captured.err


def test_compile_cli_and_missing_default(tmp_path, pipeline_file, capsys):
    out = tmp_path / "cli.yaml"
    assert main(["compile", pipeline_file, "--target", "kubeflow", "-o", str(out), "--allow-local-paths",
                 "--param", f"root={tmp_path / 'root'}",
                 "--param", "span=4"]) == 0
    assert "Compiled pipeline 'kfp_test' (5 steps)" in capsys.readouterr().out
    spec = yaml.safe_load(out.read_text())
    assert spec["root"]["inputDefinitions"]["parameters"]["span"]["defaultValue"] == 4
    no_default = tmp_path / "nodefault.py"
    no_default.write_text(Path(pipeline_file).read_text().replace("span: int = 1", "span: int"))
    assert main(["compile", str(no_default), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "argument 'span' has no default; pass --param span=VALUE" in capsys.readouterr().err


def test_submit_reports_unreachable_host_and_bad_arguments(tmp_path, pipeline_file, capsys):
    package = tmp_path / "p.yaml"
    compile_here(pipeline_file, str(package), tmp_path / "root")
    assert main(["submit", str(package), "--host", "http://127.0.0.1:9"]) == 2
    assert "cannot submit to Kubeflow Pipelines at http://127.0.0.1:9" in capsys.readouterr().err
    assert main(["submit", str(tmp_path / "missing.yaml"), "--host", "http://127.0.0.1:9"]) == 2
    assert "compiled pipeline not found" in capsys.readouterr().err
    assert main(["submit", str(package), "--host", "kfp.internal"]) == 2
    assert "expected an http:// or https:// URL" in capsys.readouterr().err


def test_submit_schedule_makes_a_recurring_run_with_a_checked_cron(tmp_path, pipeline_file, capsys):
    from pipelines.kubeflow.client import kfp_cron

    assert kfp_cron("0 6 * * *") == "0 0 6 * * *" and kfp_cron("0 0 6 * * *") == "0 0 6 * * *"
    package = tmp_path / "p.yaml"
    compile_here(pipeline_file, str(package), tmp_path / "root")
    assert main(["submit", str(package), "--host", "http://127.0.0.1:9", "--schedule", "daily"]) == 2
    assert "--schedule 'daily': expected a cron expression" in capsys.readouterr().err
    assert main(["submit", str(package), "--host", "http://127.0.0.1:9",
                 "--schedule", "0 6 * * *"]) == 2
    assert "cannot schedule on Kubeflow Pipelines at http://127.0.0.1:9" in capsys.readouterr().err


def test_kfp_steps_go_through_the_launcher_cache_keys_staging_and_cache_hits(pipeline_file, tmp_path):
    package = str(tmp_path / "p.yaml")
    store_path = tmp_path / "metadata.sqlite"
    compile_here(pipeline_file, package, tmp_path / "root", metadata_url=f"sqlite:{store_path}")
    run_locally(package, str(tmp_path / "kfp1"), {"span": 1})
    run_locally(package, str(tmp_path / "kfp2"), {"span": 1})  # the same data again

    store = MetadataStore(sqlite_config(store_path))
    runs = store.list_runs("kfp_test")
    by_node = {}
    for run in reversed(runs):
        for execution in store.executions_of_run(run.id):
            by_node.setdefault(execution.node_id, []).append(execution)
            assert execution.properties["cache_key"] and execution.properties["host"]
            assert isinstance(execution.properties["pid"], int)
    assert [e.state for e in by_node["make"]] == ["COMPLETE", "CACHED"]
    assert [e.state for e in by_node["describe"]] == ["COMPLETE", "CACHED"]
    assert [e.state for e in by_node["train"]] == ["COMPLETE", "COMPLETE"]  # its cache is off
    # the cached step hands the first run's artifact on by reference; training read it
    _, make_out = _outputs(tmp_path / "kfp2", "node-make", "out_examples")
    [examples] = make_out["artifacts"]["out_examples"]["artifacts"]
    assert str(tmp_path / "kfp1") in examples["metadata"]["starling_reference_uri"]
    model_dir, _ = _outputs(tmp_path / "kfp2", "node-train", "out_model")
    # the pinned resolver answers as it did for the same data: no base model, the same weight
    assert json.loads((model_dir / "w.json").read_text()) == 3
    assert not [p for p in tmp_path.rglob(".staging-*")]  # staged, then renamed into place


HALTING_PIPELINE = '''
from pathlib import Path
from pipelines import HaltPipeline, Input, Output, Pipeline, component
from pipelines.artifacts import ExampleAnomalies, Examples, Model

@component
def make(examples: Output[Examples]):
    Path(examples.path("rows.txt")).write_text("1 2")

@component
def gate(examples: Input[Examples], anomalies: Output[ExampleAnomalies]):
    Path(anomalies.path("found.txt")).write_text("drift in 'n'")
    raise HaltPipeline("anomalies found: drift in 'n'")

@component
def train(anomalies: Input[ExampleAnomalies], model: Output[Model]):
    Path(model.path("w.txt")).write_text("never")

def create_pipeline(root: str = "unused"):
    data = make()
    checked = gate(examples=data.outputs["examples"])
    return Pipeline("halting", root, [data, checked, train(anomalies=checked.outputs["anomalies"])])
'''


def test_a_halt_on_kubeflow_keeps_the_verdict_and_stops_the_run_as_locally(tmp_path):
    pipeline_file = tmp_path / "halting.py"
    pipeline_file.write_text(HALTING_PIPELINE)
    package, store_path = str(tmp_path / "h.yaml"), tmp_path / "metadata.sqlite"
    compile_here(str(pipeline_file), package, tmp_path / "root", metadata_url=f"sqlite:{store_path}")
    with pytest.raises(RuntimeError):
        run_locally(package, str(tmp_path / "kfp"), {})
    store = MetadataStore(sqlite_config(store_path))
    [run] = store.list_runs("halting")
    assert recorded_status(run.properties) == "HALTED"  # as a local run would show it
    states = {e.node_id: (e.state, e.properties.get("halted")) for e in store.executions_of_run(run.id)}
    assert states == {"make": ("COMPLETE", None),
                      "gate": ("COMPLETE", "anomalies found: drift in 'n'")}
    [anomalies] = store.query_artifacts("type = 'ExampleAnomalies'")
    assert anomalies.state == "LIVE" and Path(anomalies.uri, "found.txt").is_file()
