"""`starling run --warm` gives what a cold `starling run` gives: same cache keys, same artifacts.

The ctr template's day runs cold in one copy of a project and through a warm worker in another,
both as a user types them (in a clean shell); every node's cache key and every artifact file are compared
(evaluation metrics within 1e-6), the InfraValidator's sandbox runs as a fork of the worker, and a
second warm run is all CACHED.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
import struct
from pathlib import Path

import pytest

from pipelines.metadata import MetadataStore, sqlite_config
from tests.e2e.test_new_projects_e2e import CLEAN_ENV, STARLING
from tests.pipelines.warm_worker_fixture import private_workers_env, run_cli, stop_workers

pytestmark = pytest.mark.e2e
PARAMS = ["--param", "train_steps=40", "--param", "eval_steps=5", "--param", "min_auc=0.3",
          "--param", "max_auc_decrease=0.5", "--param", "gate_on_platform=false"]
# What differs between any two runs, cold or warm: TensorBoard's event files (named by time and
# pid), SavedModel fingerprints, gzip headers (a time stamp), the order protobuf maps are written
# in (C++ protobuf randomizes it per process), the run's root and serving paths inside files, and
# the last bit of a prediction (BulkInferrer's batches follow Beam's timing).
RUN_RECORD_TYPES = {"ModelRun"}
RUN_RECORD_FILES = {"fingerprint.pb"}
# TensorFlow numbers traced functions by a counter of the process (`__inference_call_1234`): its
# value depends on what the process traced before (cached upstream nodes shift it too).
_NUMBERS = re.compile(rb"\d+")


def _records(data: bytes) -> list[bytes]:
    """The records of a TFRecord file's bytes (8-byte length, 4-byte CRC, data, 4-byte CRC)."""
    records, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        records.append(data[offset + 12:offset + 12 + length])
        offset += 16 + length
    return records


def _example(record: bytes) -> bytes:
    from tensorflow.core.example.example_pb2 import Example

    return Example.FromString(record).SerializeToString(deterministic=True)


def _predictions(directory: Path) -> list[tuple[bytes, list[float]]]:
    """(request with canonical examples, predicted numbers) of each logged prediction."""
    from tensorflow_serving.apis.prediction_log_pb2 import PredictionLog

    found = []
    for path in sorted(directory.rglob("*.gz")):
        for record in _records(gzip.decompress(path.read_bytes())):
            log = PredictionLog.FromString(record).predict_log
            for tensor in log.request.inputs.values():
                tensor.string_val[:] = [_example(value) for value in tensor.string_val]
            found.append((log.request.SerializeToString(deterministic=True),
                          [value for name in sorted(log.response.outputs)
                           for value in log.response.outputs[name].float_val]))
    return found


def _canonical(path: Path) -> bytes:
    """A file's content with protobuf maps in key order (records parsed by the artifact's proto)."""
    from tensorflow.core.protobuf.saved_model_pb2 import SavedModel

    content = path.read_bytes()
    if path.suffix == ".gz":
        return b"".join(map(_example, _records(gzip.decompress(content))))
    if path.name == "saved_model.pb":  # signatures and functions (weights are in variables/)
        [graph] = SavedModel.FromString(content).meta_graphs
        functions = sorted(_NUMBERS.sub(b"N", function.signature.name.encode())
                           for function in graph.graph_def.library.function)
        return b"\n".join([*functions, *(graph.signature_def[name].SerializeToString(deterministic=True)
                                         for name in sorted(graph.signature_def))])
    return content


def _files(directory: Path, places: dict[str, str]) -> dict[str, str]:
    """{relative path: sha256} of the files under an artifact's directory, made canonical and with
    the run's paths (`places`: path -> placeholder) replaced by placeholders."""
    digests = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name not in RUN_RECORD_FILES:
            content = _canonical(path)
            for place, placeholder in places.items():
                content = content.replace(place.encode(), placeholder.encode())
            digests[str(path.relative_to(directory))] = hashlib.sha256(content).hexdigest()
    return digests


