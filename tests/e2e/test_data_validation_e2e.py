"""Statistics, schema and validation over generated ctr spans: drift, skew, schema edits, halting."""

import shutil
import sys
from pathlib import Path

import pytest

from components import CsvExampleGen, ExampleValidator, ImportSchemaGen, SchemaGen, StatisticsGen
from pipelines import Input, LocalRunner, Output, Pipeline, component
from pipelines.artifacts import ExampleAnomalies, Model
from pipelines.cli.main import main
from pipelines.reports.anomalies import AnomaliesReport

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, write_days  # noqa: E402

pytestmark = pytest.mark.e2e
ROWS = 2500


@component
def after_validation(anomalies: Input[ExampleAnomalies], model: Output[Model]):
    """Stands for Transform/Trainer: must never run on a bad span."""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("ctr")
    config = CtrDataConfig(rows_per_day=ROWS, drift_day=2)
    write_days(root / "train", [1, 2], config)
    write_days(root / "clean", [1, 2], CtrDataConfig(rows_per_day=ROWS))
    write_days(root / "serving", [1], config, serving_skew=True, with_label=False)
    return root


def _pipeline(root, input_base, span, schema_file, serving_base=None, halt=False):
    gen = CsvExampleGen(input_base=str(input_base), pattern="day-{SPAN}/*.csv", span=span)
    schema = ImportSchemaGen(schema_file=str(schema_file))
    stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
    nodes = [gen, schema, stats]
    serving_stats = None
    if serving_base is not None:
        serving = CsvExampleGen(input_base=str(serving_base), pattern="day-{SPAN}/*.csv",
                                splits={"serving": 1}).with_id("serving_gen")
        serving_stats_node = StatisticsGen(examples=serving.outputs["examples"]).with_id("serving_stats")
        serving_stats = serving_stats_node.outputs["statistics"]
        nodes += [serving, serving_stats_node]
    validator = ExampleValidator(statistics=stats.outputs["statistics"], schema=schema.outputs["schema"],
                                 serving_statistics=serving_stats, halt_on_anomalies=halt)
    downstream = after_validation(anomalies=validator.outputs["anomalies"])
    return Pipeline("ctr_data", str(root), [*nodes, validator, downstream])


def _anomalies(result):
    anomalies = result.output("ExampleValidator", "anomalies")
    return anomalies, AnomaliesReport.from_uri(anomalies.uri)


def _flagged(report, split="train"):
    from pipelines.reports.anomalies import anomaly_rows
    return {row["feature"]: row for row in anomaly_rows(report.splits[split])}


def test_clean_spans_have_no_anomalies_and_the_report_is_self_contained(tmp_path, data):
    schema_file = REPO / "schemas" / "ctr.pbtxt"
    for span in (1, 2):
        result = LocalRunner().run(_pipeline(tmp_path, data / "clean", span, schema_file))
        assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
        anomalies, report = _anomalies(result)
        assert report.count == 0, report.describe()
    assert anomalies.properties["drift_checked"] is True  # span 2 was compared with span 1
    page = Path(anomalies.path("report.html")).read_text()
    stats_page = Path(result.output("StatisticsGen", "statistics").path("report.html")).read_text()
    for text in (page, stats_page):
        assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "<svg" in stats_page and "advertiser_id" in stats_page and "user_ctr_30d" in stats_page


def test_drift_between_spans_is_flagged_and_halting_stops_downstream(tmp_path, data, capsys):
    schema_file = REPO / "schemas" / "ctr.pbtxt"
    first = LocalRunner().run(_pipeline(tmp_path, data / "train", 1, schema_file, halt=True))
    assert first.status == "COMPLETE"
    second = LocalRunner().run(_pipeline(tmp_path, data / "train", 2, schema_file, halt=True))
    assert second.nodes["ExampleValidator"].status == "FAILED"
    assert second.nodes["after_validation"].status == "SKIPPED"
    error = second.nodes["ExampleValidator"].error
    assert error.startswith("halted: ") and "feature 'platform'" in error and "drift l_infty" in error
    anomalies, report = _anomalies(second)  # the halted validator still published its report
    flagged = _flagged(report)
    assert {"platform", "country"} <= set(flagged)
    assert flagged["platform"]["measurements"][0].startswith("drift l_infty")
    assert anomalies.properties["previous_statistics_id"] == first.output("StatisticsGen", "statistics").id

    rerun = LocalRunner().run(_pipeline(tmp_path, data / "train", 2, schema_file, halt=True))
    assert rerun.nodes["StatisticsGen"].status == "CACHED"
    assert rerun.nodes["ExampleValidator"].status == "FAILED"  # same data, same verdict
    assert rerun.nodes["after_validation"].status == "SKIPPED"

    capsys.readouterr()
    assert main(["show", "anomalies", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "platform" in out and "ERROR" in out and "threshold 0.100" in out


def test_training_serving_skew_is_flagged(tmp_path, data):
    result = LocalRunner().run(_pipeline(tmp_path, data / "clean", 1, REPO / "schemas" / "ctr.pbtxt",
                                         serving_base=data / "serving"))
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    anomalies, report = _anomalies(result)
    assert anomalies.properties["skew_checked"] is True
    flagged = _flagged(report)
    assert "hour" in flagged and any(m.startswith("skew") for m in flagged["hour"]["measurements"])
    assert "user_ctr_30d" in flagged
    # serving data has no label, and the SERVING environment does not expect one
    serving_flagged = _flagged(report, "serving")
    assert "clicked" not in serving_flagged


def test_schema_edit_yields_the_expected_anomaly_and_reruns_import(tmp_path, data):
    schema_file = tmp_path / "ctr.pbtxt"
    shutil.copy(REPO / "schemas" / "ctr.pbtxt", schema_file)
    first = LocalRunner().run(_pipeline(tmp_path / "root", data / "clean", 1, schema_file))
    assert _anomalies(first)[1].count == 0
    # a reviewer removes "BR" from the country domain: Brazilian rows become anomalies
    text = schema_file.read_text()
    schema_file.write_text(text.replace('  value: "BR"\n', "", 1))
    second = LocalRunner().run(_pipeline(tmp_path / "root", data / "clean", 1, schema_file))
    assert second.nodes["ImportSchemaGen"].status == "COMPLETE"
    assert second.nodes["CsvExampleGen"].status == "CACHED"
    flagged = _flagged(_anomalies(second)[1])
    assert "country" in flagged and "BR" in flagged["country"]["description"]
    third = LocalRunner().run(_pipeline(tmp_path / "root", data / "clean", 1, schema_file))
    assert third.nodes["ImportSchemaGen"].status == "CACHED"


def test_schema_gen_infers_from_the_train_split(tmp_path, data):
    gen = CsvExampleGen(input_base=str(data / "clean"), pattern="day-{SPAN}/*.csv")
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    result = LocalRunner().run(Pipeline("infer", str(tmp_path), [gen, stats, schema]))
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    from components.artifact_io import read_schema
    inferred = read_schema(result.output("SchemaGen", "schema"))
    names = {feature.name for feature in inferred.feature}
    assert {"country", "platform", "clicked", "user_ctr_30d"} <= names
    assert {d.name for d in inferred.string_domain} >= {"country", "platform"}
