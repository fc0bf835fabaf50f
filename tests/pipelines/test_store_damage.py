"""The metadata store under damage: a full disk mid-run, a writer killed mid-commit, corrupt files.

Real SQLite files and real subprocesses: the disk fills (RLIMIT_FSIZE at the store's size, set
by the first node) in the middle of a `starling run`; a writer is killed (SIGKILL) with its
changes half in the file, leaving a hot journal; random bytes and a zero-byte file stand in for
a store that a crash or a full disk destroyed.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines import LocalRunner, Pipeline
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.metadata.sqlite_file import CorruptStoreError, has_hot_journal
from pipelines.ui.source import StoreSource, StoreUnavailable
from tests.pipelines.conftest import source

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120

FILLING_PIPELINE = textwrap.dedent('''
    import os
    import resource
    import signal

    from pipelines import Output, Parameter, Pipeline, component
    from pipelines.artifacts import Model


    @component
    def fill_the_disk(model: Output[Model], root: Parameter[str], room: Parameter[str] = "none"):
        """From here on the store cannot grow ("none"), cannot be written at all ("nothing"), or can.

        "filler" fills the disk itself with a file beside the root.
        """
        if room == "filler":
            with open(os.path.join(root, "..", "filler"), "wb") as filler:
                try:
                    while True:
                        filler.write(b"0" * 65536)
                        filler.flush()
                except OSError:
                    return
        if room != "plenty":
            size = 0 if room == "nothing" else os.path.getsize(os.path.join(root, "metadata.sqlite"))
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


    @component
    def step(model: Output[Model], padding: Parameter[str] = ""):
        with open(model.path("out.txt"), "w") as out:
            out.write("done")


    def create_pipeline(root: str = "", room: str = "none"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        fill = fill_the_disk(root=root, room=room)
        steps = [step(padding=str(index) * 2000).with_id(f"step{index}").after(fill)
                 for index in range(8)]
        return Pipeline("full", root, [fill, *steps])
''')


def _starling(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli.main", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def _write_pipeline(directory: Path) -> Path:
    pipeline_file = directory / "pipeline.py"
    pipeline_file.write_text(FILLING_PIPELINE)
    return pipeline_file


def _filling_run(tmp_path: Path, room: str) -> tuple[Path, Path, str]:
    """A run whose first node fills the disk; returns the root, the pipeline file and the output."""
    root = tmp_path / "root"
    pipeline_file = _write_pipeline(tmp_path)
    LocalRunner().run(Pipeline("other", str(root), [source()]))  # the store exists, then fills
    run = _starling("run", str(pipeline_file), "--verbose", "--param", f"root={root}",
                    "--param", f"room={room}")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "the database could not be written (is its disk full?)" in out, out
    assert "Transaction already open" not in out and "starling: error" not in out, out
    return root, pipeline_file, out


def test_a_full_disk_mid_run_fails_the_run_clearly_with_status_1(tmp_path):
    root, pipeline_file, _out = _filling_run(tmp_path, room="none")
    store = MetadataStore(sqlite_config(root / "metadata.sqlite"))  # read without recovering
    [full_run] = store.list_runs("full")
    assert full_run.properties["status"] == "FAILED"

    again = _starling("run", str(pipeline_file), "--param", f"root={root}", "--param", "room=plenty")
    assert again.returncode == 0, again.stdout + again.stderr  # the store survived, whole


def test_a_store_that_cannot_be_written_at_all_still_ends_the_run_failed(tmp_path):
    root, _pipeline_file, out = _filling_run(tmp_path, room="nothing")
    assert "FAILED: its record could not be written" in out, out
    listing = _starling("runs", "--root", str(root))  # the next command recovers what it could not
    assert "recovered run(s) full-" in listing.stdout + listing.stderr, listing
    assert "RUNNING" not in listing.stdout, listing.stdout


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs (skipped where mounting is not allowed), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_really_full_disk_fails_the_run_clearly_and_the_next_command_recovers_it(small_disk):
    root = small_disk / "root"
    LocalRunner().run(Pipeline("other", str(root), [source()]))
    pipeline_file = _write_pipeline(small_disk.parent)
    run = _starling("run", str(pipeline_file), "--param", f"root={root}", "--param", "room=filler")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "database or disk is full: the database could not be written (is its disk full?)" in out, out
    assert "Transaction already open" not in out and "starling: error" not in out, out
    (small_disk / "filler").unlink()
    listing = _starling("runs", "--root", str(root))
    assert "RUNNING" not in listing.stdout and "full-" in listing.stdout, listing


_CRASH_MID_COMMIT = """
import sqlite3, sys
store = sqlite3.connect(sys.argv[1], isolation_level=None)
store.execute("PRAGMA cache_size = 1")  # changed pages spill into the file before the commit
store.execute("BEGIN IMMEDIATE")
store.execute("UPDATE Context SET name = name || '-half-written'")
store.executemany("INSERT INTO ContextProperty (context_id, name, is_custom_property, string_value) "
                  "VALUES (1, ?, 1, ?)", [(f"filler{index}", "x" * 500) for index in range(3000)])
