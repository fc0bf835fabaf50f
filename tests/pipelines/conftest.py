"""Tiny pure-Python components (no TensorFlow) for exercising the framework core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import Input, LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model, ModelBlessing
from pipelines.metadata import MetadataStore, sqlite_config


def write_numbers(artifact, numbers):
    Path(artifact.path("numbers.json")).write_text(json.dumps(numbers))


def read_numbers(artifact):
    return json.loads(Path(artifact.path("numbers.json")).read_text())


@component
def source(examples: Output[Examples], count: Parameter[int] = 3, span: Parameter[int] = 1):
    write_numbers(examples, list(range(count)))
    examples.span = span


@component
def scale(examples: Input[Examples], scaled: Output[Examples], factor: Parameter[float] = 2.0):
    write_numbers(scaled, [n * factor for n in read_numbers(examples)])


@component
def combine(left: Input[Examples], right: Input[Examples], model: Output[Model]):
    write_numbers(model, [sum(read_numbers(left)) + sum(read_numbers(right))])


@component
def explode(examples: Input[Examples], model: Output[Model], message: Parameter[str] = "boom"):
    Path(model.path("partial.txt")).write_text("half-written")
    raise RuntimeError(message)


@component
def bless(model: Input[Model], blessing: Output[ModelBlessing], verdict: Parameter[bool] = True):
    blessing.blessed = int(verdict)
    Path(blessing.path("BLESSED" if verdict else "NOT_BLESSED")).touch()


def fan_pipeline(root, factor_left=2.0, factor_right=3.0, count=3):
    """source -> (scale_left, scale_right) -> combine: a fan-out then a fan-in."""
    src = source(count=count)
    left = scale(examples=src.outputs["examples"], factor=factor_left).with_id("scale_left")
    right = scale(examples=src.outputs["examples"], factor=factor_right).with_id("scale_right")
    joined = combine(left=left.outputs["scaled"], right=right.outputs["scaled"])
    return Pipeline("fan", str(root), [src, left, right, joined])


def statuses(result):
    return {node_id: node.status for node_id, node in result.nodes.items()}


@pytest.fixture
def run():
    def _run(pipeline, **kwargs):
        return LocalRunner(**kwargs).run(pipeline)
    return _run


@pytest.fixture
def store_of():
    def _store(root):
        return MetadataStore(sqlite_config(str(Path(root) / "metadata.sqlite")))
    return _store
