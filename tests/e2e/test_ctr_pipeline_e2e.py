"""The ctr template's continuous-training loop, with the model server in the middle of it.

Span 1 is blessed and pushed as version 1; the server serves it and logs skewed traffic; span 2
reads those logs, reports training/serving skew, warm-starts from version 1, is judged against
it and pushed as version 2; a deliberately broken span-3 model is not blessed and version 2 stays
served. Lineage of the push reaches the span-2 data, the schema and the transform graph.

The template's own gates and training defaults, as `make demo` runs them: no threshold loosened.
"""

import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

from pipelines import LocalRunner
from pipelines.cli.loader import load_pipeline
from pipelines.metadata import MetadataStore, lineage, sqlite_config
from pipelines.reports.anomalies import AnomaliesReport, anomaly_rows
from serving.server import BackgroundServer, ServerOptions

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import FEATURES, CtrDataConfig, generate_day, write_days  # noqa: E402

pytestmark = pytest.mark.e2e
ROWS = 8000  # an eval split of ~2,700 rows: ~80 clicks, enough for the overall AUC to be judged


def _run(tmp_path, span, **params):
    pipeline = load_pipeline(str(REPO / "templates" / "ctr" / "pipeline.py"), {
        "root": str(tmp_path / "root"), "data_root": str(tmp_path / "data"), "span": span,
        "serving_base": str(tmp_path / "serving"), "eval_steps": 5, **params})
    result = LocalRunner().run(pipeline)
    failed = {k: v.error for k, v in result.nodes.items() if v.status == "FAILED"}
    assert not failed, failed
    return result


def _serve_and_log_skewed_traffic(tmp_path):
    rows = generate_day(2, CtrDataConfig(rows_per_day=400), serving_skew=True)[FEATURES]
    instances = [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                 for row in rows.to_dict(orient="records")]
    options = ServerOptions(str(tmp_path / "serving"), port=0, request_log_dir=str(tmp_path / "logs"),
                            request_log_sample_rate=1.0)
    with BackgroundServer(options) as server:
        url = f"{server.url}/v1/models/ctr:predict"
        first = httpx.post(url, json={"instances": instances[:50]}, timeout=60)
        assert first.status_code == 200, first.text
        assert first.json()["model_version"] == "1"
        in_process = server.repository.model("ctr").get()
        examples = [in_process.feature_spec.to_example_bytes(i, "row") for i in instances[:50]]
        [expected] = in_process.predict(examples).values()
        np.testing.assert_allclose(np.array(first.json()["predictions"]).reshape(-1),
                                   expected.reshape(-1), atol=1e-6)
        for start in range(50, len(instances), 50):
            batch = {"instances": instances[start:start + 50]}
            assert httpx.post(url, json=batch, timeout=60).status_code == 200
        server.inference.request_logger.close()
    return tmp_path / "logs" / "ctr"


def test_continuous_training_with_serving_skew_and_a_blessing_gate(tmp_path):
    write_days(tmp_path / "data", [1, 2, 3], CtrDataConfig(rows_per_day=ROWS))
    serving = tmp_path / "serving" / "ctr"

    first = _run(tmp_path, 1)
    assert first.output("Evaluator", "blessing").blessed == 1
    assert first.output("Pusher", "pushed_model").properties["pushed_version"] == 1
    assert sorted(p.name for p in serving.iterdir()) == ["1"]
    scored = first.output("BulkInferrer", "inference_result")  # the blessed model scored the eval split
    assert scored.properties["inferred"] == 1 and list(Path(scored.uri).glob("prediction_logs-*.gz"))

    logs = _serve_and_log_skewed_traffic(tmp_path)

    second = _run(tmp_path, 2, serving_logs=str(logs))
    anomalies = second.output("ExampleValidator", "anomalies")
    assert anomalies.properties["skew_checked"] is True
    report = AnomaliesReport.from_uri(anomalies.uri)
    flagged = {r["feature"]: r for r in anomaly_rows(report.splits["train"])}
    assert "hour" in flagged and any(m.startswith("skew") for m in flagged["hour"]["measurements"])
    model_1 = first.output("Trainer", "model")
    assert second.output("Trainer", "model").properties["base_model_id"] == model_1.id
    assert second.output("Trainer", "model").properties["warm_start"] == "warm start: 13/13 layers"
    assert second.output("Evaluator", "blessing").blessed == 1  # the demo's day 2, under its own gates
    assert second.output("Evaluator", "blessing").properties["baseline_model_id"] == model_1.id
    assert "Overall: auc Δ " in second.output("Evaluator", "evaluation").properties["gates"]  # judged
    assert second.output("Pusher", "pushed_model").properties["pushed_version"] == 2

    third = _run(tmp_path, 3, break_model=True)
    blessing = third.output("Evaluator", "blessing")
    assert blessing.blessed == 0 and "auc" in blessing.properties["failures"]
    assert third.output("Pusher", "pushed_model").pushed == 0
    assert third.output("BulkInferrer", "inference_result").properties["inferred"] == 0  # refused
    assert sorted(p.name for p in serving.iterdir()) == ["1", "2"]

    # lineage: from the span-2 push back to its data, schema and transform graph
    store = MetadataStore(sqlite_config(tmp_path / "root" / "metadata.sqlite"))
    ids = lineage(store, second.output("Pusher", "pushed_model").id).artifact_ids()
    assert second.output("CsvExampleGen", "examples").id in ids
    assert second.output("ImportSchemaGen", "schema").id in ids
    assert second.output("Transform", "transform_graph").id in ids
    assert model_1.id in ids  # the warm-start base is part of where the model came from

    # a rerun of span 2 is fully cached
    rerun = _run(tmp_path, 2, serving_logs=str(logs))
    assert {n.status for n in rerun.nodes.values()} == {"CACHED"}
