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


def test_trainer_trains_with_the_tuners_best_hyperparameters(tmp_path):
    pipeline = create_pipeline(root=str(tmp_path), data_root=str(tmp_path / "data"))
    ids = pipeline.node_ids
    assert ids.index("Transform") < ids.index("Tuner") < ids.index("Trainer")
    trainer = next(node for node in pipeline.nodes if node.id == "Trainer")
    hyperparameters = trainer.inputs["hyperparameters_artifact"]
    assert (hyperparameters.producer.id, hyperparameters.output_name) == ("Tuner", "best_hyperparameters")
