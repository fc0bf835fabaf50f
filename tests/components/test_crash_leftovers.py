"""Nothing left behind: a Pusher or InfraValidator killed (kill -9) or out of disk leaves nothing.

Real `starling run` subprocesses are killed with SIGKILL at the moment that matters (a
half-copied `.pushing-*` directory exists; the sandboxed model server has started), then
`starling runs` (which recovers abandoned runs) must stop the server and remove the copy. A full
disk is an RLIMIT_FSIZE in a subprocess (mounting a small tmpfs needs privileges).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from pipelines.runner.leftovers import LEFTOVERS_FILE, stop_process_group

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120

PIPELINE = textwrap.dedent('''
    import os
    from pathlib import Path

    from components import Pusher
    from components.infra_validator import InfraValidator
    from pipelines import Input, Output, Parameter, Pipeline, component
    from pipelines.artifacts import Model, ModelBlessing


    @component
    def many_files(model: Output[Model], files: Parameter[int] = 1):
        """A SavedModel-shaped directory of many files: the Pusher's copy takes a while."""
        variables = Path(model.path("Format-Serving")) / "variables"
        variables.mkdir(parents=True)
        block = os.urandom(512)
        for index in range(files):
            (variables / f"shard-{index:05d}").write_bytes(block)
        (variables.parent / "saved_model.pb").write_bytes(b"not a real graph")


    @component
    def bless(model: Input[Model], blessing: Output[ModelBlessing]):
        blessing.blessed = 1


    def create_pipeline(root: str = "", serving: str = "", files: int = 1, infra: bool = False):
        model = many_files(files=files)
        if infra:
            check = InfraValidator(model=model.outputs["model"], num_tries=1,
                                   max_loading_time_seconds=120)
            return Pipeline("leftovers", root, [model, check])
        judge = bless(model=model.outputs["model"])
        push = Pusher(model=model.outputs["model"], model_blessing=judge.outputs["blessing"],
                      serving_base=serving, model_name="m")
        return Pipeline("leftovers", root, [model, judge, push])
''')


def _start_run(tmp_path: Path, **params: object) -> subprocess.Popen:
    pipeline_file = tmp_path / "pipeline.py"
    pipeline_file.write_text(PIPELINE)
    args = [f"--param={name}={value}" for name, value in params.items()]
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli.main", "run", str(pipeline_file),
                             "--param", f"root={tmp_path / 'root'}", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(find, process: subprocess.Popen, what: str):
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        if process.poll() is not None:
            raise AssertionError(f"the run ended (status {process.returncode}) before {what}")
        time.sleep(0.002)
    process.kill()
    raise AssertionError(f"{what} did not appear within {TIMEOUT_S}s")


def _kill(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()


def _recover(root: Path) -> str:
    """`starling runs`, which recovers what dead runs left; returns its output."""
    listing = subprocess.run([sys.executable, "-m", "pipelines.cli.main", "runs", "--root", str(root)],
                             cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert listing.returncode == 0, listing.stderr
    return listing.stdout + listing.stderr


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_push_killed_mid_copy_leaves_a_copy_that_recovery_removes(tmp_path):
    serving = tmp_path / "serving"
    run = _start_run(tmp_path, serving=serving, files=20000)
    [copy] = _wait_for(lambda: list(serving.glob("m/.pushing-*")), run, "a .pushing-* copy")
    _kill(run)
    assert copy.is_dir() and not (serving / "m" / "1").exists()  # the kill came mid-copy

    out = _recover(tmp_path / "root")
    assert f"recovered: removed {copy} (half-copied push)" in out, out
    assert os.listdir(serving / "m") == []


_PUSH_ON_A_FULL_DISK = """
import resource, signal, sys
from components.pusher import push_saved_model
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))
try:
    push_saved_model(sys.argv[1], sys.argv[2])
except OSError as error:
    print("failed:", error)
"""


def test_a_push_onto_a_full_disk_fails_and_leaves_no_copy(tmp_path):
    model = tmp_path / "model" / "Format-Serving"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.data-00000-of-00001").write_bytes(os.urandom(1 << 17))
    serving = tmp_path / "serving" / "m"
    pushed = subprocess.run([sys.executable, "-c", _PUSH_ON_A_FULL_DISK, str(model), str(serving)],
                            cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert pushed.stdout.startswith("failed:") and "File too large" in pushed.stdout, pushed
    assert os.listdir(serving) == []  # no half copy keeps the disk full


def test_a_sandbox_server_of_a_killed_infra_validator_is_stopped_by_recovery(tmp_path):
    root = tmp_path / "root"
    run = _start_run(tmp_path, infra=True)

    def sandbox_record():
        for record in root.glob(f".tmp/*/{LEFTOVERS_FILE}"):
            entries = [json.loads(line) for line in record.read_text().splitlines() if line.endswith("}")]
            servers = [entry for entry in entries if "process_group" in entry]
            if servers:
                return servers[0], [entry["directory"] for entry in entries if "directory" in entry]
        return None

    server, directories = _wait_for(sandbox_record, run, "a sandbox server")
    _kill(run)
    pid = server["process_group"]
    try:
        assert _alive(pid) and all(os.path.isdir(path) for path in directories)
        out = _recover(root)
        assert f"recovered: stopped process {pid} (sandbox model server on ports" in out, out
        assert not _alive(pid) and not any(os.path.isdir(path) for path in directories)
        assert not list(root.glob(".tmp/*"))
    finally:  # a failed check must not leave a 600 MB server running either
        stop_process_group(pid, server["start_ticks"])
