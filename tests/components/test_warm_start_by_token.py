"""Warm start across vocabulary growth: a new country keeps training warm, rows move by token."""

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

from components import CsvExampleGen, ImportSchemaGen, Trainer, Transform
from components.trainer.warm_start import read_vocabularies, saved_layer_weights
from pipelines import ConsoleProgress, LocalRunner, Pipeline, latest_model

pytestmark = pytest.mark.e2e

MODULE = str(Path(__file__).parent / "modules" / "vocab_growth.py")
SCHEMA = ('feature { name: "id" type: INT }\nfeature { name: "country" type: BYTES }\n'
          'feature { name: "clicked" type: INT }\n')


def _day(path, countries):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{i},{countries[i % len(countries)]},{i % 2}" for i in range(120)]
    path.write_text("id,country,clicked\n" + "\n".join(rows) + "\n")


def _run(tmp_path, span, expect="COMPLETE", **hyperparameters):
    gen = CsvExampleGen(input_base=str(tmp_path / "data"), pattern="day-{SPAN}/*.csv", span=span)
    schema = ImportSchemaGen(schema_file=str(tmp_path / "schema.pbtxt"))
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=MODULE)
    base = latest_model(pinned_to=gen.outputs["examples"])
    trainer = Trainer(examples=transform.outputs["transformed_examples"], schema=schema.outputs["schema"],
                      transform_graph=transform.outputs["transform_graph"], module_file=MODULE,
                      base_model=base.outputs["model"], train_steps=3, eval_steps=1,
                      hyperparameters=hyperparameters)
    nodes = [gen, schema, transform, base, trainer]
    console = io.StringIO()
    pipeline = Pipeline("vocab", str(tmp_path / "root"), nodes)
    result = LocalRunner(listener=ConsoleProgress(console)).run(pipeline)
    assert result.status == expect, {k: v.error for k, v in result.nodes.items()}
    result.console = console.getvalue()
    return result


def test_a_new_country_warm_starts_by_token(tmp_path):
    (tmp_path / "schema.pbtxt").write_text(SCHEMA)
    _day(tmp_path / "data" / "day-1" / "a.csv", ["US", "US", "DE", "FR"])
    _day(tmp_path / "data" / "day-2" / "a.csv", ["BR", "BR", "BR", "US", "DE", "FR"])  # BR is new, and first
    first = _run(tmp_path, 1).output("Trainer", "model")
    second_result = _run(tmp_path, 2)
    second = second_result.output("Trainer", "model")
    assert second.properties["warm_start_by_token"] == \
        "country_id_embedding by country: 3 shared, 1 new, 0 dropped tokens"
    assert second.properties["warm_start"] == "warm start: 2/2 layers"
    assert re.search(r"✓ Trainer +COMPLETE .*warm start: 2/2 layers", second_result.console)

    extra = os.path.join(first.path("Format-Serving"), "assets.extra")
    trained = saved_layer_weights(os.path.join(extra, "keras_weights.h5"))["country_id_embedding"][0]
    old = read_vocabularies(os.path.join(extra, "vocabularies"))["country"]
    new = read_vocabularies(os.path.join(second.path("Format-Serving"), "assets.extra",
                                         "vocabularies"))["country"]
    assert old.index(b"US") != new.index(b"US")  # the vocabulary reordered: index-wise loading would be wrong
    initial = np.load(os.path.join(second_result.output("Trainer", "model_run").uri, "initial_embedding.npy"))
    for token in (b"US", b"DE", b"FR"):
        np.testing.assert_array_equal(initial[new.index(token)], trained[old.index(token)])
    np.testing.assert_array_equal(initial[len(new)], trained[len(old)])  # the OOV bucket
    assert not any(np.array_equal(initial[new.index(b"BR")], row) for row in trained)  # fresh row


def test_a_layer_renamed_between_days_is_reported_on_the_trainer_line_or_refused(tmp_path):
    (tmp_path / "schema.pbtxt").write_text(SCHEMA)
    _day(tmp_path / "data" / "day-1" / "a.csv", ["US", "DE"])
    _run(tmp_path, 1)
    _day(tmp_path / "data" / "day-2" / "a.csv", ["US", "DE"])
    second = _run(tmp_path, 2, output_layer="click")  # the output layer got another name
    report = second.output("Trainer", "model").properties["warm_start"]
    assert report == "warm start: 1/2 layers; 1 layer started fresh: click; base layers matching nothing: out"
    assert re.search(r"✓ Trainer +COMPLETE .*1 layer started fresh: click", second.console)

    _day(tmp_path / "data" / "day-3" / "a.csv", ["US", "DE"])
    refused = _run(tmp_path, 3, expect="FAILED", output_layer="renamed", strict=True)
    error = refused.nodes["Trainer"].error
    assert "1 layer started fresh: renamed; base layers matching nothing: click" in error
