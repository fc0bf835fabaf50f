"""The ctr pipeline on a real Flink cluster gives what the DirectRunner gives.

Same split counts, same TFT vocabularies, statistics equal within float tolerance, TFMA metrics
of the same model equal within tolerance; Flink's REST API shows one finished job per Beam
component. Needs Java 17 and Maven (the cluster is installed by `make flink-up`).
"""

import glob
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipelines import LocalRunner, Pipeline
from pipelines.cli.beam_flags import local_flink_args
from pipelines.cli.loader import load_pipeline

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, write_days  # noqa: E402

pytestmark = pytest.mark.flink
ROWS = 2000
BEAM_NODES = ("CsvExampleGen", "StatisticsGen", "Transform", "Evaluator")


def _ctr(tmp_path: Path, name: str) -> Pipeline:
    return load_pipeline(str(REPO / "templates" / "ctr" / "pipeline.py"), {
        "root": str(tmp_path / name), "data_root": str(tmp_path / "data"), "span": 1,
        "serving_base": str(tmp_path / f"serving-{name}"), "train_steps": 30, "eval_steps": 5,
        "min_auc": 0.0, "max_auc_decrease": 1.0, "gate_on_platform": False})


def _upstream_of(pipeline: Pipeline, node_id: str) -> Pipeline:
    """The part of the pipeline that `node_id` needs (it and everything upstream of it)."""
    needed, pending = set(), [pipeline.node(node_id)]
    while pending:
        node = pending.pop()
        if id(node) not in needed:
            needed.add(id(node))
            pending += [c.producer for c in node.inputs.values() if c is not None]
            pending += list(node.extra_upstream)
    return Pipeline(pipeline.name, pipeline.root, [n for n in pipeline.nodes if id(n) in needed],
                    beam_args=pipeline.beam_args)


def _run(pipeline: Pipeline):
    result = LocalRunner().run(pipeline)
    failed = {node: r.error for node, r in result.nodes.items() if r.status == "FAILED"}
    assert not failed, failed
    return result


def _output_uri(result, node: str, name: str) -> str:
    return result.nodes[node].outputs[name].uri


def _split_counts(examples_uri: str) -> dict[str, int]:
    import tensorflow as tf

    counts = {}
    for split_dir in sorted(glob.glob(os.path.join(examples_uri, "Split-*"))):
        files = sorted(glob.glob(os.path.join(split_dir, "*.gz")))
        dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
        counts[os.path.basename(split_dir)] = int(dataset.reduce(0, lambda n, _: n + 1))
    return counts


def _vocabularies(graph_uri: str) -> dict[str, list[str]]:
    assets = os.path.join(graph_uri, "transform_fn", "assets")
    return {name: Path(assets, name).read_text().splitlines() for name in sorted(os.listdir(assets))}


def _feature_numbers(statistics_uri: str) -> dict[tuple[str, str, str], float]:
    """(split, feature, field) -> value for the exact and the floating statistics of each feature."""
    import tensorflow_data_validation as tfdv

    numbers = {}
    for path in sorted(glob.glob(os.path.join(statistics_uri, "Split-*", "FeatureStats.pb"))):
        split = os.path.basename(os.path.dirname(path))
        for feature in tfdv.load_stats_binary(path).datasets[0].features:
            name = feature.path.step[-1]
            kind = feature.WhichOneof("stats")
            stats = getattr(feature, kind)
            common = stats.common_stats
            numbers[(split, name, "num_non_missing")] = common.num_non_missing
            numbers[(split, name, "num_missing")] = common.num_missing
            if kind == "num_stats":
                for field in ("mean", "std_dev", "min", "max", "num_zeros"):
                    numbers[(split, name, field)] = getattr(stats, field)
            elif kind == "string_stats":
                numbers[(split, name, "unique")] = stats.unique
                for top in stats.top_values:
                    numbers[(split, name, f"top:{top.value}")] = top.frequency
    return numbers


def _tfma_metrics(output_path: str) -> dict[tuple[str, str], float]:
    import tensorflow_model_analysis as tfma

    metrics = {}
    for record in tfma.load_metrics(output_path):
        slice_key = str(record.slice_key)
        for entry in record.metric_keys_and_values:
            value = entry.value
            if value.HasField("double_value"):
                metrics[(slice_key, entry.key.name)] = value.double_value.value
    return metrics


def _finished_jobs_since(rest: str, started_ms: int) -> list[str]:
    overview = json.load(urllib.request.urlopen(f"http://{rest}/jobs/overview", timeout=10))
    return sorted(job["name"] for job in overview["jobs"]
                  if job["start-time"] >= started_ms and job["state"] == "FINISHED")


def test_ctr_on_flink_equals_the_direct_runner(tmp_path, flink_cluster):
    from components.evaluator import config as eval_configs
    from components.evaluator.executor import run_tfma

    write_days(tmp_path / "data", [1], CtrDataConfig(rows_per_day=ROWS))
    direct = _run(_upstream_of(_ctr(tmp_path, "direct"), "Transform"))
    started_ms = int(time.time() * 1000)
    on_flink = _upstream_of(_ctr(tmp_path, "flink"), "Evaluator")  # no serving checks: no Beam there
    on_flink.beam_args = local_flink_args()
    flink = _run(on_flink)

    jobs = _finished_jobs_since(flink_cluster, started_ms)
    assert [node for node in BEAM_NODES if sum(j.startswith(f"ctr-{node}-") for j in jobs) == 1] == \
        list(BEAM_NODES), jobs

    assert _split_counts(_output_uri(flink, "CsvExampleGen", "examples")) == \
        _split_counts(_output_uri(direct, "CsvExampleGen", "examples"))
    assert _vocabularies(_output_uri(flink, "Transform", "transform_graph")) == \
        _vocabularies(_output_uri(direct, "Transform", "transform_graph"))
    on_direct_stats = _feature_numbers(_output_uri(direct, "StatisticsGen", "statistics"))
    on_flink_stats = _feature_numbers(_output_uri(flink, "StatisticsGen", "statistics"))
    assert on_flink_stats.keys() == on_direct_stats.keys()
    for key, value in on_direct_stats.items():
        assert on_flink_stats[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key

    # The same model evaluated by TFMA on the DirectRunner: Flink's metrics must match.
    model = os.path.join(_output_uri(flink, "Trainer", "model"), "Format-Serving")
    examples = os.path.join(_output_uri(flink, "CsvExampleGen", "examples"), "Split-eval", "*.gz")
    config = eval_configs.fit_to_models(
        eval_configs.as_eval_config(on_flink.node("Evaluator").parameters["eval_config"]), False)
    run_tfma(examples, model, None, config, str(tmp_path / "tfma-direct"))
    on_direct_metrics = _tfma_metrics(str(tmp_path / "tfma-direct"))
    on_flink_metrics = _tfma_metrics(_output_uri(flink, "Evaluator", "evaluation"))
    assert on_direct_metrics and on_flink_metrics.keys() == on_direct_metrics.keys()
    for key, value in on_direct_metrics.items():
        assert on_flink_metrics[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
