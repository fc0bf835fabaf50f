import subprocess
import sys

from pipelines.cli.main import main


def test_new_project_runs_and_its_tests_pass(tmp_path, capsys):
    assert main(["new", "myproject", "--template", "quickstart", "--dir", str(tmp_path)]) == 0
    project = tmp_path / "myproject"
    assert (project / "pipeline.py").is_file() and (project / "tests" / "test_pipeline.py").is_file()
    assert "Created" in capsys.readouterr().out
    run = subprocess.run([sys.executable, "-m", "pipelines.cli.main", "run", "pipeline.py"],
                         cwd=project, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / "runs" / "quickstart" / "metadata.sqlite").is_file()
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests", "-p", "no:cacheprovider"],
                           cwd=project, capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout


def test_new_refuses_to_overwrite_and_unknown_templates(tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    assert main(["new", "taken", "--template", "quickstart", "--dir", str(tmp_path)]) == 2
    assert "already exists; refusing to overwrite it" in capsys.readouterr().err
    assert main(["new", "x", "--template", "nope", "--dir", str(tmp_path)]) == 2
    assert "unknown template 'nope'" in capsys.readouterr().err
