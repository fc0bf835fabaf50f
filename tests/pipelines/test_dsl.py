import pytest

from pipelines import Input, Output, Parameter, Pipeline, PipelineDefinitionError, component
from pipelines.artifacts import Examples, Model
from tests.pipelines.conftest import combine, scale, source


def test_signature_declares_ports():
    sig = scale.signature
    assert list(sig.inputs) == ["examples"]
    assert sig.inputs["examples"].artifact_type is Examples
    assert list(sig.outputs) == ["scaled"]
    assert sig.parameters["factor"].default == 2.0


def test_wrong_artifact_type_names_node_port_and_types():
    src = source()
    model_node = combine(left=scale(examples=src.outputs["examples"]).outputs["scaled"],
                         right=src.outputs["examples"])
    with pytest.raises(PipelineDefinitionError) as error:
        scale(examples=model_node.outputs["model"])
    message = str(error.value)
    assert "node 'scale'" in message and "input 'examples'" in message
    assert "expected Examples, got Model" in message and "node 'combine'" in message


def test_missing_required_input():
    with pytest.raises(PipelineDefinitionError, match=r"node 'combine': missing required input 'right' "
                                                      r"\(expected a channel of Examples\)"):
        combine(left=source().outputs["examples"])


def test_misspelled_argument_suggests_the_known_name():
    with pytest.raises(PipelineDefinitionError,
                       match=r"^scale has no argument 'facter'; did you mean 'factor'\?$"):
        scale(examples=source().outputs["examples"], facter=3)


def test_unknown_argument_lists_known_names():
    with pytest.raises(PipelineDefinitionError,
                       match=r"^scale has no argument 'speed'; its arguments: enable_cache, "
                             r"examples, factor$"):
        scale(examples=source().outputs["examples"], speed=3)


def test_wrong_parameter_type():
    with pytest.raises(PipelineDefinitionError,
                       match=r"node 'source': parameter 'count' expected int, got str 'three'"):
        source(count="three")


def test_non_channel_input_is_rejected():
    with pytest.raises(PipelineDefinitionError, match="input 'examples' expected a channel of Examples"):
        scale(examples="/data/examples")


def test_positional_arguments_are_rejected():
    with pytest.raises(PipelineDefinitionError, match="pass inputs and parameters by name"):
        scale(source().outputs["examples"])


def test_unknown_output_name():
    with pytest.raises(PipelineDefinitionError, match="has no output 'model' \\(outputs: examples\\)"):
        source().outputs["model"]


def test_duplicate_explicit_ids(tmp_path):
    a, b = source().with_id("gen"), source().with_id("gen")
    with pytest.raises(PipelineDefinitionError, match="duplicate node id 'gen'"):
        Pipeline("p", tmp_path, [a, b])


def test_repeated_default_ids_are_numbered(tmp_path):
    a, b, c = source(), source(), source()
    pipeline = Pipeline("p", tmp_path, [a, b, c])
    assert [a.id, b.id, c.id] == ["source", "source_2", "source_3"]
    assert pipeline.node_ids == ["source", "source_2", "source_3"]


def test_cycle_is_reported_with_its_path(tmp_path):
    src = source()
    first = scale(examples=src.outputs["examples"]).with_id("first")
    second = scale(examples=first.outputs["scaled"]).with_id("second")
    first.after(second)
    expected = "cycle in pipeline: nodes 'first' -> 'second' -> 'first'"
    with pytest.raises(PipelineDefinitionError, match=expected):
        Pipeline("p", tmp_path, [src, first, second])


def test_consumed_node_must_be_listed(tmp_path):
    src = source()
    with pytest.raises(PipelineDefinitionError, match="node 'source', is not in the pipeline's nodes"):
        Pipeline("p", tmp_path, [scale(examples=src.outputs["examples"])])


def test_uncalled_component_is_explained(tmp_path):
    with pytest.raises(PipelineDefinitionError, match="did you forget to call the component"):
        Pipeline("p", tmp_path, [source])


def test_topological_order_follows_dependencies(tmp_path):
    src = source()
    joined = combine(left=src.outputs["examples"], right=src.outputs["examples"])
    pipeline = Pipeline("p", tmp_path, [joined, src])
    assert pipeline.node_ids == ["source", "combine"]


def test_bad_pipeline_name(tmp_path):
    with pytest.raises(PipelineDefinitionError, match="pipeline name 'a b'"):
        Pipeline("a b", tmp_path, [source()])


def test_unannotated_argument_is_a_definition_error():
    with pytest.raises(PipelineDefinitionError, match="argument 'x' needs an Input"):
        @component
        def broken(x):
            return x


def test_output_must_be_an_artifact_type():
    with pytest.raises(PipelineDefinitionError, match="output 'out' must be an Artifact type"):
        @component
        def broken(out: Output[int]):
            return out


def test_optional_input_and_parameter(tmp_path):
    @component
    def maybe(examples: Input[Examples], model: Output[Model], base: Input[Model] | None = None,
              note: Parameter[str | None] = None):
        pass

    node = maybe(examples=source().outputs["examples"])
    assert node.inputs["base"] is None and node.parameters["note"] is None
