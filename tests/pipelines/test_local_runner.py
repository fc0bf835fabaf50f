import json
import os
from pathlib import Path

import pytest

from pipelines import (
    Input,
    LocalRunner,
    Output,
    Parameter,
    Pipeline,
    PipelineDefinitionError,
    UserModule,
    component,
)
from pipelines.artifacts import Examples, Model
from tests.pipelines.conftest import explode, fan_pipeline, read_numbers, source, statuses


def test_fan_out_fan_in_runs_and_writes_outputs(tmp_path, run):
    result = run(fan_pipeline(tmp_path))
    assert result.status == "COMPLETE"
    assert set(statuses(result).values()) == {"COMPLETE"}
    model = result.output("combine", "model")
    # (0+1+2)*2 + (0+1+2)*3
    assert read_numbers(model) == [15.0]
    execution_id = str(result.nodes["combine"].execution_id)
    assert model.uri == os.path.join(str(tmp_path), "combine", "model", execution_id)
    assert model.state == "LIVE" and model.id is not None


def test_second_run_is_all_cached_and_reuses_artifacts(tmp_path, run):
    first = run(fan_pipeline(tmp_path))
    second = run(fan_pipeline(tmp_path))
    assert set(statuses(second).values()) == {"CACHED"}
    assert second.output("combine", "model").id == first.output("combine", "model").id


def test_parameter_change_reruns_exactly_the_affected_nodes(tmp_path, run):
    run(fan_pipeline(tmp_path))
    result = run(fan_pipeline(tmp_path, factor_right=4.0))
    assert statuses(result) == {"source": "CACHED", "scale_left": "CACHED",
                                "scale_right": "COMPLETE", "combine": "COMPLETE"}
    assert read_numbers(result.output("combine", "model")) == [18.0]


def test_upstream_change_invalidates_everything_downstream(tmp_path, run):
    run(fan_pipeline(tmp_path))
    result = run(fan_pipeline(tmp_path, count=4))
    assert set(statuses(result).values()) == {"COMPLETE"}


def test_cache_can_be_disabled_per_run_and_per_node(tmp_path, run):
    run(fan_pipeline(tmp_path))
    no_cache = LocalRunner().run(fan_pipeline(tmp_path), enable_cache=False)
    assert set(statuses(no_cache).values()) == {"COMPLETE"}
    pipeline = fan_pipeline(tmp_path)
    pipeline.node("scale_left").with_cache(False)
    result = run(pipeline)
    assert statuses(result)["scale_left"] == "COMPLETE"
    assert statuses(result)["scale_right"] == "CACHED"


def test_deleted_output_directory_is_not_a_cache_hit(tmp_path, run):
    first = run(fan_pipeline(tmp_path))
    import shutil
    shutil.rmtree(first.output("scale_left", "scaled").uri)
    result = run(fan_pipeline(tmp_path))
    assert statuses(result)["scale_left"] == "COMPLETE"


_EXPLODE_LINE = "tests/pipelines/conftest.py:" + str(
    explode.function.__code__.co_firstlineno + 3)  # the `raise` line of `explode`


def _failing_pipeline(root, message="boom"):
    src = source()
    bad = explode(examples=src.outputs["examples"], message=message)

    @component
    def after_bad(model: Input[Model], out: Output[Model]):
        pass

    return Pipeline("failing", str(root), [src, bad, after_bad(model=bad.outputs["model"])])


def test_failing_node_leaves_nothing_live_and_skips_dependents(tmp_path, run, store_of):
    result = run(_failing_pipeline(tmp_path))
    assert result.status == "FAILED"
    assert statuses(result) == {"source": "COMPLETE", "explode": "FAILED", "after_bad": "SKIPPED"}
    failed = result.nodes["explode"]
    # one line, pointing at the user's own code that raised
    assert failed.error == f"RuntimeError: boom (at {_EXPLODE_LINE})"
    assert "raise RuntimeError" in failed.traceback
    assert "upstream node 'explode'" in result.nodes["after_bad"].error
    # no artifact directory, staging or final, survives for the failed node
    model_dir = tmp_path / "explode" / "model"
    assert not model_dir.exists() or not any(model_dir.iterdir())
    store = store_of(tmp_path)
    assert store.query_artifacts("type = 'Model'") == []
    [execution] = store.executions_by_id([failed.execution_id])
    assert execution.state == "FAILED" and execution.properties["error_message"] == failed.error
    # the record keeps what a reviewer needs: the parameters it ran with and where it broke
    assert json.loads(execution.properties["parameters"]) == {"message": "boom"}
    assert "raise RuntimeError" in execution.properties["traceback"]


