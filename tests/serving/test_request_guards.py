"""Request guards without a server: JSON depth and the Host check (DNS rebinding)."""

from __future__ import annotations

import pytest

from pipelines.hosts import ENVIRONMENT_VARIABLE, AllowedHosts
from serving.errors import ClientError
from serving.rest_bodies import parse_json


def test_json_deeper_than_the_limit_is_a_client_error_not_a_recursion_error():
    assert parse_json(b'{"instances": [{"x": [1, {"b64": "AA=="}]}]}') == {
        "instances": [{"x": [1, {"b64": "AA=="}]}]}
    assert parse_json(b"3") == 3
    for opened, closed in ((b"[", b"]"), (b'{"a": ', b"}")):
        with pytest.raises(ClientError, match="JSON nests deeper than 32 levels"):
            parse_json(b'{"x": ' + opened * 990 + b"1" + closed * 990 + b"}")
    assert parse_json(b"[" * 32 + b"]" * 32) is not None
    with pytest.raises(ClientError, match="deeper than 32"):
        parse_json(b"[" * 33 + b"]" * 33)
    with pytest.raises(ClientError, match="malformed JSON"):
        parse_json(b"[" * 2000 + b"]" * 2000)  # orjson's own limit: still a 400


@pytest.mark.parametrize("host, allowed", [
    ("localhost:8501", True), ("LOCALHOST.", True), ("app.localhost", True), ("127.0.0.1:8501", True),
    ("[::1]:8501", True), ("10.1.2.3", True), (None, True), ("models.internal", True),
    ("a.serving.example:80", True), ("serving.example", False), ("attacker.example", False),
    ("localhost.attacker.example", False), ("", False),
])
def test_hosts_allowed_by_default_and_by_flag(host, allowed, monkeypatch):
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    assert AllowedHosts(["models.internal", "*.serving.example"]).allows(host) is allowed


def test_hosts_from_the_environment_and_the_wildcard(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "ui.example, other.example")
    assert AllowedHosts().allows("ui.example:8080") and AllowedHosts().allows("other.example")
    assert not AllowedHosts(environment=False).allows("ui.example")
    assert AllowedHosts(["*"]).allows("anything.example")
