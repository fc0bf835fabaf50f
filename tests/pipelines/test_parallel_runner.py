"""LocalRunner(max_parallel_nodes=N): independent nodes overlap; a failure skips only its dependents."""

import threading

from pipelines import Input, LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model
from tests.pipelines.conftest import read_numbers, source, statuses, write_numbers

# Both branches must be inside their node at once to pass this barrier; run one after the other,
# the first branch waits alone until the timeout and fails.
BRANCHES_MEET = threading.Barrier(2, timeout=20)


@component
def meet(examples: Input[Examples], scaled: Output[Examples], factor: Parameter[float] = 2.0):
    BRANCHES_MEET.wait()
    write_numbers(scaled, [n * factor for n in read_numbers(examples)])


@component
def fail_when(examples: Input[Examples], scaled: Output[Examples], fail: Parameter[bool] = True):
    if fail:
        raise RuntimeError("this branch breaks")
    write_numbers(scaled, read_numbers(examples))


@component
def finish(examples: Input[Examples], model: Output[Model]):
    write_numbers(model, [sum(read_numbers(examples))])


def test_independent_nodes_overlap(tmp_path):
    BRANCHES_MEET.reset()
    src = source(count=3)
    left = meet(examples=src.outputs["examples"], factor=2.0).with_id("left")
    right = meet(examples=src.outputs["examples"], factor=3.0).with_id("right")
    pipeline = Pipeline("overlap", str(tmp_path), [src, left, right])
    result = LocalRunner(max_parallel_nodes=2).run(pipeline)
    assert statuses(result) == {"source": "COMPLETE", "left": "COMPLETE", "right": "COMPLETE"}
    assert read_numbers(result.output("right", "scaled")) == [0.0, 3.0, 6.0]


def test_failure_under_concurrency_skips_only_dependents(tmp_path):
    src = source(count=3)
    broken = fail_when(examples=src.outputs["examples"]).with_id("broken")
    after_broken = finish(examples=broken.outputs["scaled"]).with_id("after_broken")
    healthy = fail_when(examples=src.outputs["examples"], fail=False).with_id("healthy")
    after_healthy = finish(examples=healthy.outputs["scaled"]).with_id("after_healthy")
    pipeline = Pipeline("partial", str(tmp_path), [src, broken, after_broken, healthy, after_healthy])
    result = LocalRunner(max_parallel_nodes=2).run(pipeline)
    assert result.status == "FAILED"
    assert statuses(result) == {"source": "COMPLETE", "broken": "FAILED", "after_broken": "SKIPPED",
                                "healthy": "COMPLETE", "after_healthy": "COMPLETE"}
    assert "this branch breaks" in result.nodes["broken"].error
    assert read_numbers(result.output("after_healthy", "model")) == [3]