def test_rerun_after_failure_resumes_from_the_cached_prefix(tmp_path, run):
    run(_failing_pipeline(tmp_path))
    result = run(_failing_pipeline(tmp_path, message="boom again"))
    assert statuses(result)["source"] == "CACHED"
    assert result.nodes["explode"].error == f"RuntimeError: boom again (at {_EXPLODE_LINE})"


def test_independent_branch_still_runs_after_a_failure(tmp_path, run):
    src = source()
    bad = explode(examples=src.outputs["examples"])
    good = source(count=5).with_id("other_source")
    result = run(Pipeline("p", str(tmp_path), [src, bad, good]))
    assert statuses(result) == {"source": "COMPLETE", "explode": "FAILED", "other_source": "COMPLETE"}


def test_concurrent_runner_matches_sequential_results(tmp_path):
    result = LocalRunner(max_parallel_nodes=2).run(fan_pipeline(tmp_path))
    assert result.status == "COMPLETE"
    assert read_numbers(result.output("combine", "model")) == [15.0]
    cached = LocalRunner(max_parallel_nodes=2).run(fan_pipeline(tmp_path))
    assert set(statuses(cached).values()) == {"CACHED"}


def test_span_is_inherited_by_outputs_that_declare_it(tmp_path, run):
    result = run(fan_pipeline(tmp_path))
    assert result.output("source", "examples").span == 1
    assert result.output("scale_left", "scaled").span == 1
    assert "span" not in result.output("combine", "model").properties


def test_user_module_file_is_part_of_the_cache_key(tmp_path, run):
    module = tmp_path / "user_code.py"
    module.write_text("FACTOR = 2\n")

    @component
    def uses_module(examples: Input[Examples], model: Output[Model],
                    module_file: Parameter[UserModule]):
        Path(model.path("source.txt")).write_text(Path(module_file).read_text())

    def build():
        src = source()
        return Pipeline("modules", str(tmp_path / "root"),
                        [src, uses_module(examples=src.outputs["examples"], module_file=str(module))])

    run(build())
    assert statuses(run(build()))["uses_module"] == "CACHED"
    module.write_text("FACTOR = 3\n")
    result = run(build())
    assert statuses(result) == {"source": "CACHED", "uses_module": "COMPLETE"}
    assert Path(result.output("uses_module", "model").path("source.txt")).read_text() == "FACTOR = 3\n"


def test_missing_user_module_is_named_when_the_node_is_built(tmp_path):
    @component
    def uses_module(model: Output[Model], module_file: Parameter[UserModule]):
        pass

    with pytest.raises(PipelineDefinitionError,
                       match=r"^node 'uses_module': module file not found: /.*/no/such/module.py$"):
        uses_module(module_file="no/such/module.py")


def test_user_module_removed_after_the_build_fails_the_node_once_named(tmp_path, capsys):
    from pipelines.runner import ConsoleProgress

    module = tmp_path / "user_code.py"
    module.write_text("FACTOR = 2\n")

    @component
    def uses_module(model: Output[Model], module_file: Parameter[UserModule]):
        pass

    pipeline = Pipeline("m", str(tmp_path), [uses_module(module_file=str(module))])
    module.unlink()
    result = LocalRunner(listener=ConsoleProgress()).run(pipeline)
    assert result.nodes["uses_module"].status == "FAILED"
    reason = result.nodes["uses_module"].error_text
    assert reason.startswith("parameter 'module_file': ") and "user_code.py" in reason
    line = next(line for line in capsys.readouterr().out.splitlines() if "uses_module" in line)
    assert "FAILED" in line and "  parameter 'module_file': " in line and "node '" not in line


def test_component_reads_execution_context(tmp_path, run):
    from pipelines import current_execution
    seen = {}

    @component
    def peek(model: Output[Model]):
        context = current_execution()
        seen.update(node=context.node_id, beam=context.beam_args, temp=os.path.isdir(context.temp_dir))

    pipeline = Pipeline("ctx", str(tmp_path), [peek()], beam_args=["--direct_num_workers=2"])
    run(pipeline)
    assert seen == {"node": "peek", "beam": ("--direct_num_workers=2",), "temp": True}


def test_run_is_recorded_with_counts(tmp_path, run, store_of):
    run(fan_pipeline(tmp_path))
    result = run(fan_pipeline(tmp_path))
    record = store_of(tmp_path).run(result.run_id)
    assert record.properties["status"] == "COMPLETE"
    assert record.properties["n_cached"] == 4 and record.properties["n_complete"] == 0
