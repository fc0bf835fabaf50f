"""The install stops with a clear message unless the interpreter is Python 3.11."""

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_python.sh"


def _fake_python(tmp_path, version):
    path = tmp_path / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return str(path)


def test_other_python_versions_are_refused_with_a_message(tmp_path):
    fake = _fake_python(tmp_path, "3.12")
    result = subprocess.run(["bash", str(SCRIPT), fake], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Starling needs Python 3.11, but" in result.stderr and "is Python 3.12" in result.stderr


def test_missing_interpreter_is_refused(tmp_path):
    result = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "nope")], capture_output=True, text=True)
    assert result.returncode == 1 and "no python3.11" in result.stderr


def test_python_311_passes(tmp_path):
    assert subprocess.run(["bash", str(SCRIPT), _fake_python(tmp_path, "3.11")]).returncode == 0
