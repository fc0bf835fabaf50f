"""StatisticsGen, SchemaGen, ImportSchemaGen and ExampleValidator on synthetic TFRecord examples.

Real TFDV on Beam (DirectRunner); the examples come from `examples_fixture.synthetic_examples`.
"""

import os
from pathlib import Path

import pytest

from components import ExampleValidator, ImportSchemaGen, SchemaGen, StatisticsGen
from components.artifact_io import read_schema
from pipelines import Input, LocalRunner, Output, Pipeline, component
from pipelines.artifacts import ExampleAnomalies, Model
from pipelines.reports.anomalies import AnomaliesReport, anomaly_rows
from pipelines.reports.statistics import load_statistics
from tests.components.examples_fixture import CONTRACT, synthetic_examples, write_contract
from tests.reports.conftest import EXTERNAL_LOAD

SHIFTED_SHARES = {"android": 0.2, "ios": 0.3, "web": 0.5}


@component
def downstream(anomalies: Input[ExampleAnomalies], model: Output[Model]):
    """Stands for Transform/Trainer: must not run when validation halts."""


def _validation_pipeline(root, schema_file, span=1, shares=None, halt=False, serving=None,
                         **validator_args):
    gen = synthetic_examples(span=span, **({"platform_shares": shares} if shares else {}))
    schema = ImportSchemaGen(schema_file=str(schema_file))
    stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
    nodes = [gen, schema, stats]
    serving_statistics = None
    if serving is not None:
        serving_gen = synthetic_examples(splits=["serving"], with_label=False, rows=300,
                                         **serving).with_id("serving_examples")
        serving_stats = StatisticsGen(examples=serving_gen.outputs["examples"]).with_id("serving_stats")
        serving_statistics = serving_stats.outputs["statistics"]
        nodes += [serving_gen, serving_stats]
    validator = ExampleValidator(statistics=stats.outputs["statistics"], schema=schema.outputs["schema"],
                                 serving_statistics=serving_statistics, halt_on_anomalies=halt,
                                 **validator_args)
    return Pipeline("validation", str(root), [*nodes, validator,
                                              downstream(anomalies=validator.outputs["anomalies"])])


def _flagged(result, split="train"):
    anomalies = result.output("ExampleValidator", "anomalies")
    report = AnomaliesReport.from_uri(anomalies.uri)
    return {row["feature"]: row for row in anomaly_rows(report.splits[split])}


def _complete(result):
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items() if v.error}


def test_clean_data_has_no_anomalies_and_artifacts_have_tfx_layouts(tmp_path):
    schema_file = write_contract(tmp_path / "schemas" / "synthetic.pbtxt")
    result = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file))
    _complete(result)

    statistics = result.output("StatisticsGen", "statistics")
    for split in ("train", "eval"):
        assert os.path.isfile(os.path.join(statistics.uri, f"Split-{split}", "FeatureStats.pb"))
    by_split = load_statistics(statistics.uri)
    [train] = by_split["train"].datasets
    assert train.num_examples == 400
    assert {f.path.step[0] for f in train.features} == {"platform", "country", "age", "income",
                                                        "clicked"}
    page = Path(statistics.path("report.html")).read_text()
    assert "<svg" in page and all(name in page for name in ("platform", "country", "income", "age"))
    assert not EXTERNAL_LOAD.search(page) and "<script" not in page

    anomalies = result.output("ExampleValidator", "anomalies")
    assert anomalies.properties["anomaly_count"] == 0
    assert anomalies.properties["drift_checked"] is False  # span 1: no previous span to compare
    assert anomalies.span == 1
    for split in ("train", "eval"):
        assert os.path.isfile(os.path.join(anomalies.uri, f"Split-{split}", "SchemaDiff.pb"))
    page = Path(anomalies.path("report.html")).read_text()
    assert "0 anomalies" in page and not EXTERNAL_LOAD.search(page)
    assert result.nodes["downstream"].status == "COMPLETE"


def test_category_share_jump_between_spans_is_flagged_as_drift(tmp_path):
    schema_file = write_contract(tmp_path / "synthetic.pbtxt")
    first = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file, span=1))
    _complete(first)
    second = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file, span=2,
                                                    shares=SHIFTED_SHARES))
    _complete(second)

    anomalies = second.output("ExampleValidator", "anomalies")
    assert anomalies.properties["drift_checked"] is True
    assert anomalies.properties["previous_statistics_id"] == first.output("StatisticsGen",
                                                                          "statistics").id
    assert anomalies.span == 2
    flagged = _flagged(second)
    assert set(flagged) == {"platform"}  # country has a drift comparator too, and did not move
    [measurement] = flagged["platform"]["measurements"]
    assert measurement.startswith("drift l_infty") and "(threshold 0.100)" in measurement
    distance = float(measurement.split()[2])
    assert 0.2 < distance < 0.45  # web's share moved from 0.2 to 0.5