def _outputs(root: Path) -> dict[str, dict]:
    """{node: {"key": cache key, "outputs": {name: artifact}}} of each node in the root's first run."""
    store = MetadataStore(sqlite_config(str(root / "metadata.sqlite")), root=str(root))
    run = min(store.list_runs("ctr"), key=lambda run: run.created_at_ms)
    found = {}
    for execution in store.executions_of_run(run.id):
        found[execution.node_id] = {"key": execution.properties.get("cache_key"),
                                    "outputs": store.execution_artifacts(execution.id, "OUTPUT")}
    return found


def _metrics(evaluation_dir: Path) -> dict[str, float]:
    numbers = {}
    for path in evaluation_dir.rglob("*.json"):
        def walk(value, prefix):
            if isinstance(value, dict):
                for name, inner in value.items():
                    walk(inner, f"{prefix}/{name}")
            elif isinstance(value, list):
                for index, inner in enumerate(value):
                    walk(inner, f"{prefix}/{index}")
            elif isinstance(value, float):
                numbers[prefix] = value
        walk(json.loads(path.read_text()), path.name)
    return numbers


def test_a_warm_run_has_the_cold_runs_cache_keys_and_artifacts_and_its_sandbox_is_a_fork(tmp_path):
    # One string hash seed for both: TFT and Keras name graph nodes in set order, so two cold
    # processes with different seeds write differently named (equivalent) graphs; a worker's forks
    # all have the seed the worker started with.
    env = dict(CLEAN_ENV, XDG_RUNTIME_DIR=private_workers_env()["XDG_RUNTIME_DIR"], PYTHONHASHSEED="0")
    run_cli([STARLING, "new", "cold", "--template", "ctr"], tmp_path, env)
    cold_project, warm_project = tmp_path / "cold", tmp_path / "warm"
    run_cli([os.path.join(os.path.dirname(STARLING), "python"), "data_generator.py", "--out", "data/ctr",
             "--days", "1", "--rows", "3000"], cold_project, env)
    shutil.copytree(cold_project, warm_project)  # the same project in another place: same keys
    run = [STARLING, "run", "pipeline.py", *PARAMS]
    try:
        cold = run_cli(run, cold_project, env)
        warm = run_cli([*run, "--warm"], warm_project, env)
        again = run_cli([*run, "--warm"], warm_project, env)
    finally:
        stop_workers(env)
    assert "starting a warm worker" in warm and "starting a warm worker" not in again
    assert "(13 cached)" in again, again
    for console in (cold, warm):
        assert "COMPLETE in" in console and "InfraValidator" in console and "BLESSED" in console, console
    log = next((warm_project / "runs/ctr/logs").glob("run-*.log")).read_text()
    assert "sandbox model server: a fork of the warm worker" in log, log[-2000:]

    cold_nodes, warm_nodes = _outputs(cold_project / "runs/ctr"), _outputs(warm_project / "runs/ctr")
    assert sorted(cold_nodes) == sorted(warm_nodes)
    places = {"cold": {str(cold_project): "<project>"}, "warm": {str(warm_project): "<project>"}}
    for node, cold_node in cold_nodes.items():
        warm_node = warm_nodes[node]
        assert warm_node["key"] == cold_node["key"], node
        for name, artifact in cold_node["outputs"].items():
            if artifact.type_name not in RUN_RECORD_TYPES:
                _assert_same(f"{node}.{name}", artifact.type_name, Path(artifact.uri),
                             Path(warm_node["outputs"][name].uri), places)


def _assert_same(what: str, type_name: str, cold_dir: Path, warm_dir: Path, places: dict) -> None:
    if type_name == "InferenceResult":  # batch sizes may move the last bit
        cold_predictions, warm_predictions = _predictions(cold_dir), _predictions(warm_dir)
        assert [request for request, _ in warm_predictions] == [request for request, _ in cold_predictions]
        for (_, warm_values), (_, cold_values) in zip(warm_predictions, cold_predictions, strict=True):
            assert warm_values == pytest.approx(cold_values, abs=1e-6), what
    elif type_name == "ModelEvaluation":
        cold_metrics, warm_metrics = _metrics(cold_dir), _metrics(warm_dir)
        assert cold_metrics.keys() == warm_metrics.keys() and cold_metrics, what
        for metric, value in cold_metrics.items():
            assert warm_metrics[metric] == pytest.approx(value, abs=1e-6), (what, metric)
    elif cold_dir.is_dir():
        assert _files(warm_dir, places["warm"]) == _files(cold_dir, places["cold"]), what
