import pytest

from components import ImportSchemaGen
from pipelines import LocalRunner, Pipeline, PipelineDefinitionError


def test_import_schema_rejects_a_broken_file_naming_it(tmp_path):
    broken = tmp_path / "broken.pbtxt"
    broken.write_text("feature { name: 'x' type: NOT_A_TYPE }\n")
    pipeline = Pipeline("s", str(tmp_path / "root"), [ImportSchemaGen(schema_file=str(broken))])
    result = LocalRunner().run(pipeline)
    node = result.nodes["ImportSchemaGen"]
    assert node.status == "FAILED" and "broken.pbtxt: not a valid Schema" in node.error


def test_missing_schema_file_is_named_when_the_node_is_built(tmp_path):
    with pytest.raises(PipelineDefinitionError,
                       match=f"^node 'ImportSchemaGen': schema file not found: {tmp_path}/nope.pbtxt$"):
        ImportSchemaGen(schema_file=str(tmp_path / "nope.pbtxt"))
