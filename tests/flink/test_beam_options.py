"""Fast tests of how components reach a Beam runner: flags, job names, shipped user code."""

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from components.beam import ByValueFunction, is_remote, job_timeout_s, runner_name
from components.user_code import load_function
from pipelines.cli.beam_flags import add_beam_arguments, attach_beam_args, beam_args_from, local_flink_args
from pipelines.errors import StarlingError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _flags(*argv):
    parser = argparse.ArgumentParser()
    add_beam_arguments(parser)
    return parser.parse_args(attach_beam_args(argv))


def test_beam_args_is_one_shell_quoted_string():
    args = _flags("--beam-args", "--runner=FlinkRunner --flink_master=host:8081 --job_name='a b'")
    assert beam_args_from(args) == ["--runner=FlinkRunner", "--flink_master=host:8081", "--job_name=a b"]


def test_beam_args_value_may_start_with_dashes():
    assert attach_beam_args(["run", "p.py", "--beam-args", "--runner=X", "--no-cache"]) == \
        ["run", "p.py", "--beam-args=--runner=X", "--no-cache"]


def test_no_flags_keep_the_pipelines_own_args():
    assert beam_args_from(_flags()) is None


def test_bad_quoting_is_named():
    with pytest.raises(StarlingError, match="--beam-args: No closing quotation"):
        beam_args_from(_flags("--beam-args", "--job_name='open"))


def test_runner_flink_fills_the_local_cluster_and_beam_args_override_it():
    args = beam_args_from(_flags("--runner", "flink", "--beam-args", "--parallelism=1"),
                          check_running=False)
    assert "--runner=FlinkRunner" in args and "--environment_type=EXTERNAL" in args
    assert "--flink_master=127.0.0.1:8081" in args
    assert [a for a in args if a.startswith("--parallelism")] == ["--parallelism=1"]
    assert any(a.startswith("--flink_job_server_jar=") and a.endswith(".jar") for a in args)


def test_runner_flink_without_a_cluster_fails_at_once(monkeypatch):
    monkeypatch.setenv("STARLING_FLINK_REST_PORT", "9")  # nothing listens on the discard port
    with pytest.raises(StarlingError, match="make flink-up"):
        local_flink_args()


def test_runner_name_and_remoteness():
    assert runner_name(["--runner=DirectRunner"]) == "DirectRunner"
    assert runner_name(["--runner", "FlinkRunner", "--x"]) == "FlinkRunner"
    assert not is_remote(["--direct_num_workers=2"])
    assert is_remote(["--runner=FlinkRunner"]) and is_remote(["--runner=PortableRunner"])


def test_timeout_must_be_a_number(monkeypatch):
    monkeypatch.setenv("STARLING_BEAM_TIMEOUT_S", "soon")
    with pytest.raises(StarlingError, match="STARLING_BEAM_TIMEOUT_S='soon'"):
        job_timeout_s()


UNPICKLE_ELSEWHERE = textwrap.dedent("""
    import sys
    from apache_beam.internal import pickler
    function = pickler.loads(sys.stdin.buffer.read())
    print(function({"x": 3}))
""")


def _call_in_fresh_process(payload: bytes) -> subprocess.CompletedProcess:
    """Unpickles with Beam's pickler in a new interpreter, as an SDK worker does, and calls it."""
    return subprocess.run([sys.executable, "-c", UNPICKLE_ELSEWHERE], input=payload, capture_output=True,
                          cwd=REPO, timeout=300)


@pytest.fixture
def user_function(tmp_path):
    module = tmp_path / "features.py"
    module.write_text("SCALE = 7\n\n\ndef _scaled(v):\n    return v * SCALE\n\n\n"
                      "def preprocessing_fn(inputs):\n"
                      "    return {k: _scaled(v) for k, v in inputs.items()}\n")
    return load_function(str(module), None, "preprocessing_fn", "Transform")


def test_a_user_module_function_reaches_a_worker_that_lacks_the_file(user_function):
    """tensorflow/tfx#4948: by reference, a worker cannot import the user's module."""
    from apache_beam.internal import pickler

    plain = _call_in_fresh_process(pickler.dumps(user_function))
    assert plain.returncode != 0 and b"No module named 'starling_user_module_" in plain.stderr
    shipped = _call_in_fresh_process(pickler.dumps(ByValueFunction(user_function)))
    assert shipped.returncode == 0, shipped.stderr.decode()[-2000:]
    assert shipped.stdout.decode().strip().endswith("{'x': 21}")


def test_compiled_kubeflow_steps_receive_the_beam_args(tmp_path, capsys):
    from pipelines.cli.main import main

    output = tmp_path / "ctr.yaml"
    status = main(["compile", str(Path(REPO) / "templates" / "ctr" / "pipeline.py"), "-o", str(output),
                   *ON_OBJECT_STORE, "--beam-args",
                   "--runner=FlinkRunner --flink_master=flink-rest:8081 --parallelism=4"])
    assert status == 0, capsys.readouterr()
    steps = _step_sources(output)
    expected = "beam_args=['--runner=FlinkRunner', '--flink_master=flink-rest:8081', '--parallelism=4']"
    assert steps and all(expected in source for source in steps.values()), steps.keys()


def test_compile_without_beam_flags_keeps_the_pipelines_args(tmp_path):
    from pipelines.cli.main import main

    output = tmp_path / "ctr.yaml"
    assert main(["compile", str(Path(REPO) / "templates" / "ctr" / "pipeline.py"), "-o", str(output),
                 *ON_OBJECT_STORE]) == 0
    assert not any("beam_args=" in source for source in _step_sources(output).values())


def _step_sources(compiled_yaml: Path) -> dict[str, str]:
    """Each node step's embedded Python source, by executor name (not the project-files step)."""
    import yaml

    executors = yaml.safe_load(compiled_yaml.read_text())["deploymentSpec"]["executors"]
    return {name: " ".join(spec["container"].get("command", []) + spec["container"].get("args", []))
            for name, spec in executors.items() if name.startswith("exec-node-")}


# a Kubeflow package needs storage that outlives a step's pod
ON_OBJECT_STORE = ["--param", "root=s3://bucket/ctr", "--param", "data_root=s3://bucket/data",
                   "--param", "serving_base=s3://bucket/serving"]


def test_a_remote_job_past_its_deadline_is_cancelled_and_named(monkeypatch):
    """A job on a portable runner (Beam's embedded job service here) may not wait forever."""
    import time as clock

    import apache_beam as beam

    from components import beam as starling_beam

    monkeypatch.setenv("STARLING_BEAM_TIMEOUT_S", "3")
    monkeypatch.setattr(starling_beam, "beam_args", lambda: [
        "--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"])
    started = clock.monotonic()
    with (pytest.raises(starling_beam.BeamJobTimeout, match="PortableRunner did not finish within 3 s"),
          starling_beam.new_pipeline() as pipeline):
        _ = pipeline | beam.Create([1]) | beam.Map(lambda x: clock.sleep(60) or x)
    assert clock.monotonic() - started < 45
