"""Names that reach MLMD filter queries are quoted: a quote in a name neither breaks nor injects."""

import pytest

from pipelines.artifacts import Artifact, Examples, Model
from pipelines.cli.main import main
from pipelines.errors import MetadataError
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.resolvers import latest_model
from pipelines.ui.artifacts import list_artifacts
from pipelines.ui.queries import list_runs

INJECTION = "Nope' OR type = 'Examples"  # unquoted, this would match every Examples artifact


class OddlyNamed(Artifact):
    TYPE_NAME = "Team's Model"


def _store_with_two_artifacts(tmp_path) -> MetadataStore:
    """metadata.sqlite under tmp_path with one LIVE 'Team's Model' and one LIVE Examples."""
    store = MetadataStore(sqlite_config(tmp_path / "metadata.sqlite"))
    context = store.pipeline_context("p")
    properties = {"node_id": "it's_writer", "pipeline_name": "p"}
    execution_id = store.start_execution("writer", properties, {}, [context])
    odd, examples = OddlyNamed(uri="/odd"), Examples(uri="/examples")
    odd.state = examples.state = "LIVE"
    store.finish_execution(execution_id, "writer", "COMPLETE", properties, {"odd": odd, "examples": examples},
                           [context])
    return store


def test_latest_artifact_finds_a_type_whose_name_holds_a_quote(tmp_path):
    store = _store_with_two_artifacts(tmp_path)
    assert store.latest_artifact("Team's Model").uri == "/odd"


def test_latest_artifact_does_not_run_a_quote_as_query_text(tmp_path):
    store = _store_with_two_artifacts(tmp_path)
    with pytest.raises(MetadataError, match="no Nope' OR type = 'Examples artifact"):
        store.latest_artifact(INJECTION)


def test_latest_executions_of_a_node_whose_id_holds_a_quote(tmp_path):
    store = _store_with_two_artifacts(tmp_path)
    [execution] = store.latest_executions("p", "it's_writer")
    assert execution.component == "writer"
    assert store.latest_executions("p", "x' OR custom_properties.node_id.string_value != 'x") == []


def test_artifacts_command_lists_nothing_for_an_injected_type(tmp_path, capsys):
    _store_with_two_artifacts(tmp_path)
    assert main(["artifacts", "--root", str(tmp_path), "--type", INJECTION]) == 2  # no such type
    shown = capsys.readouterr()
    assert "/examples" not in shown.out and "unknown artifact type" in shown.err
    assert main(["artifacts", "--root", str(tmp_path), "--type", "Team's Model"]) == 0
    assert "/odd" in capsys.readouterr().out


def test_ui_runs_of_a_pipeline_whose_name_holds_a_quote(tmp_path):
    """Stores written by other tools may hold any pipeline name; the UI's filter still works."""
    store = MetadataStore(sqlite_config(tmp_path / "metadata.sqlite"))
    for pipeline, run in [("team's", "run-a"), ("other", "run-b")]:
        store.pipeline_context(pipeline)
        store.create_run_context(run, {"pipeline_name": pipeline, "status": "COMPLETE"})
    page = list_runs(store, pipeline="team's")
    assert [run.name for run in page.runs] == ["run-a"]
    assert [run.name for run in store.list_runs("team's")] == ["run-a"]
    assert store.list_runs("x' OR custom_properties.pipeline_name.string_value != 'x") == []


def test_latest_model_resolver_quotes_its_producer(tmp_path):
    store = MetadataStore(sqlite_config(tmp_path / "metadata.sqlite"))
    context = store.pipeline_context("p")
    execution_id = store.start_execution("Trainer", {}, {}, [context])
    model = Model(uri=str(tmp_path), producer_node="it's_trainer")
    model.state = "LIVE"
    store.finish_execution(execution_id, "Trainer", "COMPLETE", {}, {"model": model}, [context])

    def resolved(producer):
        node = latest_model(producer=producer)
        return node.component.resolve(store, "p", {}, node)

    assert resolved("it's_trainer").id == model.id
    assert resolved("x' OR custom_properties.producer_node.string_value = 'it's_trainer") is None


def test_ui_artifacts_of_a_type_whose_name_holds_a_quote(tmp_path):
    store = _store_with_two_artifacts(tmp_path)
    page, _ = list_artifacts(store, type_name="Team's Model")
    assert [artifact.uri for artifact in page] == ["/odd"]
