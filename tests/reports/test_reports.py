"""Statistics and anomalies reports (HTML page, notebook view, terminal text) and `starling show`."""

import pytest

from pipelines import LocalRunner, Output, Pipeline, component
from pipelines.artifacts import ExampleAnomalies, ExampleStatistics
from pipelines.cli.main import main
from pipelines.reports.anomalies import AnomaliesReport
from pipelines.reports.statistics import StatisticsReport
from tests.reports.conftest import EXTERNAL_LOAD

DRIFT_SCHEMA = """
feature { name: "platform" type: BYTES domain: "platform"
  drift_comparator { infinity_norm { threshold: 0.1 } } }
feature { name: "income" type: FLOAT
  drift_comparator { jensen_shannon_divergence { threshold: 0.05 } } }
string_domain { name: "platform" value: "android" value: "ios" value: "web" }
"""


def _statistics(platforms, incomes):
    """Real TFDV statistics (in memory) of a small frame with a categorical and a numeric column."""
    import pandas as pd
    import tensorflow_data_validation as tfdv

    frame = pd.DataFrame({"platform": platforms, "income": incomes,
                          "<b>odd name</b>": [1.0] * (len(platforms) - 1) + [None]})
    return tfdv.generate_statistics_from_dataframe(frame)


def _span_statistics(web_share):
    web = int(100 * web_share)
    return _statistics(["web"] * web + ["ios"] * (100 - web), [float(i % 40) for i in range(100)])


def _drift_anomalies():
    import tensorflow_data_validation as tfdv
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = text_format.Parse(DRIFT_SCHEMA, schema_pb2.Schema())
    return tfdv.validate_statistics(_span_statistics(0.6), schema,
                                    previous_statistics=_span_statistics(0.2))


def test_statistics_page_is_self_contained_with_histograms_and_top_values():
    page = StatisticsReport({"train": _span_statistics(0.3)}, "Stats <train>").html()
    assert not EXTERNAL_LOAD.search(page)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert page.startswith("<!DOCTYPE html>") and "<title>Stats &lt;train&gt;</title>" in page
    assert "platform" in page and "income" in page
    assert "&lt;b&gt;odd name&lt;/b&gt;" in page and "<b>odd name</b>" not in page  # escaped
    assert page.count("<svg") == 3  # histograms of income and the odd column, platform's top values
    assert "ios (70)" in page and "web (30)" in page  # top values with counts
    assert "1.0" in page  # the odd column misses 1 value of 100: 1.0 %
    assert "<title>ios: 70</title>" in page  # bar tooltips, no JavaScript


def test_statistics_render_in_notebooks_and_terminals():
    report = StatisticsReport({"train": _span_statistics(0.3)})
    fragment = report._repr_html_()
    assert "<html" not in fragment and "<svg" in fragment and "income" in fragment
    text = report.text()
    assert "<" not in text.replace("<b>odd name</b>", "")
    lines = text.splitlines()
    assert lines[0] == "Split train: 100 examples"
    assert lines[2].split() == ["FEATURE", "TYPE", "COUNT", "MISSING%", "MEAN", "STD", "MIN", "MAX",
                                "UNIQUE/TOP"]
    rows = {line.split("  ")[0]: line.split() for line in lines[4:]}
    assert rows["income"] == ["income", "FLOAT", "100", "0.0", "17.5", "11.37", "0", "39"]
    assert rows["platform"][-4:] == ["2", "/", "ios,", "web"]  # unique count / top values
    assert rows["<b>odd name</b>"][3:5] == ["99", "1.0"]  # count, missing %


def test_anomalies_report_shows_drift_distance_against_threshold():
    report = AnomaliesReport({"train": _drift_anomalies()}, "Anomalies")
    assert report.count == 2  # platform drifted; the odd column is not in the schema
    page = report.html()
    assert not EXTERNAL_LOAD.search(page) and "<script" not in page.lower()
    assert "platform" in page and "ERROR" in page and "New column" in page
    assert "&lt;b&gt;odd name&lt;/b&gt;" in page and "<b>odd" not in page
    assert "drift l_infty 0.400 (threshold 0.100)" in page  # web: 0.2 -> 0.6
    assert "income" not in page  # same distribution in both spans
    text = report.text()
    assert "platform" in text and "drift l_infty 0.400 (threshold 0.100)" in text
    assert "feature 'platform' (split train)" in report.describe()
    assert "0.4" in report.describe()


def test_clean_anomalies_say_so():
    import tensorflow_data_validation as tfdv

    statistics = _span_statistics(0.3)
    report = AnomaliesReport({"eval": tfdv.validate_statistics(statistics,
                                                               tfdv.infer_schema(statistics))})
    assert report.count == 0 and "No anomalies." in report.html()
    assert report.text() == "Split eval: 0 anomalies" and report.describe() == ""


@component
def saved_statistics(statistics: Output[ExampleStatistics]):
    """Writes real TFDV statistics in the ExampleStatistics layout."""
    import os

    os.makedirs(statistics.split_uri("train"))
    with open(os.path.join(statistics.split_uri("train"), "FeatureStats.pb"), "wb") as target:
        target.write(_span_statistics(0.3).SerializeToString())
    statistics.split_names = ["train"]
    statistics.span = 4


@component
def saved_anomalies(anomalies: Output[ExampleAnomalies]):
    """Writes real TFDV drift anomalies in the ExampleAnomalies layout."""
    import os

    os.makedirs(anomalies.split_uri("train"))
    with open(os.path.join(anomalies.split_uri("train"), "SchemaDiff.pb"), "wb") as target:
        target.write(_drift_anomalies().SerializeToString())
    anomalies.split_names = ["train"]


@pytest.fixture
def root(tmp_path):
    result = LocalRunner().run(Pipeline("reports", str(tmp_path), [saved_statistics(),
                                                                  saved_anomalies()]))
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    return tmp_path, result


def test_show_prints_the_latest_artifact_as_a_terminal_table(root, capsys):
    path, result = root
    assert main(["show", "stats", "--root", str(path)]) == 0
    out = capsys.readouterr().out
    statistics = result.output("saved_statistics", "statistics")
    assert out.startswith(f"ExampleStatistics #{statistics.id} (span 4)")
    assert "Split train: 100 examples" in out and "income" in out and "<svg" not in out

    anomalies = result.output("saved_anomalies", "anomalies")
    assert main(["show", "anomalies", str(anomalies.id), "--root", str(path)]) == 0
    out = capsys.readouterr().out
    assert "platform" in out and "drift l_infty 0.400 (threshold 0.100)" in out


def test_show_names_a_wrong_artifact_kind(root, capsys):
    path, result = root
    statistics = result.output("saved_statistics", "statistics")
    assert main(["show", "anomalies", str(statistics.id), "--root", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"artifact {statistics.id} is a ExampleStatistics, not ExampleAnomalies" in err
