"""The workbench's parts without a browser: metric directions, charts, event files, logs, files,
and the runs filters over the tiny store (fast tests)."""

from __future__ import annotations

import datetime
import os
import sys

import pytest

from pipelines.ui import metric_kinds
from pipelines.ui.artifact_files import file_to_download, list_directory
from pipelines.ui.learning_curves import curve_charts, read_curves
from pipelines.ui.line_chart import nice_ticks
from pipelines.ui.node_log import node_lines, own_lines
from pipelines.ui.queries import NotFound


@pytest.mark.parametrize(("name", "delta", "judgement"), [
    ("loss", -0.1, "better"), ("compiled_loss", 0.2, "worse"), ("mean_squared_error", -0.01, "better"),
    ("auc", 0.05, "better"), ("binary_accuracy", -0.01, "worse"), ("example_count", 12, "changed"),
    ("calibration", 0.1, "changed"), ("auc", 0.0, ""),
])
def test_a_change_is_judged_by_the_metrics_direction(name, delta, judgement):
    assert metric_kinds.judge(name, delta) == judgement


def test_counts_print_as_integers_and_other_values_to_four_places():
    assert metric_kinds.format_number(6712.0, count=metric_kinds.is_count("example_count")) == "6,712"
    assert metric_kinds.format_change(22.0, count=True) == "+22"
    assert metric_kinds.format_number(0.74634) == "0.7463"
    assert metric_kinds.format_number({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


def test_axis_ticks_are_round_numbers_covering_the_values():
    assert nice_ticks(0.53, 0.74) == [0.5, 0.6, 0.7, 0.8]
    assert nice_ticks(1, 2)[0] == 1 and nice_ticks(1, 2)[-1] == 2
    assert len(nice_ticks(3, 3)) >= 2


def test_learning_curves_are_read_from_event_files_without_tensorflow(tmp_path):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    for split, losses in (("train", [0.9, 0.5, 0.4]), ("validation", [1.0, 0.7, 0.6])):
        writer = EventFileWriter(str(tmp_path / split))
        for step, loss in enumerate(losses):
            value = summary_pb2.Summary.Value(tag="epoch_loss", simple_value=loss)
            writer.add_event(event_pb2.Event(step=step, summary=summary_pb2.Summary(value=[value])))
        writer.close()
    curves = read_curves(str(tmp_path))
    assert [round(v, 4) for _, v in curves[("epoch_loss", "train")]] == [0.9, 0.5, 0.4]
    assert [step for step, _ in curves[("epoch_loss", "validation")]] == [0, 1, 2]
    [(tag, svg)] = curve_charts(["<b>run</b>"], [[str(tmp_path)]])
    assert tag == "epoch_loss" and svg.count("<g class='series'") == 2
    assert "<b>run</b>" not in svg and "&lt;b&gt;run&lt;/b&gt;" in svg  # labels escaped


def test_reading_curves_imports_no_tensorflow(tmp_path):
    import subprocess

    code = ("import sys; from pipelines.ui.learning_curves import read_curves; read_curves('.'); "
            "print('tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.getcwd())
    assert done.stdout.strip() == "False", done.stderr[-800:]


def test_a_nodes_log_lines_are_those_timestamped_while_it_ran(tmp_path):
    start = datetime.datetime(2026, 5, 1, 12, 0, 0)
    ms = int(start.timestamp() * 1000)
    log = tmp_path / "run.log"
    log.write_text("\n".join([
        "2026-05-01 11:59:00.000000: I before", "I0501 12:00:05.000000 123 during (absl)",
        "  continuation without a stamp", "2026-05-01 12:00:09,500 during (logging)",
        "2026-05-01 12:05:00.000000: I after"]) + "\n")
    assert node_lines(str(log), ms, ms + 10_000) == [
        "I0501 12:00:05.000000 123 during (absl)", "  continuation without a stamp",
        "2026-05-01 12:00:09,500 during (logging)"]
    assert own_lines(str(log))[0] == "2026-05-01 11:59:00.000000: I before"  # a node's own log: all


def test_artifact_files_stay_inside_the_artifact(tmp_path):
    artifact = tmp_path / "artifact"
    (artifact / "sub").mkdir(parents=True)
    (artifact / "sub" / "data.txt").write_text("x")
    (tmp_path / "secret.txt").write_text("no")
    os.symlink(tmp_path / "secret.txt", artifact / "link.txt")
    assert [e.name for e in list_directory(str(artifact))] == ["sub", "link.txt"]
    assert file_to_download(str(artifact), "sub/data.txt").endswith("data.txt")
    for escape in ("../secret.txt", "/etc/passwd", "sub/../../secret.txt", "link.txt", "..", ""):
        with pytest.raises(NotFound):
            file_to_download(str(artifact), escape)
    with pytest.raises(NotFound):
        list_directory("s3://bucket/artifact")


def test_runs_filters_on_the_tiny_store(client):
    all_runs = client.get("/api/runs").json()["runs"]
    failed = client.get("/api/runs", params={"status": "FAILED"}).json()["runs"]
    assert [run["status"] for run in failed] == ["FAILED"] and len(all_runs) == 3
    assert client.get("/api/runs", params={"status": "HALTED"}).json()["runs"] == []
    assert client.get("/api/runs", params={"outcome": "bogus"}).json()["runs"] == []
    today = datetime.date.today()
    assert len(client.get("/api/runs", params={"since": today.isoformat()}).json()["runs"]) == 3
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert client.get("/api/runs", params={"since": tomorrow}).json()["runs"] == []
    assert client.get("/runs", params={"since": "yesterday"}).status_code == 400
    page = client.get("/runs", params={"columns": "numbers.count,span", "status": "FAILED"}).text
    assert ">numbers.count</button>" in page and "<option selected>FAILED</option>" in page
    assert '<option selected>HALTED</option>' in client.get("/runs?status=HALTED").text


def test_compare_notes_the_evaluations_states_and_does_without_them():
    from pipelines.ui.compare import _metric_rows

    older = {"slices": [{"slice": "Overall", "metrics": {"auc": {"candidate": 0.7},
                                                          "example_count": {"candidate": 100.0}}}]}
    newer = {"slices": [{"slice": "Overall", "metrics": {
        "auc": {"candidate": None, "na": "0 positives"},
        "example_count": {"candidate": 120.0},
        "loss": {"candidate": 0.3, "diff": -0.02, "not_judged": "16 positives < 50",
                 "interval": {"low": -0.05, "high": 0.01, "confidence": 0.95, "samples": 200}}}}]}
    rows = {row.name: row for row in _metric_rows([older, newer, None])}
    assert rows["auc"].notes == ["", "n/a (0 positives)", ""]
    assert rows["loss"].notes[1] == ("not judged: 16 positives < 50; vs baseline -0.0200, "
                                     "95% CI [-0.0500, +0.0100]")
    assert rows["example_count"].cells[1][:3] == ("120", "+20", "changed")
    assert rows["auc"].cells[2][0] == "-"  # a run without an evaluation
