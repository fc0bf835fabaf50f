"""Tuner: runs a user's TFX-style `tuner_fn(fn_args)` with KerasTuner; outputs the best hyperparameters.

    tuner = Tuner(examples=transform.outputs["transformed_examples"], schema=schema,
                  transform_graph=transform.outputs["transform_graph"],
                  module_file="models/model.py", train_steps=20, eval_steps=5, max_trials=4)
    trainer = Trainer(..., hyperparameters=tuner.outputs["best_hyperparameters"])

`run_fn` then reads `keras_tuner.HyperParameters.from_config(fn_args.hyperparameters)`.
"""

from __future__ import annotations

import inspect
import os
from typing import Any, NamedTuple

from components.artifact_io import examples_file_pattern, schema_path
from components.trainer.executor import _split as pick_split
from components.trainer.fn_args import FnArgs
from components.trainer.training_setup import prepare_training
from components.tuner.trials import TrialProgress, write_best_hyperparameters, write_tuner_results
from components.user_code import load_function
from pipelines import Input, Output, Parameter, UserModule, component, current_execution
from pipelines.artifacts import Examples, HyperParameters, Schema, TransformGraph, TunerResults
from pipelines.dsl.arguments import node_factory
from pipelines.dsl.module_reference import bind_to_project
from pipelines.dsl.node import Channel, Node
from pipelines.environment.keras_tuner_binding import import_keras_tuner


class TunerFnResult(NamedTuple):
    """What `tuner_fn` returns (TFX's contract): a KerasTuner tuner and the `search()` arguments.

    Attributes:
        tuner: A `keras_tuner` tuner (any `BaseTuner`).
        fit_kwargs: Keyword arguments of `tuner.search(...)`, e.g. x, validation_data, steps.
    """

    tuner: Any
    fit_kwargs: dict[str, Any]


def _checked_result(result: Any, user_fn: Any) -> TunerFnResult:
    """The tuner_fn's result as a TunerFnResult (TFX's own class is accepted too).

    Raises:
        TypeError: anything else; names the module and what was expected.
    """
    keras_tuner = import_keras_tuner()
    tuner, fit_kwargs = getattr(result, "tuner", None), getattr(result, "fit_kwargs", None)
    if isinstance(tuner, keras_tuner.engine.base_tuner.BaseTuner) and isinstance(fit_kwargs, dict):
        return TunerFnResult(tuner, fit_kwargs)
    where = inspect.getsourcefile(user_fn) or getattr(user_fn, "__module__", "?")
    raise TypeError(
        f"Tuner: {user_fn.__name__} in {where} returned {type(result).__name__} "
        f"({str(result)[:120]}); expected TunerFnResult(tuner=<a keras_tuner tuner>, "
        "fit_kwargs=<dict of tuner.search arguments>)")


def _fn_args(examples: Examples, schema: Schema, transform_graph: TransformGraph | None,
             working_dir: str, train_steps: int, eval_steps: int,
             custom_config: dict | None) -> FnArgs:
    return FnArgs(
        train_files=[examples_file_pattern(examples, pick_split(examples, ("train",)))],
        eval_files=[examples_file_pattern(examples, pick_split(examples, ("eval", "test", "validation")))],
        transform_output=transform_graph.uri if transform_graph is not None else None,
        schema_path=schema_path(schema), serving_model_dir="", model_run_dir=working_dir,
        train_steps=train_steps, eval_steps=eval_steps, base_model=None, hyperparameters={},
        custom_config=dict(custom_config or {}))


@component(name="Tuner")
def tuner(examples: Input[Examples], schema: Input[Schema], best_hyperparameters: Output[HyperParameters],
          tuner_results: Output[TunerResults], transform_graph: Input[TransformGraph] | None = None,
          module_file: Parameter[UserModule | None] = None, tuner_fn: Parameter[UserModule | None] = None,
          train_steps: Parameter[int] = 100, eval_steps: Parameter[int] = 50,
          max_trials: Parameter[int | None] = None,
          custom_config: Parameter[dict | None] = None, random_seed: Parameter[int | None] = 0) -> None:
    """Calls the user's tuner_fn with TFX's FnArgs, searches, and writes TFX's output files.

    Raises:
        TypeError: tuner_fn returned something other than a TunerFnResult.
        ValueError: no trial completed.
    """
    import_keras_tuner()  # before the user module imports keras_tuner: bind it to tf_keras
    user_fn = load_function(module_file, tuner_fn, "tuner_fn", "Tuner")
    context = current_execution()
    working_dir = os.path.join(context.temp_dir, "tuning")
    args = _fn_args(examples, schema, transform_graph, working_dir, train_steps, eval_steps, custom_config)
    prepare_training(random_seed)  # before tuner_fn: KerasTuner draws its oracle's seed from `random`
    found = _checked_result(user_fn(args), user_fn)
    if max_trials is not None:
        found.tuner.oracle.max_trials = max_trials
    progress = TrialProgress(context.node_id, found.tuner)
    progress.attach()
    found.tuner.search(**found.fit_kwargs)
    write_best_hyperparameters(found.tuner, best_hyperparameters.uri)
    rows = write_tuner_results(found.tuner, tuner_results.uri, progress.seconds)
    tuner_results.properties["trials"] = len(rows)
    if rows:
        tuner_results.properties["best_score"] = float(rows[0]["score"])


@node_factory(tuner)
def Tuner(examples: Channel, schema: Channel, transform_graph: Channel | None = None,
          module_file: str | None = None, tuner_fn: str | None = None, train_steps: int = 100,
          eval_steps: int = 50, max_trials: int | None = None, custom_config: dict | None = None,
          random_seed: int | None = 0) -> Node:
    """A Tuner node (TFX's Tuner: `tuner_fn(fn_args) -> TunerFnResult`).

    `max_trials`, when given, overrides the trial budget the tuner_fn's tuner was built with.
    `random_seed` seeds Python, NumPy and TensorFlow before `tuner_fn` (None: unseeded), so the
    same inputs try the same trials.

    Example:
        >>> tuner = Tuner(examples=transform.outputs["transformed_examples"],   # doctest: +SKIP
        ...               transform_graph=transform.outputs["transform_graph"], schema=schema,
        ...               tuner_fn="models.model.tuner_fn", train_steps=20, max_trials=4)
    """
    return tuner(examples=examples, schema=schema, transform_graph=transform_graph,
                 module_file=module_file, tuner_fn=bind_to_project(tuner_fn), train_steps=train_steps,
                 eval_steps=eval_steps, max_trials=max_trials, custom_config=custom_config,
                 random_seed=random_seed)
