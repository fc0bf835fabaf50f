"""A ctr project moved with its root keeps everything: cache hits, warm start, baselines, reports,
the UI and serving, all read from the new place (issue 20: relocatable cache keys and URIs)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.ui import StoreSource, create_app
from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.e2e
PARAMS = ["--param", "train_steps=30", "--param", "eval_steps=5", "--param", "min_auc=0.3",
          "--param", "max_auc_decrease=0.5", "--param", "gate_on_platform=false",
          "--param", "infra_validate=false"]
INSTANCE = {"user_id": 7, "country": "US", "platform": "ios", "hour": 20, "ad_category": "gaming",
            "advertiser_id": "adv_00007", "user_past_impressions_7d": 40, "user_past_clicks_7d": 2,
            "user_ctr_30d": 0.05}


def _cli(project: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pipelines.cli.main", *args], cwd=project,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _generate(project: Path, *args: str) -> None:
    subprocess.run([sys.executable, "data_generator.py", "--out", "data/ctr", "--rows", "3000", *args],
                   cwd=project, check=True, capture_output=True, timeout=300)


def test_a_moved_ctr_project_is_cached_warm_starts_evaluates_and_serves_from_its_new_place(tmp_path):
    _cli(tmp_path, "new", "shop", "--template", "ctr")
    first = tmp_path / "shop"
    _generate(first, "--days", "1")
    assert "COMPLETE" in _cli(first, "run", "pipeline.py", *PARAMS)

    moved = tmp_path / "moved" / "shop"
    shutil.move(first, moved)
    planned = _cli(moved, "plan", "pipeline.py", *PARAMS)
    assert "WILL RUN" not in planned, planned
    rerun = _cli(moved, "run", "pipeline.py", *PARAMS)
    assert "(12 cached)" in rerun, rerun

    _generate(moved, "--first-day", "2", "--days", "1")
    day2 = _cli(moved, "run", "pipeline.py", *PARAMS)
    assert "Trainer" in day2 and "new span 2 (was 1)" in day2, day2
    store = MetadataStore(sqlite_config(str(moved / "runs/ctr/metadata.sqlite")))
    [trainer] = [e for e in store.latest_executions("ctr", "Trainer", limit=1)]
    base = store.execution_artifacts(trainer.id, "INPUT")["base_model"]
    assert base.uri.startswith(str(moved)) and os.path.isdir(base.uri)  # warm start from the moved root
    [evaluator] = store.latest_executions("ctr", "Evaluator", limit=1)
    baseline = store.execution_artifacts(evaluator.id, "INPUT")["baseline_model"]
    assert baseline.uri.startswith(str(moved))

    shown = _cli(moved, "show", "eval", "--root", "runs/ctr")
    assert "auc" in shown.lower()
    assert str(tmp_path / "shop") + "/" not in shown

    client = TestClient(create_app(StoreSource.from_root(str(moved / "runs/ctr"))),
                        headers={"Host": "127.0.0.1"})
    evaluation = store.query_artifacts("type = 'ModelEvaluation'")[0]
    page = client.get(f"/artifacts/{evaluation.id}")
    assert page.status_code == 200 and str(moved) in page.text

    server = ServeProcess("--model-base-path", str(moved / "serving"), "--port", "0", "--grpc-port", "0")
    try:
        server.wait_serving()
        answer = httpx.post(f"{server.url}/v1/models/ctr:predict", json={"instances": [INSTANCE]},
                            timeout=60)
        assert answer.status_code == 200, answer.text
        assert len(json.loads(answer.text)["predictions"]) == 1
    finally:
        server.stop()
