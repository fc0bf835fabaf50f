"""The UI refuses Host names it does not know (DNS rebinding), and ids no store holds are 404s."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from pipelines.hosts import ENVIRONMENT_VARIABLE
from pipelines.ui import StoreSource, create_app

TOO_BIG = "99999999999999999999999"


@pytest.fixture
def local_client(tiny_root, monkeypatch):
    """The UI as a browser on this machine reaches it, with no extra names allowed."""
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    app = create_app(StoreSource.from_root(str(tiny_root)), allowed_hosts=["ui.example"])
    return TestClient(app, base_url="http://127.0.0.1:8080")


def test_only_loopback_ip_and_allowed_names_are_served(local_client):
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "ui.example", "192.168.1.5:8080"):
        assert local_client.get("/api/runs", headers={"Host": host}).status_code == 200, host
    for path in ("/api/runs", "/runs", "/artifacts/1"):
        rebound = local_client.get(path, headers={"Host": "attacker.example:8080"})
        assert rebound.status_code == 400, path
        assert "Host 'attacker.example:8080' is not allowed" in rebound.json()["error"]
        assert f"set {ENVIRONMENT_VARIABLE}=attacker.example" in rebound.json()["error"]


@pytest.mark.parametrize("path", [f"/artifacts/{TOO_BIG}", f"/artifacts/{TOO_BIG}/report",
                                  f"/api/artifacts/{TOO_BIG}", f"/api/lineage/{TOO_BIG}",
                                  "/artifacts/9223372036854775808", "/api/artifacts/123456789"])
def test_ids_out_of_range_or_unknown_are_404(local_client, path):
    assert local_client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"/api/artifacts?before={TOO_BIG}", f"/artifacts?before={TOO_BIG}",
                                  f"/api/runs?before={TOO_BIG}", f"/compare?models={TOO_BIG}",
                                  f"/api/compare?models={TOO_BIG}"])
def test_cursors_and_ids_out_of_range_in_queries_are_400(local_client, path):
    response = local_client.get(path)
    assert response.status_code == 400 and "must fit in 64 bits" in response.text
