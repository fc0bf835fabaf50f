"""StatisticsGen computes in memory what TFDV's Beam path computes (issue 25: statistics at the
speed of Arrow), and falls back to Beam beyond its size limit. Real TFDV, both paths."""

from pathlib import Path

from components import ImportSchemaGen, StatisticsGen
from pipelines import LocalRunner, Pipeline
from pipelines.reports.statistics import load_statistics
from tests.components.examples_fixture import synthetic_examples, write_contract


def _both_paths(tmp_path: Path):
    write_contract(tmp_path / "schema.pbtxt")
    gen = synthetic_examples(rows=3000)
    schema = ImportSchemaGen(schema_file=str(tmp_path / "schema.pbtxt"))
    in_memory = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
    on_beam = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                            in_memory_limit_bytes=0).with_id("beam_statistics")
    result = LocalRunner().run(Pipeline("stats", str(tmp_path / "root"), [gen, schema, in_memory, on_beam]))
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    return result.output("StatisticsGen", "statistics"), result.output("beam_statistics", "statistics")


def _features(statistics_list):
    return {feature.path.step[0]: feature for feature in statistics_list.datasets[0].features}


def _ranked(rank_histogram):
    """Buckets as (count, label) sorted: equally frequent labels may come in either order."""
    return sorted((bucket.sample_count, bucket.label) for bucket in rank_histogram.buckets)


def test_in_memory_statistics_equal_the_beam_paths(tmp_path):
    in_memory, on_beam = _both_paths(tmp_path)
    assert (in_memory.properties["computed"], on_beam.properties["computed"]) == ("in memory", "beam")
    fast, reference = load_statistics(in_memory.uri), load_statistics(on_beam.uri)
    assert sorted(fast) == sorted(reference) == ["eval", "train"]
    for split in reference:
        assert fast[split].datasets[0].num_examples == reference[split].datasets[0].num_examples > 0
        mine, theirs = _features(fast[split]), _features(reference[split])
        assert sorted(mine) == sorted(theirs)
        for name, expected in theirs.items():
            got = mine[name]
            kind = expected.WhichOneof("stats")
            assert got.WhichOneof("stats") == kind and got.type == expected.type, name
            a, b = getattr(got, kind), getattr(expected, kind)
            assert a.common_stats == b.common_stats, name  # counts, missing, lengths: exact
            if kind == "num_stats":
                for moment in ("mean", "std_dev", "min", "max", "median"):
                    expected_value = getattr(b, moment)
                    assert abs(getattr(a, moment) - expected_value) <= 1e-6 * max(1.0, abs(expected_value))
                assert a.num_zeros == b.num_zeros and list(a.histograms) == list(b.histograms), name
            else:
                assert list(a.top_values) == list(b.top_values), name
                assert a.unique == b.unique and _ranked(a.rank_histogram) == _ranked(b.rank_histogram)
