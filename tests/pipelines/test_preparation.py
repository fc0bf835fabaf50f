"""`component(prepare=...)`: a node is prepared once it is ready with new inputs, and released at the end."""

import contextlib
import logging
import os
from pathlib import Path

import pytest

from pipelines import Input, LocalRunner, Output, Pipeline, component
from pipelines.artifacts import Examples, Model
from pipelines.runner.progress import RunListener
from tests.pipelines.conftest import read_numbers, source, statuses, write_numbers

EVENTS_FILE = "PREPARATION_TEST_EVENTS"  # a file both the hooks and the nodes append to


def note(event: str) -> None:
    with open(os.environ["PREPARATION_TEST_EVENTS"], "a") as events:
        events.write(event + "\n")


def events() -> list[str]:
    path = Path(os.environ[EVENTS_FILE])
    return path.read_text().splitlines() if path.exists() else []


@contextlib.contextmanager
def note_preparation():
    note("prepared")
    try:
        yield
    finally:
        note("released")


@contextlib.contextmanager
def broken_preparation():
    raise OSError("no room for a helper process")
    yield  # pragma: no cover


@component
def middle(examples: Input[Examples], scaled: Output[Examples]):
    note("middle ran")
    write_numbers(scaled, [2 * n for n in read_numbers(examples)])


@component
def failing_middle(examples: Input[Examples], scaled: Output[Examples]):
    raise RuntimeError("upstream breaks")


@component(prepare=note_preparation)
def prepared_sum(examples: Input[Examples], scaled: Input[Examples], model: Output[Model]):
    note("prepared_sum ran")
    write_numbers(model, [sum(read_numbers(examples)) + sum(read_numbers(scaled))])


@component(prepare=broken_preparation)
def badly_prepared(examples: Input[Examples], model: Output[Model]):
    write_numbers(model, read_numbers(examples))


def chain(root, count=3):
    """source -> middle -> prepared_sum, which also reads source: ready once both are done."""
    src = source(count=count)
    mid = middle(examples=src.outputs["examples"])
    total = prepared_sum(examples=src.outputs["examples"], scaled=mid.outputs["scaled"])
    return Pipeline("prepared", str(root), [src, mid, total])


@pytest.fixture(autouse=True)
def events_file(tmp_path, monkeypatch):
    monkeypatch.setenv(EVENTS_FILE, str(tmp_path / "events.txt"))


class NoteRunEnd(RunListener):
    def run_finished(self, result):
        note("run finished")


@pytest.mark.parametrize("parallel", [1, 2])
def test_a_node_is_prepared_when_its_inputs_are_ready_and_released_at_the_end(tmp_path, parallel):
    result = LocalRunner(max_parallel_nodes=parallel, listener=NoteRunEnd()).run(chain(tmp_path))
    assert result.status == "COMPLETE"
    # not when source finished (prepared_sum still waited for middle): after middle, before itself
    assert events() == ["middle ran", "prepared", "prepared_sum ran", "released", "run finished"]
    assert read_numbers(result.output("prepared_sum", "model")) == [9]


def test_a_cached_run_prepares_nothing_and_a_changed_input_prepares_again(tmp_path):
    LocalRunner().run(chain(tmp_path))
    os.remove(os.environ[EVENTS_FILE])
    cached = LocalRunner().run(chain(tmp_path))
    assert set(statuses(cached).values()) == {"CACHED"}, statuses(cached)
    assert events() == []
    changed = LocalRunner().run(chain(tmp_path, count=4))
    assert statuses(changed)["prepared_sum"] == "COMPLETE"
    assert events() == ["middle ran", "prepared", "prepared_sum ran", "released"]


def test_a_node_whose_upstream_failed_is_not_prepared(tmp_path):
    src = source()
    broken = failing_middle(examples=src.outputs["examples"])
    total = prepared_sum(examples=src.outputs["examples"], scaled=broken.outputs["scaled"])
    result = LocalRunner().run(Pipeline("failing", str(tmp_path), [src, broken, total]))
    assert statuses(result)["prepared_sum"] == "SKIPPED" and events() == []


def test_a_failing_preparation_is_logged_and_the_node_still_runs(tmp_path, caplog):
    src = source()
    node = badly_prepared(examples=src.outputs["examples"])
    with caplog.at_level(logging.WARNING, logger="pipelines.runner.preparation"):
        result = LocalRunner().run(Pipeline("bad-preparation", str(tmp_path), [src, node]))
    assert result.status == "COMPLETE"
    assert read_numbers(result.output("badly_prepared", "model")) == [0, 1, 2]
    assert "preparing node 'badly_prepared' failed" in caplog.text
    assert "no room for a helper process" in caplog.text


def test_an_interrupted_run_releases_what_it_prepared(tmp_path):
    @component
    def interrupt(examples: Input[Examples], model: Output[Model]):
        raise KeyboardInterrupt

    src = source()
    mid = middle(examples=src.outputs["examples"])
    total = prepared_sum(examples=src.outputs["examples"], scaled=mid.outputs["scaled"])
    stop = interrupt(examples=src.outputs["examples"]).after(total)
    with pytest.raises(KeyboardInterrupt):
        LocalRunner().run(Pipeline("interrupted", str(tmp_path), [src, mid, total, stop]))
    assert events() == ["middle ran", "prepared", "prepared_sum ran", "released"]
