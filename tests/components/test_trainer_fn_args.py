"""Trainer hands run_fn TFX's FnArgs; hyperparameters come from a dict and/or an artifact."""

import json
from pathlib import Path

from components import Trainer
from pipelines import LocalRunner, Output, Pipeline, component
from pipelines.artifacts import Examples, HyperParameters, Schema

RUN_FN = '''
import json, os

def run_fn(fn_args):
    os.makedirs(fn_args.serving_model_dir)
    record = {name: getattr(fn_args, name) for name in (
        "train_files", "eval_files", "transform_output", "transform_graph_path", "schema_path", "schema_file",
        "serving_model_dir", "model_run_dir", "train_steps", "eval_steps", "base_model", "hyperparameters",
        "custom_config")}
    record["factories"] = [callable(fn_args.data_accessor.tf_dataset_factory),
                           callable(fn_args.data_accessor.record_batch_factory)]
    with open(os.path.join(fn_args.serving_model_dir, "fn_args.json"), "w") as target:
        json.dump(record, target)
'''


@component
def fixtures(examples: Output[Examples], schema: Output[Schema], hyperparameters: Output[HyperParameters]):
    for split in ("train", "eval"):
        Path(examples.split_uri(split)).mkdir()
    examples.split_names = ["train", "eval"]
    Path(schema.path("schema.pbtxt")).write_text("")
    values = {"learning_rate": 0.1, "layers": 3}
    Path(hyperparameters.path("hyperparameters.json")).write_text(json.dumps(values))


def test_fn_args_carry_tfx_fields_and_merged_hyperparameters(tmp_path):
    module = tmp_path / "model.py"
    module.write_text(RUN_FN)
    made = fixtures()
    trainer = Trainer(examples=made.outputs["examples"], schema=made.outputs["schema"],
                      module_file=str(module), hyperparameters=made.outputs["hyperparameters"],
                      train_steps=7, eval_steps=3,
                      custom_config={"team": "ads"})
    result = LocalRunner().run(Pipeline("fn_args", str(tmp_path / "root"), [made, trainer]))
    assert result.status == "COMPLETE", result.nodes["Trainer"].error
    model = result.output("Trainer", "model")
    record = json.loads(Path(model.path("Format-Serving", "fn_args.json")).read_text())
    examples = result.output("fixtures", "examples")
    assert record["train_files"] == [examples.split_uri("train") + "/*.gz"]
    assert record["eval_files"] == [examples.split_uri("eval") + "/*.gz"]
    schema_path = result.output("fixtures", "schema").path("schema.pbtxt")
    assert record["schema_path"] == record["schema_file"] == schema_path
    assert record["transform_output"] is None and record["base_model"] is None
    assert record["hyperparameters"] == {"learning_rate": 0.1, "layers": 3}
    assert (record["train_steps"], record["eval_steps"], record["custom_config"]) == (7, 3, {"team": "ads"})
    # while run_fn runs, outputs are private staging directories beside their final place
    final_run_dir = Path(result.output("Trainer", "model_run").uri)
    assert Path(record["model_run_dir"]) == final_run_dir.parent / f".staging-{final_run_dir.name}"
    assert record["factories"] == [True, True]


def test_run_fn_that_saves_nothing_fails(tmp_path):
    module = tmp_path / "model.py"
    module.write_text("def run_fn(fn_args):\n    pass\n")
    made = fixtures()
    trainer = Trainer(examples=made.outputs["examples"], schema=made.outputs["schema"],
                      module_file=str(module))
    result = LocalRunner().run(Pipeline("fn_args", str(tmp_path / "root"), [made, trainer]))
    assert "run_fn saved no model to fn_args.serving_model_dir" in result.nodes["Trainer"].error
