"""Outcomes shown as they are: a shipped, a rejected and a halted run, in real `starling` processes.

The pipeline (tests/fixtures/outcome_pipeline.py) runs the real Pusher behind a judge that writes a
ModelBlessing as the Evaluator does. Each outcome is checked on the console, in `starling runs`,
`starling artifacts` and `starling lineage`.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PIPELINE_FILE = REPO / "tests" / "fixtures" / "outcome_pipeline.py"


def starling(*args: str) -> subprocess.CompletedProcess:
    """Runs the CLI in a fresh process (from the repository, so this checkout's code runs)."""
    return subprocess.run([sys.executable, "-m", "pipelines.cli.main", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def run_pipeline(base: Path, *params: str) -> subprocess.CompletedProcess:
    """`starling run` of the outcome pipeline on `base/root`, pushing to `base/serving`."""
    pairs = [f"root={base / 'root'}", f"serving_base={base / 'serving'}", *params]
    return starling("run", str(PIPELINE_FILE), *[arg for pair in pairs for arg in ("--param", pair)])


def node_line(console: str, node_id: str) -> str:
    return next(line for line in console.splitlines() if re.search(rf"\] . {node_id} ", line))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Day 1 shipped, day 2 rejected (NOT BLESSED), day 3 halted, day 2 again (all cached)."""
    base = tmp_path_factory.mktemp("outcomes")
    done = {name: run_pipeline(base, *params) for name, params in (
        ("shipped", ["span=1"]), ("rejected", ["span=2", "auc=0.5"]),
        ("halted", ["span=3", "halt=true"]), ("rejected_again", ["span=2", "auc=0.5"]))}
    return base, done


def test_shipped_run_says_blessed_and_pushed_with_its_version(runs):
    shipped = runs[1]["shipped"]
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    assert re.search(r"✓ judge +BLESSED ", node_line(shipped.stdout, "judge"))
    assert re.search(r"✓ Pusher +PUSHED +\S+s  version 1 of clicks", node_line(shipped.stdout, "Pusher"))
    assert "Outcome: candidate BLESSED; PUSHED version 1 of clicks" in shipped.stdout


def test_rejected_run_says_not_blessed_why_and_that_nothing_was_pushed(runs):
    rejected = runs[1]["rejected"]
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert re.search(r"✗ judge +NOT BLESSED +\S+s  platform=web: auc 0\.5 \(needs >= 0\.55\)",
                     node_line(rejected.stdout, "judge"))
    assert re.search(r"- Pusher +NOT PUSHED +\S+s  model not blessed \(ModelBlessing #\d+\)",
                     node_line(rejected.stdout, "Pusher"))
    assert ("Outcome: candidate NOT BLESSED (platform=web: auc 0.5 (needs >= 0.55)); nothing pushed"
            in rejected.stdout)


def test_cached_rerun_of_a_rejected_day_still_says_so(runs):
    again = runs[1]["rejected_again"].stdout
    assert re.search(r"✗ judge +CACHED +\S+s  NOT BLESSED \(platform=web", node_line(again, "judge"))
    assert re.search(r"- Pusher +CACHED +\S+s  NOT PUSHED \(model not blessed", node_line(again, "Pusher"))
    assert "Outcome: candidate NOT BLESSED" in again


def test_halted_run_shows_halted_not_failed(runs):
    halted = runs[1]["halted"]
    assert halted.returncode == 1
    assert re.search(r"✗ make_data +HALTED +\S+s  1 data anomalies: feature 'hour'",
                     node_line(halted.stdout, "make_data"))
    assert re.search(r"^Run \S+: HALTED in \S+ \(3 skipped, 1 halted\)$", halted.stdout, re.MULTILINE)
    assert "node 'make_data' halted the run: 1 data anomalies" in halted.stdout
    assert "FAILED" not in halted.stdout and "halted: " not in halted.stdout


def test_runs_tell_shipped_from_rejected_and_halted(runs):
    base, done = runs
    listing = starling("runs", "--root", str(base / "root"))
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line.split()[2:4] for line in listing.stdout.splitlines()[2:]}

    def run_id(name: str) -> str:
        return re.search(r"^Run (\S+):", done[name].stdout, re.MULTILINE).group(1)

    assert rows[run_id("shipped")] == ["COMPLETE", "pushed"]
    assert rows[run_id("rejected")] == ["COMPLETE", "rejected"]
    assert rows[run_id("rejected_again")] == ["COMPLETE", "rejected"]
    assert rows[run_id("halted")] == ["HALTED", "-"]


def test_pushed_models_show_pushed_or_not_and_the_version_in_any_case(runs):
    listing = starling("artifacts", "--root", str(runs[0] / "root"), "--type", "pushedmodel")
    assert listing.returncode == 0, listing.stderr
    outcomes = [re.search(r"(NOT PUSHED|PUSHED) \(([^)]*)", line).groups()
                for line in listing.stdout.splitlines()[2:]]
    assert outcomes[0][0] == "NOT PUSHED" and outcomes[0][1].startswith("model not blessed")
    assert outcomes[-1] == ("PUSHED", "version 1 of clicks")


def test_an_unknown_type_is_an_error_listing_the_known_ones(runs):
    listing = starling("artifacts", "--root", str(runs[0] / "root"), "--type", "PushedModels")
    assert listing.returncode == 2
    assert listing.stderr.startswith("starling: error: unknown artifact type 'PushedModels'; known "
                                     "types: ExampleAnomalies, Examples, ")
    assert "PushedModel," in listing.stderr


def test_lineage_of_pushed_model_starts_from_the_model_actually_pushed(runs):
    tree = starling("lineage", "PushedModel", "--root", str(runs[0] / "root"))
    assert tree.returncode == 0, tree.stderr
    first = tree.stdout.splitlines()[0]
    assert re.match(r"PushedModel #\d+ \(pushed 1, pushed_version 1\)", first), first
    assert "(span 1)" in tree.stdout and "(span 2)" not in tree.stdout
