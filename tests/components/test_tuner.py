"""Tuner: a TFX-style tuner_fn module runs unchanged; Trainer gets the best values; reruns are cached."""

import io
import json
from pathlib import Path

from components import Trainer, Tuner
from components.trainer.executor import BEST_HYPERPARAMETERS_FILE
from components.tuner.trials import TUNER_RESULTS_FILE
from pipelines import ConsoleProgress, LocalRunner, Output, Pipeline, component
from pipelines.artifacts import Schema
from tests.components.examples_fixture import synthetic_examples, write_contract

TUNER_MODULE = '''
import keras_tuner
import tensorflow as tf
from tensorflow import keras
from tfx_bsl.public import tfxio
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2


def _schema(path):
    with open(path) as source:
        return text_format.Parse(source.read(), schema_pb2.Schema())


def _dataset(fn_args, files):
    options = tfxio.TensorFlowDatasetOptions(batch_size=32, label_key="clicked")
    dataset = fn_args.data_accessor.tf_dataset_factory(files, options, _schema(fn_args.schema_path))
    return dataset.map(lambda features, label: (
        tf.concat([tf.cast(features["age"], tf.float32) / 80.0,
                   tf.cast(features["income"], tf.float32) / 100.0], axis=1), label)).repeat()


def _build(hp):
    model = keras.Sequential([keras.layers.Dense(hp.Int("units", 2, 8, step=2), activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [0.01, 0.001])),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def tuner_fn(fn_args):
    tuner = keras_tuner.RandomSearch(_build, objective="val_loss", max_trials=10, seed=3,
                                     directory=fn_args.working_dir, project_name="tiny")
    return TunerFnResult(tuner=tuner, fit_kwargs={
        "x": _dataset(fn_args, fn_args.train_files), "validation_data": _dataset(fn_args, fn_args.eval_files),
        "steps_per_epoch": fn_args.train_steps, "validation_steps": fn_args.eval_steps, "verbose": 0})


from components.tuner import TunerFnResult  # noqa: E402
'''

RUN_FN = '''
import json, os
import keras_tuner

def run_fn(fn_args):
    values = keras_tuner.HyperParameters.from_config(fn_args.hyperparameters).values
    os.makedirs(fn_args.serving_model_dir)
    with open(os.path.join(fn_args.serving_model_dir, "hyperparameters.json"), "w") as target:
        json.dump(values, target)
'''


@component
def contract(schema: Output[Schema]):
    write_contract(Path(schema.path("schema.pbtxt")))


def _pipeline(tmp_path: Path, tuner_module: str, with_trainer: bool = True) -> Pipeline:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "tuning.py").write_text(tuner_module)
    (tmp_path / "training.py").write_text(RUN_FN)
    examples = synthetic_examples(rows=120)
    schema = contract()
    tuner = Tuner(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                  module_file=str(tmp_path / "tuning.py"), train_steps=3, eval_steps=2, max_trials=2)
    nodes = [examples, schema, tuner]
    if with_trainer:
        nodes.append(Trainer(examples=examples.outputs["examples"], schema=schema.outputs["schema"],
                             module_file=str(tmp_path / "training.py"),
                             hyperparameters=tuner.outputs["best_hyperparameters"]))
    return Pipeline("tuning", str(tmp_path / "root"), nodes)


def test_tuner_finds_best_values_trainer_receives_them_and_rerun_is_cached(tmp_path):
    console = io.StringIO()
    result = LocalRunner(listener=ConsoleProgress(console)).run(_pipeline(tmp_path, TUNER_MODULE))
    assert result.status == "COMPLETE", result.nodes["Tuner"].error or result.nodes["Trainer"].error
    rows = json.loads(Path(result.output("Tuner", "tuner_results").path(TUNER_RESULTS_FILE)).read_text())
    assert len(rows) == 2 and rows[0]["score"] <= rows[1]["score"]  # val_loss: best (lowest) first
    best = json.loads(Path(result.output("Tuner", "best_hyperparameters").path(BEST_HYPERPARAMETERS_FILE))
                      .read_text())
    assert best["values"] == {"units": rows[0]["units"], "learning_rate": rows[0]["learning_rate"]}
    model = result.output("Trainer", "model")
    received = json.loads(Path(model.path("Format-Serving", "hyperparameters.json")).read_text())
    assert received == best["values"]
    assert sorted(p.name for p in Path(result.output("Tuner", "best_hyperparameters").uri).iterdir()) == [
        BEST_HYPERPARAMETERS_FILE]  # the Trainer reads TFX's own file
    progress = [line for line in console.getvalue().splitlines() if line.startswith("  ▶ Tuner: trial")]
    assert progress[0].startswith("  ▶ Tuner: trial 1/2 val_loss=") and "best=" in progress[0]
    assert progress[1].startswith("  ▶ Tuner: trial 2/2") and f"best={rows[0]['score']:.4f}" in progress[1]

    rerun = LocalRunner().run(_pipeline(tmp_path, TUNER_MODULE))
    assert rerun.nodes["Tuner"].status == "CACHED" and rerun.nodes["Trainer"].status == "CACHED"


def test_tuner_fn_returning_the_wrong_type_names_module_and_expectation(tmp_path):
    module = TUNER_MODULE.replace("return TunerFnResult(tuner=tuner, fit_kwargs=", "return (tuner, ")
    result = LocalRunner().run(_pipeline(tmp_path, module, with_trainer=False))
    error = result.nodes["Tuner"].error
    assert result.nodes["Tuner"].status == "FAILED"
    assert str(tmp_path / "tuning.py") in error and "returned tuple" in error
    assert "expected TunerFnResult(tuner=<a keras_tuner tuner>" in error



def _trials(tmp_path: Path, module: str) -> list[dict]:
    result = LocalRunner().run(_pipeline(tmp_path, module, with_trainer=False))
    assert result.status == "COMPLETE", result.nodes["Tuner"].error
    rows = json.loads(Path(result.output("Tuner", "tuner_results").path(TUNER_RESULTS_FILE)).read_text())
    return sorted(({k: v for k, v in row.items() if k not in ("seconds", "trial_id")} for row in rows),
                  key=lambda row: (row["units"], row["learning_rate"]))


def test_an_unseeded_tuner_fn_tries_the_same_trials_again(tmp_path):
    """TFX's penguin tuner names no seed; Starling's random_seed (0 by default) makes it repeat.

    The scores need not repeat bit for bit: tf.data reads the shards with parallel threads.
    """
    unseeded = TUNER_MODULE.replace("max_trials=10, seed=3,", "max_trials=10,")
    first, second = _trials(tmp_path / "a", unseeded), _trials(tmp_path / "b", unseeded)
    for row in first + second:
        row.pop("score")
    assert first == second and len(first) == 2
