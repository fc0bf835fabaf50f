"""The ctr template's data generator and pipeline definition."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from data_generator import CtrDataConfig, generate_day  # noqa: E402
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


def test_pipeline_wires_every_component(tmp_path):
    pipeline = create_pipeline(root=str(tmp_path), data_root=str(tmp_path / "data"))
    assert pipeline.node_ids[0] == "CsvExampleGen" and pipeline.node_ids[-1] == "Pusher"
    expected = {"Transform", "Trainer", "Evaluator", "latest_model", "latest_blessed_model"}
    assert expected <= set(pipeline.node_ids)
