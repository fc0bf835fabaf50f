"""TFX's taxi template on Starling and on TFX 1.16 itself, in the same run, on the same data and modules.

The template comes from the TFX wheel in the peer venv (set it up once with
`bash benchmarks/peer_tfx.sh`): TFX's own `tfx template copy` handler copies it with its data
(`examples/chicago_taxi_pipeline/data/simple/data.csv`, 15,000 trips) into a scratch directory,
and every `components.append(` is uncommented, as TFX's own end-to-end test of the template does.
Nothing of it is kept in this repository. Then, each in a fresh process on a fresh copy (cold: no
pipeline root, no metadata):

- TFX: the template's `local_runner.py` (LocalDagRunner) in the peer venv;
- Starling: `TAXI_ON_STARLING` below, a pipeline file written beside the template's `models/`
  and `pipeline/`, with the same wiring, the template's own `configs` (preprocessing_fn, run_fn,
  train and eval steps, accuracy threshold) and its EvalConfig.

Wall time includes process start; CPU time is user + system of the process and its children.
TFX runs as the template's users run it: its `tf.keras` is bound before TFT sets
`TF_USE_LEGACY_KERAS=1`, so the template's model is a Keras 3 model there; Starling always trains
with tf_keras (Keras 2), as TFT and TFMA expect. `--legacy_keras 1` runs TFX with
`TF_USE_LEGACY_KERAS=1` set from the start, so both train with tf_keras.
Per node: TFX's MLMD execution (registered to published), Starling's node duration. Accuracy is
TFMA's `binary_accuracy`: each Evaluator's on its own eval split (the two pipelines split the
trips differently), then both models on the same rows, each eval split in turn. Without the
peer venv the TFX column is skipped, with a message.

    .venv/bin/python benchmarks/taxi_peer.py [--rounds 2] [--legacy_keras 0] [--update-readme]
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import benchmark_main, markdown_table, run_measured

HERE = Path(__file__).resolve().parent
PEER_PYTHON = HERE / ".peer" / "tfx-venv" / "bin" / "python"
PIPELINE_NAME = "taxi_peer"
GOAL_RATIO = 0.5
GOAL_ACCURACY_DELTA = 0.01
NODES = ["CsvExampleGen", "StatisticsGen", "SchemaGen", "Transform", "Trainer", "latest_blessed_model",
         "Evaluator", "Pusher"]
TFX_NODE_NAMES = {"Resolver": "latest_blessed_model"}  # TFX's execution type -> Starling's node

COPY_TEMPLATE = f"""
import sys
from tfx.tools.cli import labels
from tfx.tools.cli.handler import template_handler
template_handler.copy_template({{labels.MODEL: "taxi", labels.PIPELINE_NAME: {PIPELINE_NAME!r},
                                labels.DESTINATION_PATH: sys.argv[1]}})
"""

TAXI_ON_STARLING = '''"""The taxi template's pipeline on Starling, beside its models/ and pipeline/."""

import os

import tensorflow_model_analysis as tfma
from pipeline import configs

from components import CsvExampleGen, Evaluator, Pusher, SchemaGen, StatisticsGen, Trainer, Transform
from pipelines import Pipeline, latest_blessed_model

HERE = os.path.dirname(os.path.abspath(__file__))


def create_pipeline(root: str, serving_base: str) -> Pipeline:
    examples = CsvExampleGen(input_base=os.path.join(HERE, "data"))
    statistics = StatisticsGen(examples=examples.outputs["examples"])
    schema = SchemaGen(statistics=statistics.outputs["statistics"])
    transform = Transform(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                          preprocessing_fn=configs.PREPROCESSING_FN)
    trainer = Trainer(examples=transform.outputs["transformed_examples"], schema=schema.outputs["schema"],
                      transform_graph=transform.outputs["transform_graph"], run_fn=configs.RUN_FN,
                      train_steps=configs.TRAIN_NUM_STEPS, eval_steps=configs.EVAL_NUM_STEPS)
    baseline = latest_blessed_model()
    eval_config = tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", label_key="tips_xf",
                                    preprocessing_function_names=["transform_features"])],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(
            class_name="BinaryAccuracy",
            threshold=tfma.MetricThreshold(
                value_threshold=tfma.GenericValueThreshold(
                    lower_bound={"value": configs.EVAL_ACCURACY_THRESHOLD}),
                change_threshold=tfma.GenericChangeThreshold(direction=tfma.MetricDirection.HIGHER_IS_BETTER,
                                                             absolute={"value": -1e-10})))])])
    evaluator = Evaluator(examples=examples.outputs["examples"], model=trainer.outputs["model"],
                          baseline_model=baseline.outputs["model"], eval_config=eval_config)
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                    serving_base=serving_base, model_name="taxi")
    return Pipeline("taxi", root, [examples, statistics, schema, transform, trainer, baseline, evaluator,
                                   pusher])