def test_drift_thresholds_parameter_sets_comparators_on_an_inferred_schema(tmp_path):
    def pipeline(span, shares=None):
        gen = synthetic_examples(span=span, **({"platform_shares": shares} if shares else {}))
        stats = StatisticsGen(examples=gen.outputs["examples"])
        schema = SchemaGen(statistics=stats.outputs["statistics"])
        validator = ExampleValidator(statistics=stats.outputs["statistics"],
                                     schema=schema.outputs["schema"],
                                     drift_thresholds={"platform": 0.1, "income": 0.1})
        return Pipeline("inferred", str(tmp_path), [gen, stats, schema, validator])

    _complete(LocalRunner().run(pipeline(1)))
    second = LocalRunner().run(pipeline(2, SHIFTED_SHARES))
    _complete(second)
    inferred = read_schema(second.output("SchemaGen", "schema"))
    assert not any(f.HasField("drift_comparator") for f in inferred.feature)  # only on the copy
    flagged = _flagged(second)
    assert set(flagged) == {"platform"}
    assert flagged["platform"]["measurements"][0].startswith("drift l_infty")


def test_training_serving_skew_is_flagged_and_serving_needs_no_label(tmp_path):
    schema_file = write_contract(tmp_path / "synthetic.pbtxt")
    result = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file, serving={
        "income_shift": 12.0, "platform_shares": SHIFTED_SHARES, "seed": 7}))
    _complete(result)
    anomalies = result.output("ExampleValidator", "anomalies")
    assert anomalies.properties["skew_checked"] is True
    flagged = _flagged(result)
    assert set(flagged) == {"income", "platform"}
    assert flagged["income"]["measurements"][0].startswith("skew jensen_shannon_divergence")
    assert flagged["platform"]["measurements"][0].startswith("skew l_infty")
    # The serving split is validated in the SERVING environment, where `clicked` is not expected.
    assert _flagged(result, "serving") == {}


def test_schema_without_a_seen_value_flags_it(tmp_path):
    schema_file = write_contract(tmp_path / "synthetic.pbtxt",
                                 CONTRACT.replace(' value: "BR"', ""))
    result = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file))
    _complete(result)
    for split in ("train", "eval"):
        flagged = _flagged(result, split)
        assert set(flagged) == {"country"}
        assert "BR" in flagged["country"]["description"]
    assert result.output("ExampleValidator", "anomalies").properties["anomaly_count"] == 2


def test_halt_on_anomalies_skips_downstream_and_names_the_feature(tmp_path):
    schema_file = write_contract(tmp_path / "synthetic.pbtxt",
                                 CONTRACT.replace("int_domain { min: 18 max: 80 }",
                                                  "int_domain { min: 18 max: 65 }"))
    result = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file, halt=True))
    assert result.nodes["ExampleValidator"].status == "FAILED"
    assert result.nodes["downstream"].status == "SKIPPED"
    error = result.nodes["ExampleValidator"].error
    assert "feature 'age' (split train)" in error and "feature 'age' (split eval)" in error
    assert "Out-of-range values" in error and "Unexpectedly large value: 80" in error
    # The halted validator's verdict stays readable.
    assert _flagged(result)["age"]["severity"] == "ERROR"


def test_editing_the_schema_file_reruns_import_and_unchanged_hits_the_cache(tmp_path):
    schema_file = write_contract(tmp_path / "synthetic.pbtxt")

    def run():
        result = LocalRunner().run(Pipeline("contract", str(tmp_path / "root"),
                                            [ImportSchemaGen(schema_file=str(schema_file))]))
        return result.nodes["ImportSchemaGen"].status, result.output("ImportSchemaGen", "schema")

    status, first = run()
    assert status == "COMPLETE"
    status, again = run()
    assert status == "CACHED" and again.id == first.id
    schema_file.write_text(CONTRACT.replace("max: 80", "max: 90"))
    status, edited = run()
    assert status == "COMPLETE" and edited.id != first.id
    assert read_schema(edited).feature[2].int_domain.max == 90
    assert Path(first.uri, "schema.pbtxt").read_text() != Path(edited.uri, "schema.pbtxt").read_text()


def test_unknown_feature_in_thresholds_is_named(tmp_path):
    schema_file = write_contract(tmp_path / "synthetic.pbtxt")
    result = LocalRunner().run(_validation_pipeline(tmp_path / "root", schema_file,
                                       skew_thresholds={"incme": 0.1}))
    error = result.nodes["ExampleValidator"].error
    assert "skew_comparator: feature 'incme' is not in the schema" in error
    assert result.nodes["downstream"].status == "SKIPPED"


@pytest.mark.parametrize("feature, kind", [("platform", "infinity_norm"),
                                           ("income", "jensen_shannon_divergence"),
                                           ("age", "jensen_shannon_divergence"),
                                           ("clicked", "infinity_norm")])
def test_threshold_kind_follows_the_feature_type(feature, kind):
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    from components.example_validator import _schema_with_thresholds

    categorical_label = CONTRACT.replace("min: 0 max: 1", "min: 0 max: 1 is_categorical: true")
    contract = text_format.Parse(categorical_label, schema_pb2.Schema())
    updated = _schema_with_thresholds(contract, {feature: 0.25}, None)
    [changed] = [f for f in updated.feature if f.name == feature]
    assert getattr(changed.drift_comparator, kind).threshold == 0.25
    assert contract != updated  # a copy: the input schema is untouched
