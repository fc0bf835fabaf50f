"""`exit_now`: a `starling` process ends without the interpreter's teardown, and loses nothing by it."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENDING_PROGRAM = """
import atexit, sys, threading, time
from pathlib import Path
from pipelines.environment.process_exit import exit_now

marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("atexit ran"))

def late_writer():
    time.sleep(0.5)
    print("the thread's last line", flush=True)

threading.Thread(target=late_writer).start()  # not a daemon: a program waits for it
sys.stdout.write("x" * 200_000)  # buffered, not yet flushed
exit_now(3)
"""


def test_exit_now_waits_for_threads_runs_atexit_flushes_and_keeps_the_status(tmp_path):
    marker = tmp_path / "marker"
    ended = subprocess.run([sys.executable, "-c", ENDING_PROGRAM, str(marker)], cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert ended.returncode == 3, ended.stderr
    assert ended.stdout.count("x") == 200_000
    assert "the thread's last line" in ended.stdout
    assert marker.read_text() == "atexit ran"


def test_the_installed_starling_command_ends_through_exit_now():
    [entry] = [entry for entry in importlib.metadata.entry_points(group="console_scripts")
               if entry.name == "starling"]
    assert entry.value == "pipelines.cli.main:command"


def test_the_starling_command_keeps_its_exit_status_and_its_error_line(tmp_path):
    starling = Path(sys.executable).with_name("starling")
    ended = subprocess.run([str(starling), "run", str(tmp_path / "missing.py")], capture_output=True,
                           text=True, timeout=120)
    assert ended.returncode == 2
    assert ended.stderr.startswith("starling: error:") and "missing.py" in ended.stderr
