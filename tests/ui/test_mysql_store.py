"""The UI over a shared MySQL store (a throwaway MariaDB server), as `--metadata URL` reads it."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from pipelines import LocalRunner, Pipeline
from pipelines.ui import StoreSource, create_app
from tests.ui.conftest import numbers, total

pytestmark = pytest.mark.e2e


def test_runs_and_graph_from_a_mariadb_store(tmp_path, mariadb_server, mariadb_metadata):
    source = numbers()
    pipeline = Pipeline("shared", str(tmp_path), [source, total(examples=source.outputs["examples"])],
                        metadata=mariadb_metadata)
    result = LocalRunner().run(pipeline)
    client = TestClient(create_app(StoreSource.from_url(mariadb_server.url(mariadb_metadata))))
    runs = client.get("/api/runs", params={"pipeline": "shared"}).json()["runs"]
    assert [run["name"] for run in runs] == [result.run_id]
    detail = client.get(f"/api/runs/{result.run_id}").json()
    assert detail["edges"] == [["numbers", "total", "Examples"]]
    page = client.get("/runs").text
    assert "mysql://starling@127.0.0.1:" in page and "starling-test" not in page  # no password shown


def test_an_unreachable_mysql_store_gives_a_page(mariadb_server, mariadb_metadata):
    url = mariadb_server.url(mariadb_metadata).replace(f":{mariadb_server.port}/", ":1/")
    response = TestClient(create_app(StoreSource.from_url(url))).get("/runs")
    assert response.status_code == 503 and "cannot open the metadata store" in response.text
