"""The ranking template's data and pipeline definition."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from data import LABEL, engagement_frame  # noqa: E402
from pipeline import create_pipeline  # noqa: E402


def test_engagement_data_is_seeded_and_imbalanced():
    frame = engagement_frame(5000)
    assert frame.equals(engagement_frame(5000))
    assert 0.05 < frame[LABEL].mean() < 0.25


def test_pipeline_calibrates_before_it_evaluates_and_pushes(tmp_path):
    pipeline = create_pipeline(root=str(tmp_path), data_root=str(tmp_path / "data"), rows=200)
    assert pipeline.node_ids == ["CsvExampleGen", "ImportSchemaGen", "Transform", "Trainer", "Calibrator",
                                 "Evaluator", "Pusher"]


def test_starling_new_scaffolds_it_with_its_schema(tmp_path):
    from pipelines.cli.main import main

    assert main(["new", "feed", "--template", "ranking", "--dir", str(tmp_path)]) == 0
    project = tmp_path / "feed"
    assert (project / "schema.pbtxt").read_text().count("feature {") == 5
    assert {"pipeline.py", "data.py", "preprocessing.py", "model.py"} <= {p.name for p in project.iterdir()}