'''

RUN_STARLING = """
from pipelines import LocalRunner
from pipelines.dsl.loading import load_pipeline
pipeline = load_pipeline("starling_pipeline.py",
                         {"root": "starling_output", "serving_base": "starling_serving"})
result = LocalRunner().run(pipeline)
assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
RESULT.update(nodes={k: v.duration_s for k, v in result.nodes.items()}, run_s=result.duration_s)
"""

ACCURACY = """
import glob
import tensorflow_model_analysis as tfma

def overall_accuracy(output_path, model_names):
    found = {{}}
    for metrics in tfma.load_metrics(output_path):
        for item in metrics.metric_keys_and_values:
            key = item.key
            if (not metrics.slice_key.single_slice_keys and key.name == "binary_accuracy"
                    and not key.is_diff and key.model_name in model_names):
                found[model_names[key.model_name]] = item.value.double_value.value
    return found

# what each pipeline's Evaluator measured on its own eval split
RESULT["own"] = {{}}
for side, pattern in {evaluations!r}.items():
    RESULT["own"].update(overall_accuracy(glob.glob(pattern)[0], {{"": side, "candidate": side}}))
# both models on the same rows, in one TFMA pass per split, labelled by their own transform_features
models = {models!r}
config = tfma.EvalConfig(
    model_specs=[tfma.ModelSpec(name=side, signature_name="serving_default", label_key="tips_xf",
                                preprocessing_function_names=["transform_features"]) for side in models],
    slicing_specs=[tfma.SlicingSpec()],
    metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(class_name="BinaryAccuracy")],
                                    model_names=list(models))])
shared = [tfma.default_eval_shared_model(eval_saved_model_path=glob.glob(path)[0], model_name=side,
                                         eval_config=config, include_default_metrics=False)
          for side, path in models.items()]
for split_of, pattern in {eval_splits!r}.items():
    output = {work!r} + "/same-rows-" + split_of
    tfma.run_model_analysis(eval_shared_model=shared, eval_config=config, data_location=pattern,
                            file_format="tfrecords", output_path=output)
    RESULT[split_of] = overall_accuracy(output, {{side: side for side in models}})
"""


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _template(work: Path) -> Path:
    """TFX's taxi template with its data, all components in, as TFX's e2e test sets it up."""
    python = str(PEER_PYTHON) if PEER_PYTHON.exists() else sys.executable  # .venv has the same tfx wheel
    project = work / "template"
    subprocess.run([python, "-c", COPY_TEMPLATE, str(project)], check=True, capture_output=True)
    pipeline_file = project / "pipeline" / "pipeline.py"
    pipeline_file.write_text(pipeline_file.read_text().replace("# components.append(", "components.append("))
    return project


def _tfx_nodes(metadata_db: Path, started: float) -> tuple[dict[str, float], float]:
    """Each TFX execution's seconds from MLMD, and the seconds from process start to the first one."""
    with sqlite3.connect(metadata_db) as store:
        executions = store.execute(
            "SELECT type.name, execution.create_time_since_epoch, execution.last_update_time_since_epoch "
            "FROM Execution execution JOIN Type type ON execution.type_id = type.id "
            "ORDER BY execution.id").fetchall()
    nodes = {}
    for type_name, created_ms, updated_ms in executions:
        short = type_name.rsplit(".", 1)[-1]
        nodes[TFX_NODE_NAMES.get(short, short)] = (updated_ms - created_ms) / 1000
    return nodes, min(created_ms for _, created_ms, _ in executions) / 1000 - started


def run_tfx(project: Path, legacy_keras: bool) -> dict:
    """The template's local_runner.py in the peer venv, cold."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if legacy_keras:
        env["TF_USE_LEGACY_KERAS"] = "1"
    cpu_before, started, started_epoch = _children_cpu_s(), time.perf_counter(), time.time()
    with open(project / "tfx_run.log", "w") as log:
        completed = subprocess.run([str(PEER_PYTHON), "local_runner.py"], cwd=project, stdout=log,
                                   stderr=subprocess.STDOUT, env=env)
    wall, cpu = time.perf_counter() - started, _children_cpu_s() - cpu_before
    if completed.returncode != 0:
        tail = (project / "tfx_run.log").read_text()[-3000:]
        raise RuntimeError(f"TFX's local_runner.py failed:\n{tail}")
    nodes, before_first = _tfx_nodes(project / "tfx_metadata" / PIPELINE_NAME / "metadata.db", started_epoch)
    return {"wall_s": wall, "cpu_s": cpu, "nodes": nodes, "before_first_s": before_first,
            "root": str(project / "tfx_pipeline_output" / PIPELINE_NAME)}


def run_starling(project: Path) -> dict:
    """TAXI_ON_STARLING in a fresh process, cold."""
    (project / "starling_pipeline.py").write_text(TAXI_ON_STARLING)
    cpu_before = _children_cpu_s()
    result = run_measured(RUN_STARLING, cwd=str(project))
    result["cpu_s"] = _children_cpu_s() - cpu_before
    result["before_first_s"] = result["wall_s"] - result["run_s"]
    result["root"] = str(project / "starling_output")
    return result


def read_accuracy(roots: dict[str, str], work: Path) -> dict[str, dict[str, float]]:
    """binary_accuracy: "own" (each Evaluator's, on its eval split), and per eval split, both models.

    Both pipelines keep TFX's layout, so the same paths serve both roots.
    """
    evaluations = {side: f"{root}/Evaluator/evaluation/*" for side, root in roots.items()}
    models = {side: f"{root}/Trainer/model/*/Format-Serving" for side, root in roots.items()}
    eval_splits = ({side: f"{root}/CsvExampleGen/examples/*/Split-eval/*" for side, root in roots.items()}
                   if len(roots) > 1 else {})
    found = run_measured(ACCURACY.format(evaluations=evaluations, models=models, eval_splits=eval_splits,
                                         work=str(work)))
    return {key: found[key] for key in ("own", *eval_splits)}


def _median(runs: list[dict], key: str, node: str | None = None) -> float | None:
    values = [run["nodes"].get(node) if node else run[key] for run in runs]
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    """Starling / TFX; "-" when either is missing or both are under half a second (noise)."""
    if not ours or not theirs or max(ours, theirs) < 0.5:
        return "-"
    return f"{ours / theirs:.2f}"


def _accuracy_rows(accuracy: list[dict[str, dict[str, float]]]) -> list[list[str]]:
    labels = {"own": "binary_accuracy, each on its own eval split (its Evaluator)",
              "tfx": "binary_accuracy, both models on TFX's eval split",
              "starling": "binary_accuracy, both models on Starling's eval split"}
    rows = []
    for key, label in labels.items():
        if key not in accuracy[0]:
            continue
        values = {side: [found[key][side] for found in accuracy] for side in ("tfx", "starling")
                  if side in accuracy[0][key]}
        cells = [" / ".join(f"{value:.4f}" for value in values.get(side, [])) or "-"
                 for side in ("tfx", "starling")]
        delta = (f"Δ {statistics.mean(values['starling']) - statistics.mean(values['tfx']):+.4f}"
                 if len(values) == 2 else "-")
        rows.append([label, *cells, delta])
    return rows


def _largest_accuracy_gap(accuracy: list[dict[str, dict[str, float]]]) -> float:
    return max(abs(statistics.mean(found[key]["starling"] for found in accuracy)
                   - statistics.mean(found[key]["tfx"] for found in accuracy)) for key in accuracy[0])


def _rows(tfx: list[dict], ours: list[dict], accuracy: list[dict[str, dict[str, float]]]) -> list[list[str]]:
    rows = []
    for node in NODES:
        theirs_s, ours_s = _median(tfx, "", node) if tfx else None, _median(ours, "", node)
        rows.append([node, _seconds(theirs_s), _seconds(ours_s), _ratio(ours_s, theirs_s)])
    for label, key in (("process start to the first node (imports, loading the pipeline)", "before_first_s"),
                       ("**whole run, wall, process start included**", "wall_s"),
                       ("whole run, CPU (user + system)", "cpu_s")):
        theirs_s, ours_s = _median(tfx, key) if tfx else None, _median(ours, key)
        bold = "**" if label.startswith("**") else ""
        rows.append([label, f"{bold}{_seconds(theirs_s)}{bold}", f"{bold}{_seconds(ours_s)}{bold}",
                     f"{bold}{_ratio(ours_s, theirs_s)}{bold}"])
    return rows + _accuracy_rows(accuracy)


def _summary(tfx: list[dict], ours: list[dict], accuracy: list[dict[str, dict[str, float]]]) -> str:
    if not tfx:
        return (f"TFX not measured: no peer venv at {PEER_PYTHON.parent.parent} "
                "(`bash benchmarks/peer_tfx.sh`).")
    ratio = statistics.median(run["wall_s"] for run in ours) / statistics.median(run["wall_s"] for run in tfx)
    delta = _largest_accuracy_gap(accuracy)
    wall = "meets" if ratio <= GOAL_RATIO else "misses"
    acc = "meets" if delta <= GOAL_ACCURACY_DELTA else "misses"
    return (f"Starling / TFX wall time **{ratio:.2f}x** ({wall} the {GOAL_RATIO}x goal); accuracy "
            f"differs by at most {delta:.4f} ({acc} the {GOAL_ACCURACY_DELTA} goal).")


def measure(rounds: int, legacy_keras: int) -> str:
    """Copies the template, runs it `rounds` times on each side (alternating who goes first)."""
    has_peer = PEER_PYTHON.exists()
    if not has_peer:
        print(f"no TFX peer venv at {PEER_PYTHON.parent.parent}; skipping TFX "
              "(set it up with: bash benchmarks/peer_tfx.sh)", file=sys.stderr)
    load_before = os.getloadavg()[0]
    tfx: list[dict] = []
    ours: list[dict] = []
    accuracy: list[dict[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        template = _template(work)
        with open(template / "data" / "data.csv") as data:
            rows = sum(1 for _ in data) - 1
        for index in range(rounds):
            sides = [("starling", run_starling)]
            if has_peer:
                sides.append(("tfx", lambda project: run_tfx(project, bool(legacy_keras))))
            for side, run in sides if index % 2 else reversed(sides):
                project = work / f"{side}-{index}"
                shutil.copytree(template, project)
                (tfx if side == "tfx" else ours).append(run(project))
                print(f"round {index + 1}: {side} {(tfx if side == 'tfx' else ours)[-1]['wall_s']:.1f} s",
                      file=sys.stderr)
            roots = {"starling": ours[-1]["root"], **({"tfx": tfx[-1]["root"]} if has_peer else {})}
            accuracy.append(read_accuracy(roots, work / f"accuracy-{index}"))
    load_after = os.getloadavg()[0]
    medians = " (medians)" if rounds > 1 else ""
    keras = ("TFX with TF_USE_LEGACY_KERAS=1 (tf_keras on both sides)" if legacy_keras
             else "TFX as the template runs (its model in Keras 3; Starling's in tf_keras)")
    return (f"TFX's taxi template (TFX 1.16.0's wheel: its models/, configs and {rows:,} trips), all "
            f"components in; {keras}; {rounds} cold run(s) a side{medians}; {os.cpu_count()} cores "
            f"shared with other work (1-minute load average {load_before:.1f} before, {load_after:.1f} "
            "after). "
            + _summary(tfx, ours, accuracy) + "\n\n"
            + markdown_table(["node", "TFX 1.16 s", "Starling s", "Starling / TFX"],
                             _rows(tfx, ours, accuracy)))


if __name__ == "__main__":
    benchmark_main(__doc__, "taxi_peer", measure, {"rounds": 2, "legacy_keras": 0})
