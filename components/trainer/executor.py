"""Trainer: runs a user's TFX-style `run_fn(fn_args)` on the (transformed) examples."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from components.artifact_io import examples_file_pattern, schema_path, split_names
from components.trainer.fn_args import FnArgs
from components.trainer.training_setup import prepare_training
from components.trainer.warm_start import collect_reports
from components.user_code import load_function
from pipelines import Input, Output, Parameter, UserModule, component
from pipelines.artifacts import (
    SERVING_MODEL_DIR,
    Examples,
    HyperParameters,
    Model,
    ModelRun,
    Schema,
    TransformGraph,
)
from pipelines.dsl.arguments import node_factory
from pipelines.dsl.module_reference import bind_to_project
from pipelines.dsl.node import Channel, Node
from pipelines.runner.progress import PROGRESS_LOGGER

_PROGRESS = logging.getLogger(PROGRESS_LOGGER)  # shown on the console, kept in the run's log
HYPERPARAMETERS_FILE = "hyperparameters.json"
BEST_HYPERPARAMETERS_FILE = "best_hyperparameters.txt"  # what TFX's (and Starling's) Tuner writes


def _split(examples: Examples, preferred: tuple[str, ...]) -> str:
    available = split_names(examples)
    for name in preferred:
        if name in available:
            return name
    raise ValueError(f"Trainer: examples {examples.id} have none of the splits {preferred} "
                     f"(splits: {', '.join(available)})")


@component(name="Trainer")
def trainer(examples: Input[Examples], schema: Input[Schema], model: Output[Model],
            model_run: Output[ModelRun], transform_graph: Input[TransformGraph] | None = None,
            base_model: Input[Model] | None = None,
            hyperparameters_artifact: Input[HyperParameters] | None = None,
            module_file: Parameter[UserModule | None] = None, run_fn: Parameter[UserModule | None] = None,
            train_steps: Parameter[int] = 1000, eval_steps: Parameter[int] = 100,
            hyperparameters: Parameter[dict | None] = None,
            custom_config: Parameter[dict | None] = None,
            random_seed: Parameter[int | None] = 0) -> None:
    """Calls the user's run_fn with TFX's FnArgs; it saves the model to `serving_model_dir`.

    Python's `random`, NumPy and TensorFlow are seeded with `random_seed` first (None: unseeded).

    Raises:
        ValueError: run_fn is missing, or saved nothing to serving_model_dir.
    """
    user_fn = load_function(module_file, run_fn, "run_fn", "Trainer")
    params = dict(hyperparameters or {})
    if hyperparameters_artifact is not None:
        path = hyperparameters_artifact.path(HYPERPARAMETERS_FILE)
        if not os.path.isfile(path):  # a Tuner's (TFX's) file: a KerasTuner HyperParameters config
            path = hyperparameters_artifact.path(BEST_HYPERPARAMETERS_FILE)
        with open(path) as source:
            params.update(json.load(source))
    serving_dir = model.path(SERVING_MODEL_DIR)
    args = FnArgs(
        train_files=[examples_file_pattern(examples, _split(examples, ("train",)))],
        eval_files=[examples_file_pattern(examples, _split(examples, ("eval", "test", "validation")))],
        transform_output=transform_graph.uri if transform_graph is not None else None,
        schema_path=schema_path(schema), serving_model_dir=serving_dir, model_run_dir=model_run.uri,
        train_steps=train_steps, eval_steps=eval_steps,
        base_model=base_model.path(SERVING_MODEL_DIR) if base_model is not None else None,
        hyperparameters=params, custom_config=dict(custom_config or {}))
    reports = collect_reports()
    prepare_training(random_seed)
    user_fn(args)
    for report in reports[-1:]:  # the warm start of the model run_fn saved (its last)
        model.properties["warm_start"] = report.describe()
        model.properties.update(note=report.describe(), noted_by="Trainer")  # on the Trainer's line
        remaps = [remap.describe() for remap in report.remapped if remap.vocabulary is not None]
        if remaps:
            model.properties["warm_start_by_token"] = "; ".join(remaps)
            _PROGRESS.info("Trainer: warm start by token: %s", model.properties["warm_start_by_token"])
    if not os.path.isdir(serving_dir) or not os.listdir(serving_dir):
        raise ValueError(f"Trainer: run_fn saved no model to fn_args.serving_model_dir ({serving_dir})")
    if base_model is not None:
        model.properties["base_model_id"] = base_model.id


@node_factory(trainer)
def Trainer(examples: Channel, schema: Channel, transform_graph: Channel | None = None,
            module_file: str | None = None, run_fn: str | None = None, base_model: Channel | None = None,
            train_steps: int = 1000, eval_steps: int = 100, hyperparameters: Any = None,
            custom_config: dict | None = None, random_seed: int | None = 0) -> Node:
    """A Trainer node; `hyperparameters` may be a dict or a HyperParameters channel.

    `random_seed` seeds Python, NumPy and TensorFlow before `run_fn` (None: unseeded), so the same
    inputs train the same model.

    Example:
        >>> Trainer(examples=transform.outputs["transformed_examples"],       # doctest: +SKIP
        ...         transform_graph=transform.outputs["transform_graph"], schema=schema,
        ...         module_file="models/model.py", train_steps=200)
    """
    is_channel = isinstance(hyperparameters, Channel)
    return trainer(examples=examples, schema=schema, transform_graph=transform_graph,
                   base_model=base_model, module_file=module_file, run_fn=bind_to_project(run_fn),
                   train_steps=train_steps, eval_steps=eval_steps,
                   hyperparameters=None if is_channel else hyperparameters,
                   hyperparameters_artifact=hyperparameters if is_channel else None,
                   custom_config=custom_config, random_seed=random_seed)