print("mid-commit", flush=True)
sys.stdin.read()
"""


def test_the_ui_reads_a_store_left_with_a_hot_journal_by_a_killed_writer(tmp_path):
    root = tmp_path / "root"
    result = LocalRunner().run(Pipeline("crashed", str(root), [source()]))
    path = root / "metadata.sqlite"
    already_open = StoreSource.from_root(str(root))  # a UI that was up before the crash
    assert [run.name for run in already_open.read(lambda store: store.list_runs())] == [result.run_id]
    for reader in ("opened after the crash", "open since before the crash"):
        _kill_a_writer_mid_commit(path)
        ui = StoreSource.from_root(str(root)) if reader == "opened after the crash" else already_open
        runs = ui.read(lambda store: store.list_runs())
        assert [run.name for run in runs] == [result.run_id], reader  # the half-written change rolled back
        assert not has_hot_journal(str(path))
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _kill_a_writer_mid_commit(path: Path) -> None:
    writer = subprocess.Popen([sys.executable, "-c", _CRASH_MID_COMMIT, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "mid-commit"
    writer.kill()
    writer.wait()
    assert has_hot_journal(str(path))


def _corrupt(path: Path, kind: str) -> bytes:
    if kind == "damaged pages":  # a real store whose pages after the header page are garbage
        LocalRunner().run(Pipeline("p", str(path.parent), [source()]))
        page = path.read_bytes()[:4096]
        path.write_bytes(page + os.urandom(path.stat().st_size - len(page)))
    else:
        path.parent.mkdir(parents=True)
        path.write_bytes(os.urandom(64 * 1024) if kind == "random bytes" else b"")
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    return path.read_bytes()


@pytest.mark.parametrize(("kind", "message"), [
    ("random bytes", "is corrupt and cannot be read: it is not a SQLite database"),
    ("zero bytes", "is empty (0 bytes): its runs and artifacts are lost"),
    ("damaged pages", "is corrupt and cannot be read: SQLite says"),
])
def test_a_corrupt_or_empty_store_is_reported_and_never_recreated(tmp_path, kind, message):
    root = tmp_path / "root"
    path = root / "metadata.sqlite"
    before = _corrupt(path, kind)

    listing = _starling("runs", "--root", str(root))
    assert listing.returncode == 2 and message in listing.stderr, listing.stderr
    assert "It was left as it is" in listing.stderr and "downgrade" not in listing.stderr
    with pytest.raises(CorruptStoreError, match=re.escape(message)):
        LocalRunner().run(Pipeline("p", str(root), [source()]))
    with pytest.raises(StoreUnavailable, match=re.escape(message)):
        StoreSource.from_root(str(root)).read(lambda store: store.list_runs())
    assert path.read_bytes() == before  # left as it was: not repaired, not recreated
