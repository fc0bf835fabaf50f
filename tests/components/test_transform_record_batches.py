"""The batched TFRecord I/O under Transform's and StatisticsGen's in-memory paths
(components/tfrecord_batches.py): what it writes, tf.data reads; what it reads, TFXIO reads; and
statistics added a batch at a time equal TFDV's statistics of the whole split at once. Then the
decoded-examples cache (components/decoded_cache.py): it gives what decoding gives, never for
other bytes, schema or batch size, and stays bounded."""

import gzip
import os

import numpy as np
import pytest

from components import statistics_in_memory, tfrecord_batches
from components.tfrecord_batches import matching_files, record_batches, record_chunks, write_records

SCHEMA = """
feature { name: "country" type: BYTES }
feature { name: "age" type: INT }
feature { name: "income" type: FLOAT }
"""


def _examples(count, seed=0):
    """Serialized tf.Examples; about one in ten lacks `income`."""
    import tensorflow as tf

    random = np.random.default_rng(seed)
    records = []
    for index in range(count):
        feature = {"country": tf.train.Feature(bytes_list=tf.train.BytesList(
                       value=[[b"US", b"DE", b"FR", b"BR"][random.integers(4)]])),
                   "age": tf.train.Feature(int64_list=tf.train.Int64List(
                       value=[int(random.integers(18, 81))]))}
        if index % 10:
            feature["income"] = tf.train.Feature(float_list=tf.train.FloatList(value=[random.normal(50, 10)]))
        records.append(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return records


def _schema():
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    return text_format.Parse(SCHEMA, schema_pb2.Schema())


@pytest.fixture
def split(tmp_path, monkeypatch):
    """Two files of a split, 1,200 and 800 records; tiny read blocks, so records straddle blocks."""
    monkeypatch.setattr(tfrecord_batches, "_BLOCK_BYTES", 777)
    records = _examples(2000)
    write_records(str(tmp_path / "data-00000.gz"), [records[:500], records[500:1200]])
    write_records(str(tmp_path / "data-00001.gz"), [records[1200:]])
    return str(tmp_path / "*.gz"), records


def test_written_records_are_what_tf_data_reads(split):
    import tensorflow as tf

    pattern, records = split
    dataset = tf.data.TFRecordDataset(matching_files(pattern), compression_type="GZIP")
    assert [record.numpy() for record in dataset] == records


def test_records_come_back_in_order_in_chunks_of_the_batch_size(split):
    pattern, records = split
    chunks = list(record_chunks(matching_files(pattern), batch_rows=300))
    assert [len(chunk) for chunk in chunks] == [300] * 6 + [200]
    assert [record for chunk in chunks for record in chunk] == records


def test_record_batches_equal_tfxios_for_the_same_schema(split):
    import pyarrow as pa
    from tfx_bsl.public import tfxio

    pattern, _ = split
    source = tfxio.TFExampleRecord(file_pattern=pattern, schema=_schema())
    expected = pa.Table.from_batches(source.RecordBatches(tfxio.RecordBatchesOptions(
        batch_size=10_000, num_epochs=1, shuffle=False)))
    batches = list(record_batches(matching_files(pattern), _schema(), batch_rows=700))
    assert [batch.num_rows for batch in batches] == [700, 700, 600]
    assert batches[0].schema.equals(source.ArrowSchema())
    assert pa.Table.from_batches(batches).equals(expected)


def test_a_file_cut_inside_a_record_is_named(tmp_path):
    whole = tmp_path / "whole.gz"
    write_records(str(whole), [_examples(10)])
    cut = tmp_path / "cut.gz"
    with gzip.open(cut, "wb") as target:
        target.write(gzip.decompress(whole.read_bytes())[:-30])
    with pytest.raises(ValueError, match=r"cut\.gz: the file ends inside a TFRecord"):
        list(record_chunks([str(cut)]))


def test_statistics_added_batch_by_batch_equal_one_batchs(split, monkeypatch):
    import pyarrow as pa
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.statistics import stats_impl

    pattern, _ = split
    options = tfdv.StatsOptions()
    options.schema = _schema()
    monkeypatch.setattr(statistics_in_memory, "_BATCH_ROWS", 300)
    streamed = statistics_in_memory.statistics_in_memory(pattern, options)
    [whole] = pa.Table.from_batches(list(record_batches(matching_files(pattern), options.schema))) \
        .combine_chunks().to_batches()
    expected = stats_impl.generate_statistics_in_memory(whole, options)
    mine = {feature.path.step[0]: feature for feature in streamed.datasets[0].features}
    theirs = {feature.path.step[0]: feature for feature in expected.datasets[0].features}
    assert streamed.datasets[0].num_examples == expected.datasets[0].num_examples == 2000
    assert sorted(mine) == sorted(theirs) == ["age", "country", "income"]
    for name, feature in theirs.items():
        kind = feature.WhichOneof("stats")
        got, want = getattr(mine[name], kind), getattr(feature, kind)
        assert got.common_stats == want.common_stats, name
        if kind == "num_stats":
            for moment in ("mean", "std_dev", "min", "max", "median"):
                assert getattr(got, moment) == pytest.approx(getattr(want, moment), rel=1e-9), name
            assert list(got.histograms) == list(want.histograms), name
        else:
            assert list(got.top_values) == list(want.top_values), name
            assert got.unique == want.unique, name


def _cache_entries(directory):
    return sorted(path.name for path in directory.glob("*.arrow"))


def _table(batches):
    import pyarrow as pa

    return pa.Table.from_batches(list(batches))


def test_the_cache_gives_what_decoding_gives_and_keeps_one_entry_per_file(split, tmp_path):
    from components.decoded_cache import DecodedCache

    pattern, _ = split
    [first, _] = matching_files(pattern)
    cache = DecodedCache(str(tmp_path / "cache"))
    decoded = list(record_batches([first], _schema(), batch_rows=300))
    stored = list(cache.batches(first, _schema(), batch_rows=300))
    mapped = list(cache.batches(first, _schema(), batch_rows=300))
    assert [batch.num_rows for batch in mapped] == [300] * 4 == [batch.num_rows for batch in decoded]
    assert _table(stored).equals(_table(decoded)) and _table(mapped).equals(_table(decoded))
    assert len(_cache_entries(tmp_path / "cache")) == 1
    assert not list((tmp_path / "cache").glob("*.partial"))


def test_a_rewritten_file_is_decoded_afresh_never_read_from_its_old_entry(tmp_path):
    """The entry's name is the digest of the file's bytes: the same path with other records misses."""
    from components.decoded_cache import DecodedCache

    path = str(tmp_path / "data-00000.gz")
    cache = DecodedCache(str(tmp_path / "cache"))
    write_records(path, [_examples(50, seed=1)])
    before = _table(cache.batches(path, _schema()))
    write_records(path, [_examples(50, seed=2)])  # same path, same row count, other values
    after = _table(cache.batches(path, _schema()))
    assert not after.equals(before)
    assert after.equals(_table(record_batches([path], _schema())))
    assert len(_cache_entries(tmp_path / "cache")) == 2


def test_an_entry_for_another_schema_or_batch_size_is_not_used(split, tmp_path):
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    from components.decoded_cache import DecodedCache

    pattern, _ = split
    [first, _] = matching_files(pattern)
    cache = DecodedCache(str(tmp_path / "cache"))
    list(cache.batches(first, _schema(), batch_rows=300))
    narrower = text_format.Parse('feature { name: "age" type: INT }', schema_pb2.Schema())
    assert _table(cache.batches(first, narrower, 300)).equals(_table(record_batches([first], narrower, 300)))
    assert [batch.num_rows for batch in cache.batches(first, _schema(), 500)] == [500, 500, 200]
    assert len(_cache_entries(tmp_path / "cache")) == 3


def test_an_unreadable_entry_is_decoded_again_and_replaced(split, tmp_path):
    from components.decoded_cache import DecodedCache

    pattern, _ = split
    [first, _] = matching_files(pattern)
    cache = DecodedCache(str(tmp_path / "cache"))
    list(cache.batches(first, _schema()))
    [entry] = (tmp_path / "cache").glob("*.arrow")
    entry.write_bytes(entry.read_bytes()[:100])  # cut short, as a crash never leaves it (rename)
    assert _table(cache.batches(first, _schema())).equals(_table(record_batches([first], _schema())))
    assert entry.stat().st_size > 100


def test_a_read_stopped_early_leaves_no_entry(split, tmp_path):
    from components.decoded_cache import DecodedCache

    pattern, _ = split
    [first, _] = matching_files(pattern)
    cache = DecodedCache(str(tmp_path / "cache"))
    batches = cache.batches(first, _schema(), batch_rows=300)
    next(batches)
    batches.close()
    assert not list((tmp_path / "cache").iterdir())


def test_the_least_recently_used_entries_go_beyond_the_size_bound(tmp_path):
    import os
    import time

    from components.decoded_cache import DecodedCache

    paths = []
    for index in range(3):
        paths.append(str(tmp_path / f"data-{index}.gz"))
        write_records(paths[-1], [_examples(200, seed=index)])
    unbounded = DecodedCache(str(tmp_path / "cache"))
    list(unbounded.batches(paths[0], _schema()))
    [entry] = (tmp_path / "cache").glob("*.arrow")
    bounded = DecodedCache(str(tmp_path / "cache"), max_bytes=2 * entry.stat().st_size + 100)
    os.utime(entry, (time.time() - 60, time.time() - 60))
    list(bounded.batches(paths[1], _schema()))
    list(bounded.batches(paths[0], _schema()))  # read: now the most recently used
    list(bounded.batches(paths[2], _schema()))  # a third entry: the oldest, paths[1]'s, goes
    assert len(_cache_entries(tmp_path / "cache")) == 2 and entry.exists()
    for path in (paths[0], paths[2]):
        assert _table(bounded.batches(path, _schema())).equals(_table(record_batches([path], _schema())))
    assert len(_cache_entries(tmp_path / "cache")) == 2


def test_a_split_of_several_files_is_decoded_across_them(split, tmp_path):
    """Batches that straddle files cannot come from per-file entries: nothing is cached for them."""
    from components.decoded_cache import DecodedCache, split_batches

    pattern, _ = split
    cache = DecodedCache(str(tmp_path / "cache"))
    batches = list(split_batches(matching_files(pattern), _schema(), cache, batch_rows=700))
    assert [batch.num_rows for batch in batches] == [700, 700, 600]
    assert not (tmp_path / "cache").exists()


SOURCE_SCHEMA = """
feature { name: "country" type: BYTES }
feature { name: "age" type: INT }
feature { name: "income" type: FLOAT }
feature { name: "tags" type: BYTES }
"""


def _rows(count, seed=0, age_type=None):
    """Arrow rows as ExampleGen has them: one-value lists, about one in ten `income` missing, a
    column the schema lacks (`extra`), none of `tags`; some `age` lists empty, some with two values."""
    import pyarrow as pa

    random = np.random.default_rng(seed)
    age_type = age_type or pa.large_list(pa.int64())
    return pa.RecordBatch.from_arrays([
        pa.array([[[b"US", b"DE", b"FR"][random.integers(3)]] for _ in range(count)],
                 pa.large_list(pa.large_binary())),
        pa.array([[] if index % 7 == 0 else [int(random.integers(18, 81))] * (1 + index % 2)
                  for index in range(count)], age_type),
        pa.array([None if index % 10 == 0 else [float(random.normal(50, 10))] for index in range(count)],
                 pa.large_list(pa.float32())),
        pa.array([[index] for index in range(count)], pa.large_list(pa.int64())),
    ], ["country", "age", "income", "extra"])


def _write_with_source_entry(cache, path, batches):
    """Writes the batches' tf.Examples to `path` and their rows as its source entry, as ExampleGen does."""
    from tfx_bsl.coders import example_coder

    source = cache.source_entry(batches[0].schema)
    for batch in batches:
        source.add(batch)
    write_records(path, [example_coder.RecordBatchToExamples(batch) for batch in batches])
    source.finish(path)


def _source_schema():
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    return text_format.Parse(SOURCE_SCHEMA, schema_pb2.Schema())


def test_a_source_entry_gives_what_decoding_its_file_gives(tmp_path):
    """Columns of the schema only, in its order; absent features all missing; batches cut at the
    decoder's rows across the written batches; fresh arrays, as decoded."""
    from components.decoded_cache import DecodedCache

    cache = DecodedCache(str(tmp_path / "cache"))
    path = str(tmp_path / "data-00000.gz")
    _write_with_source_entry(cache, path, [_rows(250, seed=1), _rows(400, seed=2), _rows(120, seed=3)])
    assert len(_cache_entries(tmp_path / "cache")) == 1
    decoded = list(record_batches([path], _source_schema(), batch_rows=300))
    from_source = list(cache.batches(path, _source_schema(), batch_rows=300))
    assert [batch.num_rows for batch in from_source] == [300, 300, 170] == [b.num_rows for b in decoded]
    for mine, theirs in zip(from_source, decoded, strict=True):
        assert mine.schema.equals(theirs.schema) and mine.equals(theirs)
        assert all(column.offset == 0 for column in mine.columns)
    assert len(_cache_entries(tmp_path / "cache")) == 1  # nothing decoded, so nothing added


def test_a_source_entry_of_other_column_types_is_not_used(tmp_path):
    import pyarrow as pa

    from components.decoded_cache import DecodedCache

    cache = DecodedCache(str(tmp_path / "cache"))
    path = str(tmp_path / "data-00000.gz")
    _write_with_source_entry(cache, path, [_rows(100, age_type=pa.list_(pa.int64()))])  # not large_list
    schema = _source_schema()
    assert _table(cache.batches(path, schema)).equals(_table(record_batches([path], schema)))
    assert len(_cache_entries(tmp_path / "cache")) == 2  # decoded, and kept as decoded


def test_a_source_entry_is_never_used_for_other_bytes(tmp_path):
    from components.decoded_cache import DecodedCache

    cache = DecodedCache(str(tmp_path / "cache"))
    path = str(tmp_path / "data-00000.gz")
    _write_with_source_entry(cache, path, [_rows(100, seed=1)])
    from tfx_bsl.coders import example_coder

    write_records(path, [example_coder.RecordBatchToExamples(_rows(100, seed=2))])  # rewritten, no entry
    schema = _source_schema()
    assert _table(cache.batches(path, schema)).equals(_table(record_batches([path], schema)))


def test_a_source_entry_given_up_or_too_large_leaves_nothing(tmp_path):
    from components.decoded_cache import DecodedCache

    cache = DecodedCache(str(tmp_path / "cache"))
    source = cache.source_entry(_rows(10).schema)
    source.add(_rows(10))
    source.abandon()
    small = DecodedCache(str(tmp_path / "cache"), max_bytes=1000)
    _write_with_source_entry(small, str(tmp_path / "data-00000.gz"), [_rows(100), _rows(100)])
    assert not list((tmp_path / "cache").iterdir())


def test_a_partial_entry_a_crashed_writer_left_goes_with_the_next_write(split, tmp_path):
    import os
    import time

    from components.decoded_cache import DecodedCache

    pattern, _ = split
    [first, _] = matching_files(pattern)
    (tmp_path / "cache").mkdir()
    old, recent = tmp_path / "cache" / "a.arrow.1.partial", tmp_path / "cache" / "b.arrow.2.partial"
    old.write_bytes(b"half")
    recent.write_bytes(b"half")  # maybe another process writing it now
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    list(DecodedCache(str(tmp_path / "cache")).batches(first, _schema()))
    assert not old.exists() and recent.exists()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a directory away")
def test_a_cache_directory_of_another_user_is_neither_read_nor_written(split, tmp_path):
    from components.decoded_cache import DecodedCache

    pattern, _ = split
    first, second = matching_files(pattern)
    cache = DecodedCache(str(tmp_path / "cache"))
    list(cache.batches(first, _schema()))
    [entry] = (tmp_path / "cache").glob("*.arrow")
    list(cache.batches(second, _schema()))
    [planted] = set((tmp_path / "cache").glob("*.arrow")) - {entry}
    entry.write_bytes(planted.read_bytes())  # first's entry now holds other rows, as another user might
    os.chown(tmp_path / "cache", 65534, 65534)
    assert _table(cache.batches(first, _schema())).equals(_table(record_batches([first], _schema())))
    assert entry.read_bytes() == planted.read_bytes()  # not replaced: nothing written there either


@pytest.mark.parametrize("planted", ["symlink", "writable by others"])
def test_a_cache_directory_that_is_a_link_or_open_to_others_is_neither_read_nor_written(split, tmp_path,
                                                                                        planted):
    from components.decoded_cache import DecodedCache

    pattern, _ = split
    [first, _] = matching_files(pattern)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if planted == "symlink":  # e.g. planted at the shared default path, pointing into the user's files
        (tmp_path / "cache").symlink_to(elsewhere)
    else:
        (tmp_path / "cache").mkdir()
        (tmp_path / "cache").chmod(0o777)
    cache = DecodedCache(str(tmp_path / "cache"))
    assert _table(cache.batches(first, _schema())).equals(_table(record_batches([first], _schema())))
    assert list(elsewhere.iterdir()) == [] and list((tmp_path / "cache").iterdir()) == []


def test_a_source_entry_whose_file_cannot_be_read_is_given_up_without_failing(tmp_path):
    from components.decoded_cache import DecodedCache

    cache = DecodedCache(str(tmp_path / "cache"))
    source = cache.source_entry(_rows(10).schema)
    source.add(_rows(10))
    source.finish(str(tmp_path / "no-such-shard.gz"))  # a shard gone (or unreadable) before it is hashed
    assert not list((tmp_path / "cache").iterdir())
