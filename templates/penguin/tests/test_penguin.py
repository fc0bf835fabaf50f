"""The penguin template's data and pipeline definition."""

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from data import write_penguins  # noqa: E402
from pipeline import create_pipeline  # noqa: E402


def test_data_has_three_species_as_classes(tmp_path):
    frame = pd.read_csv(write_penguins(str(tmp_path)))
    assert len(frame) == 344 and sorted(frame["species"].unique()) == [0, 1, 2]


def test_pipeline_wires_every_component(tmp_path):
    pipeline = create_pipeline(root=str(tmp_path), data_root=str(tmp_path / "data"))
    assert pipeline.node_ids[:2] == ["ImportSchemaGen", "CsvExampleGen"]  # rows are checked against it
    assert pipeline.node_ids[-1] == "Pusher"
