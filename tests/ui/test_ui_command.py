"""`starling ui` as a user starts it: a real process serving the pages over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from pipelines.cli.main import main


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, deadline_s: float = 30.0) -> tuple[int, str]:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_starling_ui_serves_the_runs_of_a_root(tiny_root):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.main", "ui", "--root", str(tiny_root),
         "--port", str(port), "--allowed-host", "ui.example.com"], stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != "STARLING_ALLOWED_HOSTS"})
    try:
        status, body = _get(f"http://127.0.0.1:{port}/api/runs")
        assert status == 200 and len(json.loads(body)["runs"]) == 3
        status, page = _get(f"http://127.0.0.1:{port}/runs")
        assert status == 200 and "tiny" in page
        for host, expected in (("ui.example.com", 200), ("attacker.example", 400)):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/runs", headers={"Host": host})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status == expected
            except urllib.error.HTTPError as error:
                assert error.code == expected, host
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert f"Starling UI on http://127.0.0.1:{port}/" in stderr and "Traceback" not in stderr


def test_a_root_without_a_store_yet_is_served_with_a_page_saying_so(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.main", "ui", "--root", str(tmp_path / "later"),
         "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        status, page = _get(f"http://127.0.0.1:{port}/runs")
        assert status == 503 and "no metadata store at" in page
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)


def test_bad_arguments_are_one_line_errors(capsys):
    assert main(["ui", "--metadata", "postgres://nowhere/db"]) == 2
    assert "metadata URL 'postgres://nowhere/db'" in capsys.readouterr().err
    assert main(["ui", "--root", ".", "--port", "70000"]) == 2
    assert "--port must be between 1 and 65535" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ui", "--root", ".", "--metadata", "sqlite:x"])


def test_serving_pages_imports_no_tensorflow(tiny_root):
    code = (
        "import sys\n"
        "from starlette.testclient import TestClient\n"
        "from pipelines.ui import StoreSource, create_app\n"
        f"client = TestClient(create_app(StoreSource.from_root({str(tiny_root)!r})))\n"
        "name = client.get('/api/runs').json()['runs'][0]['name']\n"
        "for url in ('/runs', '/runs/' + name, '/artifacts', '/models', '/compare'):\n"
        "    assert client.get(url).status_code == 200, url\n"
        "print(sorted(m for m in ('tensorflow', 'apache_beam', 'tensorflow_model_analysis')"
        " if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
