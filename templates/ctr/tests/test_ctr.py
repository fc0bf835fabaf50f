"""The ctr template's data generator and pipeline definition."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from data_generator import CtrDataConfig, generate_day, true_click_probability  # noqa: E402
from pipeline import create_pipeline  # noqa: E402


def test_generator_is_deterministic_with_about_three_percent_clicks():
    config = CtrDataConfig(rows_per_day=20000)
    day = generate_day(1, config)
    assert day.equals(generate_day(1, config))
    assert 0.02 < day["clicked"].mean() < 0.04
    assert day["advertiser_id"].nunique() > 1000


def test_drift_knob_shifts_the_platform_mix():
    config = CtrDataConfig(rows_per_day=20000, drift_day=2)
    before = generate_day(1, config)["platform"].value_counts(normalize=True)
    after = generate_day(2, config)["platform"].value_counts(normalize=True)
    assert after["web"] - before["web"] > 0.3


def test_concept_drift_changes_how_clicks_respond_not_only_the_mix():
    config = CtrDataConfig(rows_per_day=50000, drift_day=2)
    before, after = generate_day(1, config), generate_day(2, config)

    def rate(day, platform):
        return day.loc[day["platform"] == platform, "clicked"].mean()

    assert rate(before, "web") < rate(before, "ios")
    assert rate(after, "web") > rate(after, "ios")  # web users now click more than iOS users


def test_true_click_probability_is_the_probability_the_labels_were_drawn_with():
    config = CtrDataConfig(rows_per_day=50000)
    probability = true_click_probability(1, config)
    assert len(probability) == 50000
    assert abs(probability.mean() - generate_day(1, config)["clicked"].mean()) < 0.003


# (node, input port) -> (producer node, output) for every edge the ctr story depends on
EXPECTED_EDGES = {
    ("CsvExampleGen", "schema"): ("ImportSchemaGen", "schema"),
    ("StatisticsGen", "examples"): ("CsvExampleGen", "examples"),
    ("StatisticsGen", "schema"): ("ImportSchemaGen", "schema"),
    ("ExampleValidator", "statistics"): ("StatisticsGen", "statistics"),
    ("ExampleValidator", "schema"): ("ImportSchemaGen", "schema"),
    ("Transform", "examples"): ("CsvExampleGen", "examples"),
    ("Trainer", "examples"): ("Transform", "transformed_examples"),
    ("Trainer", "transform_graph"): ("Transform", "transform_graph"),
    ("Trainer", "base_model"): ("latest_model", "model"),
    ("Evaluator", "examples"): ("CsvExampleGen", "examples"),
    ("Evaluator", "model"): ("Trainer", "model"),
    ("Evaluator", "baseline_model"): ("latest_blessed_model", "model"),
    ("Pusher", "model"): ("Trainer", "model"),
    ("Pusher", "model_blessing"): ("Evaluator", "blessing"),
    ("InfraValidator", "model"): ("Trainer", "model"),
    ("InfraValidator", "examples"): ("CsvExampleGen", "examples"),
    ("Pusher", "infra_blessing"): ("InfraValidator", "blessing"),
    ("BulkInferrer", "examples"): ("CsvExampleGen", "examples"),
    ("BulkInferrer", "model"): ("Trainer", "model"),
    ("BulkInferrer", "model_blessing"): ("Evaluator", "blessing"),
}


def test_pipeline_wires_every_component(tmp_path):
    pipeline = create_pipeline(root=str(tmp_path), data_root=str(tmp_path / "data"))
    nodes = {node.id: node for node in pipeline.nodes}
    for (node_id, port), (producer, output) in EXPECTED_EDGES.items():
        channel = nodes[node_id].inputs[port]
        assert (channel.producer.id, channel.output_name) == (producer, output), (node_id, port)
    transform_upstream = {node.id for node in nodes["Transform"].upstream_nodes()}
    assert "ExampleValidator" in transform_upstream  # validation gates featurization
    order = pipeline.node_ids
    assert order.index("Evaluator") < order.index("Pusher")
