"""The ranking pipeline: multi-phase training with calibration, served as one model.

Quantile-bucket the features (TFT) → train an MLP on downsampled negatives → calibrate its
score with isotonic regression on held-out data → evaluate the calibrated model (AUC, expected
calibration error, calibration and ROC/PR plots) on a test split → push it if blessed.

    starling run templates/ranking/pipeline.py
"""

from __future__ import annotations

import os
import sys

from components import Calibrator, CsvExampleGen, Evaluator, ImportSchemaGen, Pusher, Trainer, Transform
from pipelines import Pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import LABEL, write_engagement  # noqa: E402

SPLITS = {"train": 6, "eval": 2, "test": 2}  # eval: early validation and calibration; test: the gate


def _schema_file() -> str:
    local = os.path.join(HERE, "schema.pbtxt")  # a project made by `starling new` carries its own
    return local if os.path.isfile(local) else os.path.join(HERE, "..", "..", "schemas", "ranking.pbtxt")


def eval_config(min_auc: float, max_ece: float) -> dict:
    """AUC and expected calibration error, gated; calibration and confusion-matrix plots."""
    return {"label_key": LABEL, "prediction_key": "outputs", "slices": [[], ["position"]],
            "metrics": {"ExampleCount": {}, "AUC": {"lower_bound": min_auc},
                        "ExpectedCalibrationError": {"upper_bound": max_ece}},
            "plots": ["CalibrationPlot", "ConfusionMatrixPlot"], "gated_slices": [[]],
            "min_slice_size": 50}


def create_pipeline(root: str = "runs/ranking", data_root: str = "data/ranking", rows: int = 20000,
                    serving_base: str = "serving", train_steps: int = 300, eval_steps: int = 10,
                    negative_keep_rate: float = 0.25, min_auc: float = 0.6,
                    max_ece: float = 0.05) -> Pipeline:
    """The ranking pipeline; the data is generated into `data_root` on first use.

    Args:
        root: Pipeline root.
        data_root: Where engagement.csv is written.
        rows: How many impressions to generate.
        serving_base: Where the blessed, calibrated model is pushed.
        train_steps: MLP training steps.
        eval_steps: Validation steps during training.
        negative_keep_rate: Share of non-engaged impressions kept for training.
        min_auc: The test-split AUC a model needs.
        max_ece: The largest expected calibration error (10 buckets) a model may have.
    """
    write_engagement(data_root, rows)
    examples = CsvExampleGen(input_base=data_root, pattern="*.csv", splits=SPLITS)
    schema = ImportSchemaGen(schema_file=_schema_file())
    transform = Transform(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=os.path.join(HERE, "preprocessing.py"))
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
                      module_file=os.path.join(HERE, "model.py"), train_steps=train_steps,
                      eval_steps=eval_steps, hyperparameters={"negative_keep_rate": negative_keep_rate})
    calibrator = Calibrator(model=trainer.outputs["model"], examples=examples.outputs["examples"],
                            label_key=LABEL, split="eval")
    evaluator = Evaluator(examples=examples.outputs["examples"], model=calibrator.outputs["calibrated_model"],
                          eval_config=eval_config(min_auc, max_ece), example_split="test")
    pusher = Pusher(model=calibrator.outputs["calibrated_model"],
                    model_blessing=evaluator.outputs["blessing"], serving_base=serving_base,
                    model_name="ranking")
    return Pipeline("ranking", root, [examples, schema, transform, trainer, calibrator, evaluator, pusher])
