"""The penguin pipeline: a small real dataset (Palmer penguins), multiclass, start to push.

    starling run templates/penguin/pipeline.py
"""

from __future__ import annotations

import os
import sys

from components import (
    CsvExampleGen,
    Evaluator,
    ExampleValidator,
    ImportSchemaGen,
    Pusher,
    StatisticsGen,
    Trainer,
    Transform,
    Tuner,
)
from pipelines import Pipeline, latest_blessed_model

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import LABEL, write_penguins  # noqa: E402


def _schema_file() -> str:
    local = os.path.join(HERE, "schema.pbtxt")  # a project made by `starling new` carries its own
    return local if os.path.isfile(local) else os.path.join(HERE, "..", "..", "schemas", "penguin.pbtxt")


def create_pipeline(root: str = "runs/penguin", data_root: str = "data/penguin",
                    serving_base: str = "serving", train_steps: int = 150, tune_steps: int = 30,
                    max_trials: int = 4, min_accuracy: float = 0.8) -> Pipeline:
    """The penguin pipeline; the data is written from the `palmerpenguins` package on first use.

    The Tuner tries `max_trials` hyperparameter sets (`tune_steps` steps each); the Trainer trains
    `train_steps` with the best one.
    """
    write_penguins(data_root)
    schema = ImportSchemaGen(schema_file=_schema_file())
    examples = CsvExampleGen(input_base=data_root, pattern="*.csv",
                             schema=schema.outputs["schema"])  # every row checked against it
    statistics = StatisticsGen(examples=examples.outputs["examples"], schema=schema.outputs["schema"])
    validator = ExampleValidator(statistics=statistics.outputs["statistics"], schema=schema.outputs["schema"],
                                 halt_on_anomalies=True)
    transform = Transform(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=os.path.join(HERE, "preprocessing.py")).after(validator)
    tuner = Tuner(examples=transform.outputs["transformed_examples"],
                  transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
                  module_file=os.path.join(HERE, "model.py"), train_steps=tune_steps, eval_steps=5,
                  max_trials=max_trials)
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
                      module_file=os.path.join(HERE, "model.py"), train_steps=train_steps, eval_steps=5,
                      hyperparameters=tuner.outputs["best_hyperparameters"])
    baseline = latest_blessed_model(pinned_to=examples.outputs["examples"])
    evaluator = Evaluator(
        examples=examples.outputs["examples"], model=trainer.outputs["model"],
        baseline_model=baseline.outputs["model"], eval_config={
            "label_key": LABEL, "slices": [[], ["island"]], "min_slice_size": 20,
            "metrics": {"ExampleCount": {}, "SparseCategoricalAccuracy": {"lower_bound": min_accuracy}}})
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                    serving_base=serving_base, model_name="penguin")
    return Pipeline("penguin", root, [examples, schema, statistics, validator, transform, tuner, trainer,
                                      baseline, evaluator, pusher])
