"""ExampleGen, StatisticsGen and Transform share decoded examples through the DecodedCache (issue
25): ExampleGen keeps each shard's rows, the other two read them instead of decoding the shards,
and the outputs are those they give with the cache turned off. Real TFDV and TFT, the ctr
template's preprocessing_fn, one generated CSV (one shard per split, so both splits go through
the cache)."""

import glob
import os
import sys
from pathlib import Path

import pytest

from components import CsvExampleGen, ImportSchemaGen, StatisticsGen, Transform
from components.decoded_cache import CACHE_DIR_VARIABLE
from pipelines import LocalRunner, Pipeline
from pipelines.reports.statistics import load_statistics
from pipelines.runner.progress import RunListener

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, generate_day  # noqa: E402


class CacheAfterEachNode(RunListener):
    """Notes the cache's entries (name -> (inode, mtime)) as each node finishes."""

    def __init__(self, directory: Path):
        self.directory, self.entries = directory, {}

    def node_finished(self, result):
        self.entries[result.node_id] = _entries(self.directory)


def _entries(directory):
    if not directory.exists():
        return {}
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in directory.glob("*")}


def _run(work, name, csv_dir, listener=None):
    gen = CsvExampleGen(input_base=str(csv_dir))
    schema = ImportSchemaGen(schema_file=str(REPO / "schemas" / "ctr.pbtxt"))
    stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=str(REPO / "templates" / "ctr" / "preprocessing.py"))
    pipeline = Pipeline(name, str(work / name), [gen, schema, stats, transform])
    result = LocalRunner(listener=listener).run(pipeline)
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("decoded_cache")
    (work / "data").mkdir()
    generate_day(1, CtrDataConfig(rows_per_day=3000)).to_csv(work / "data" / "day.csv", index=False)
    listener = CacheAfterEachNode(work / "cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_VARIABLE, str(work / "cache"))
        cached = _run(work, "cached", work / "data", listener)
        patch.setenv(CACHE_DIR_VARIABLE, "")
        uncached = _run(work, "uncached", work / "data")
    return work, listener, cached, uncached


def test_statistics_gen_and_transform_read_the_rows_example_gen_kept(runs):
    """No entry is added after ExampleGen's two (nothing is decoded), and each node reads them (a
    read marks an entry used)."""
    _, listener, _, _ = runs
    kept = listener.entries["CsvExampleGen"]
    assert len(kept) == 2 and all(name.endswith(".arrow") for name in kept)  # train's and eval's shard
    for before, after in (("CsvExampleGen", "StatisticsGen"), ("StatisticsGen", "Transform")):
        assert sorted(listener.entries[after]) == sorted(kept), after
        for name, (inode, mtime) in listener.entries[after].items():
            assert inode == listener.entries[before][name][0], (after, name)
            assert mtime > listener.entries[before][name][1], (after, name)


def test_nothing_is_added_to_the_artifacts(runs):
    work, _, cached, uncached = runs
    for name in ("cached", "uncached"):
        assert not [path for path in _files(work / name) if "arrow" in path or "decoded" in path], name
    for node, port in (("StatisticsGen", "statistics"), ("Transform", "transformed_examples"),
                       ("Transform", "transform_graph")):
        mine, theirs = cached.output(node, port).uri, uncached.output(node, port).uri
        assert _files(mine) == _files(theirs), (node, port)


def _files(directory):
    return sorted(os.path.relpath(path, directory) for path in glob.glob(f"{directory}/**/*", recursive=True))


def _records(examples, split):
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples.split_uri(split), "*.gz")))
    return [tf.train.Example.FromString(record.numpy())
            for record in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def assert_same_statistics(mine, theirs):
    """Both splits' statistics equal feature by feature (equally frequent values may rank in either order)."""
    assert sorted(mine) == sorted(theirs) == ["eval", "train"]
    for split in theirs:
        for got, expected in zip(mine[split].datasets[0].features, theirs[split].datasets[0].features,
                                 strict=True):
            if got.HasField("string_stats"):
                for stats in (got.string_stats, expected.string_stats):
                    stats.ClearField("top_values")
                    stats.rank_histogram.ClearField("buckets")
            assert got == expected, (split, got.path)


def test_the_cached_runs_outputs_equal_the_uncached_runs(runs):
    _, _, cached, uncached = runs
    for split in ("train", "eval"):
        mine = _records(cached.output("Transform", "transformed_examples"), split)
        theirs = _records(uncached.output("Transform", "transformed_examples"), split)
        assert len(mine) == len(theirs) > 500 and mine == theirs, split
    mine = load_statistics(cached.output("StatisticsGen", "statistics").uri)
    theirs = load_statistics(uncached.output("StatisticsGen", "statistics").uri)
    assert_same_statistics(mine, theirs)


PARQUET_SCHEMA = """
feature { name: "clicks" type: INT }
feature { name: "flag" type: INT }
feature { name: "ctr" type: FLOAT }
feature { name: "country" type: BYTES }
feature { name: "never_there" type: FLOAT }
"""


def _parquet_run(work, name, listener=None):
    from components import ParquetExampleGen

    gen = ParquetExampleGen(input_base=str(work / "parquet"))
    schema = ImportSchemaGen(schema_file=str(work / "schema.pbtxt"))
    stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
    result = LocalRunner(listener=listener).run(Pipeline(name, str(work / name), [gen, schema, stats]))
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    return load_statistics(result.output("StatisticsGen", "statistics").uri)


def test_parquet_rows_kept_by_example_gen_give_statistics_gen_its_statistics(tmp_path):
    """Parquet's int32, bool, float64 and string columns with missing values: the kept rows
    (int64, float32, binary lists) are what decoding gives, and the statistics are the uncached ones."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    random = np.random.default_rng(0)
    rows = 5000
    (tmp_path / "parquet").mkdir()
    pq.write_table(pa.table({
        "clicks": pa.array([None if i % 13 == 0 else int(v)
                            for i, v in enumerate(random.integers(0, 9, rows))], pa.int32()),
        "flag": pa.array([bool(v) for v in random.integers(0, 2, rows)]),
        "ctr": pa.array([None if i % 17 == 0 else float(v) for i, v in enumerate(random.random(rows))]),
        "country": pa.array([["US", "DE", None][int(v)] for v in random.integers(0, 3, rows)]),
        "extra": pa.array(range(rows)),
    }), tmp_path / "parquet" / "part-0.parquet")
    (tmp_path / "schema.pbtxt").write_text(PARQUET_SCHEMA)
    listener = CacheAfterEachNode(tmp_path / "cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
        cached = _parquet_run(tmp_path, "cached", listener)
        patch.setenv(CACHE_DIR_VARIABLE, "")
        uncached = _parquet_run(tmp_path, "uncached")
    kept = listener.entries["ParquetExampleGen"]
    assert len(kept) == 2 and sorted(listener.entries["StatisticsGen"]) == sorted(kept)  # none decoded
    assert_same_statistics(cached, uncached)
