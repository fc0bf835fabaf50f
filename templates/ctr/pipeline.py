"""The ctr pipeline: continuous training of an ad click-through model, one span (day) per run.

Each run ingests the day's data, checks it against the curated schema and the previous day
(drift) and, when serving logs are given, against what the model saw in serving (skew);
featurizes with TFT, trains warm-started from the latest model, evaluates on slices against the
model now serving, and pushes the candidate only if it is blessed.

    starling run templates/ctr/pipeline.py            # the newest day under data_root
    starling run templates/ctr/pipeline.py --watch    # ... and each new day as it arrives
    starling run templates/ctr/pipeline.py --param span=1   # a chosen day
"""

from __future__ import annotations

import os

from components import (
    BulkInferrer,
    CsvExampleGen,
    Evaluator,
    ExampleValidator,
    ImportExampleGen,
    ImportSchemaGen,
    Pusher,
    StatisticsGen,
    Trainer,
    Transform,
)
from components.infra_validator import InfraValidator
from pipelines import Pipeline, latest_blessed_model, latest_model

HERE = os.path.dirname(os.path.abspath(__file__))


def _schema_file() -> str:
    local = os.path.join(HERE, "schema.pbtxt")  # a project made by `starling new` carries its own
    return local if os.path.isfile(local) else os.path.join(HERE, "..", "..", "schemas", "ctr.pbtxt")


def eval_config(min_auc: float, max_auc_decrease: float, gate_on_platform: bool = True) -> dict:
    """The Evaluator's config: AUC gated overall (and per platform), reported per country too.

    A gated slice is judged only with 200 rows, 50 clicks and 50 non-clicks (fewer: "not
    judged", listed in the report); the AUC may fall by `max_auc_decrease` against the serving
    model before the paired-bootstrap interval of the difference must say the fall is real.
    """
    return {
        "label_key": "clicked",
        "slices": [[], ["platform"], ["country"]],
        "metrics": {"ExampleCount": {}, "BinaryAccuracy": {},
                    "AUC": {"lower_bound": min_auc, "max_decrease": max_auc_decrease,
                            "min_positives": 50, "min_negatives": 50}},
        # country slices are reported, not gated: many are small
        "gated_slices": [[], ["platform"]] if gate_on_platform else [[]],
        "min_slice_size": 200,
    }


def create_pipeline(root: str = "runs/ctr", data_root: str = "data/ctr", span: int = 0,
                    serving_logs: str = "", serving_base: str = "serving", model_name: str = "ctr",
                    train_steps: int = 100, eval_steps: int = 20, learning_rate: float = 0.01,
                    warm_learning_rate: float = 0.003, break_model: bool = False,
                    halt_on_anomalies: bool = False, min_auc: float = 0.55, max_auc_decrease: float = 0.01,
                    gate_on_platform: bool = True, infra_validate: bool = True) -> Pipeline:
    """The ctr pipeline for one span; every argument can be set with `--param name=value`.

    Args:
        root: Pipeline root (artifacts and metadata.sqlite).
        data_root: Where the daily CSVs are (`day-<span>/*.csv`).
        span: The day to train on; 0 (the default) means the newest day, so each run picks up
            the day that arrived last.
        serving_logs: The model server's request log for this model (`<dir>/<YYYY>-<MM>-<DD>/*.gz`);
            when given, training/serving skew is checked.
        serving_base: Where blessed models are pushed (`<serving_base>/<model_name>/<version>`).
        model_name: The served model's name.
        train_steps: Training steps of 128 rows: 100 is about one pass over a 20,000-row day's
            training split (measured to generalize; more passes overfit the day).
        eval_steps: Validation steps during training.
        learning_rate: Adam's learning rate for a model trained from scratch.
        warm_learning_rate: Adam's learning rate for a model warm-started from the latest one:
            lower, so each day refines what the days before learned.
        break_model: Train on inverted labels: a deliberately broken model the gate must stop.
        halt_on_anomalies: Stop before Transform when the data has anomalies.
        min_auc: The AUC a model needs, overall and on each platform, to be blessed.
        max_auc_decrease: How far below the serving model's AUC a candidate may fall.
        gate_on_platform: Apply the AUC gates to each platform's slice too, not only overall.
        infra_validate: Load the candidate in a sandboxed `starling serve` and query it with
            eval examples (REST and gRPC) before Pusher may push it.
    """
    schema = ImportSchemaGen(schema_file=_schema_file())
    examples = CsvExampleGen(input_base=data_root, pattern="day-{SPAN}/*.csv", span=span or None,
                             schema=schema.outputs["schema"])  # every row checked against it
    statistics = StatisticsGen(examples=examples.outputs["examples"], schema=schema.outputs["schema"])
    nodes = [examples, schema, statistics]
    serving_statistics = None
    if serving_logs:
        served = ImportExampleGen(input_base=serving_logs, pattern="{YYYY}-{MM}-{DD}/*.gz",
                                  splits={"serving": 1}).with_id("ServingLogGen")
        served_stats = StatisticsGen(examples=served.outputs["examples"]).with_id("ServingStatisticsGen")
        serving_statistics = served_stats.outputs["statistics"]
        nodes += [served, served_stats]
    validator = ExampleValidator(statistics=statistics.outputs["statistics"], schema=schema.outputs["schema"],
                                 serving_statistics=serving_statistics, halt_on_anomalies=halt_on_anomalies)
    transform = Transform(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=os.path.join(HERE, "preprocessing.py")).after(validator)
    base_model = latest_model(pinned_to=examples.outputs["examples"])
    trainer = Trainer(
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"], schema=schema.outputs["schema"],
        module_file=os.path.join(HERE, "model.py"),
        base_model=base_model.outputs["model"], train_steps=train_steps, eval_steps=eval_steps,
        hyperparameters={"learning_rate": learning_rate, "warm_learning_rate": warm_learning_rate,
                         "invert_labels": break_model})
    baseline = latest_blessed_model(pinned_to=examples.outputs["examples"])
    evaluator = Evaluator(examples=examples.outputs["examples"], model=trainer.outputs["model"],
                          baseline_model=baseline.outputs["model"],
                          eval_config=eval_config(min_auc, max_auc_decrease, gate_on_platform))
    nodes += [validator, transform, base_model, trainer, baseline, evaluator]
    infra = None
    if infra_validate:
        infra = InfraValidator(model=trainer.outputs["model"], examples=examples.outputs["examples"],
                               num_tries=2)
        nodes.append(infra)
    pusher = Pusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                    infra_blessing=infra.outputs["blessing"] if infra else None,
                    serving_base=serving_base, model_name=model_name)
    nodes.append(pusher)
    # the day's eval split scored by the candidate, only if blessed (PredictionLogs, TFX's layout)
    nodes.append(BulkInferrer(examples=examples.outputs["examples"], model=trainer.outputs["model"],
                              model_blessing=evaluator.outputs["blessing"], splits=["eval"]))
    return Pipeline("ctr", root, nodes)
