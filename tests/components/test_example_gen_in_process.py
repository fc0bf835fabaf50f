"""ExampleGen reads in this process when Beam would run here alone, and on Beam otherwise: both
write the same shards with the same records in the same order, the same counts and the same
rejections (CSV with inferred types and with a schema, Parquet, TFRecord)."""

import gzip
import struct
from pathlib import Path

import pytest

from components import CsvExampleGen, ImportExampleGen, ParquetExampleGen
from components.example_gen.ingestion import reads_in_process
from pipelines import LocalRunner, Pipeline

ON_BEAM = ["--direct_num_workers=1"]  # a worker count given: ExampleGen leaves the reading to Beam


def _records(path: Path) -> list[bytes]:
    """The tf.Examples of a gzipped TFRecord shard, each written with its map in key order."""
    from tensorflow.core.example.example_pb2 import Example

    data, records, offset = gzip.decompress(path.read_bytes()), [], 0
    while offset < len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        records.append(Example.FromString(data[offset + 12:offset + 12 + length])
                       .SerializeToString(deterministic=True))
        offset += 16 + length
    return records


def _written(tmp_path: Path, node, root: str, beam_args: list[str]) -> dict:
    pipeline = Pipeline("eg", str(tmp_path / root), [node], enable_cache=False, beam_args=beam_args)
    result = LocalRunner().run(pipeline)
    state = result.nodes[node.id]
    if state.status != "COMPLETE":
        return {"error": state.error}
    examples = result.output(node.id, "examples")
    directory = Path(examples.uri)
    shards = {str(path.relative_to(directory)): _records(path) for path in sorted(directory.rglob("*.gz"))}
    rejected = sorted(line for path in directory.rglob("*.jsonl") for line in path.read_text().splitlines())
    return {"shards": shards, "rejected": rejected, "split_names": examples.split_names,
            "properties": {key: value for key, value in examples.properties.items()}}


def _csv(tmp_path: Path) -> str:
    data = tmp_path / "data"
    data.mkdir()
    for part in range(3):
        lines = ["user,age,country,score"]
        lines += [f"u{i % 97},{'' if i % 11 == 0 else 20 + i % 50},{['US', 'BR', 'IN'][i % 3]},{i / 7:.3f}"
                  for i in range(part * 3000, part * 3000 + 2500)]
        lines += ["u1,notanage,US,1.0", "u2,30,US"]  # one value of the wrong kind, one row too short
        (data / f"part-{part}.csv").write_text("\n".join(lines) + "\n")
    return str(data)


def _parquet(tmp_path: Path) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    table = pa.table({"id": list(range(5000)), "ratio": [i / 3 if i % 7 else None for i in range(5000)]})
    pq.write_table(table, tmp_path / "data" / "part.parquet")
    return str(tmp_path / "data")


@pytest.mark.parametrize("case", ["csv inferred, tolerated", "csv inferred, strict", "parquet"])
def test_in_process_and_beam_write_the_same_examples_counts_and_rejections(tmp_path, case):
    if case.startswith("csv"):
        node = CsvExampleGen(input_base=_csv(tmp_path), partition_feature="user",
                             tolerate_bad_rows=case.endswith("tolerated"))
    else:
        node = ParquetExampleGen(input_base=_parquet(tmp_path))
    here, beam = _written(tmp_path, node, "here", []), _written(tmp_path, node, "beam", ON_BEAM)
    assert here == beam
    if case == "csv inferred, strict":
        assert "part-0.csv:2502: column 'age': cannot parse 'notanage'" in here["error"], here
    else:
        assert here["shards"] and sum(map(len, here["shards"].values())) == here["properties"]["rows_written"]
    if case == "csv inferred, tolerated":
        assert len(here["rejected"]) == 6 and here["properties"]["rows_rejected"] == 6


def test_import_of_the_written_examples_is_the_same_both_ways(tmp_path):
    node = CsvExampleGen(input_base=_csv(tmp_path), tolerate_bad_rows=True)
    source = LocalRunner().run(Pipeline("src", str(tmp_path / "src"), [node], enable_cache=False))
    train_dir = source.output(node.id, "examples").split_uri("train")
    imported = ImportExampleGen(input_base=train_dir, pattern="*.gz")
    here, beam = _written(tmp_path, imported, "here", []), _written(tmp_path, imported, "beam", ON_BEAM)
    assert here == beam and here["properties"]["rows_read"] > 0, here


def test_reading_in_process_only_when_beam_would_run_here_alone():
    assert reads_in_process([]) and reads_in_process(["--runner=DirectRunner"])
    assert not reads_in_process(["--direct_running_mode=multi_processing", "--direct_num_workers=2"])
    assert not reads_in_process(["--runner=FlinkRunner", "--flink_master=127.0.0.1:8081"])


def test_counts_outside_a_beam_job_go_to_the_tally():
    from components.example_gen.counters import count, tallied

    with tallied() as tally:
        count("rows_read", 5)
        count("rows_read", 2)
    assert tally == {"rows_read": 7}


def test_tfrecord_frames_are_the_bytes_tensorflows_writer_writes(tmp_path):
    import random

    import tensorflow as tf

    from components.example_gen.splits import tfrecord_frames

    generator = random.Random(0)
    records = [b"", b"x", *(generator.randbytes(generator.randint(1, 3000)) for _ in range(500))]
    with tf.io.TFRecordWriter(str(tmp_path / "reference.tfrecord")) as writer:
        for record in records:
            writer.write(record)
    assert tfrecord_frames(records) == (tmp_path / "reference.tfrecord").read_bytes()
    assert tfrecord_frames([]) == b""


def test_rows_go_to_the_split_of_their_keys_hash_as_before(tmp_path):
    """The vectorized split choice is the per-row one it replaced: blake2b-64 of the key, as a
    big-endian integer, modulo the weights' total (splits must not move between versions)."""
    import hashlib

    from components.example_gen.splits import SplitWriter, split_of_bucket

    splits = {"train": 5, "eval": 2}  # a total of 7: byte order matters modulo 7 (not modulo 3)
    keys = [f"user-{index}".encode() for index in range(3000)]
    writer = SplitWriter(str(tmp_path), splits, 0, 1)
    chosen: dict[str, list[bytes]] = {"train": [], "eval": []}
    writer.write(keys, keys)  # each record is its own key
    counts = writer.close()
    for key in keys:
        bucket = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % 7
        chosen[list(splits)[split_of_bucket(bucket, splits)]].append(key)
    assert counts == {name: len(rows) for name, rows in chosen.items()}
    for name, rows in chosen.items():
        [shard] = (tmp_path / f"Split-{name}").glob("*.gz")
        assert _raw_records(shard) == rows


def _raw_records(path: Path) -> list[bytes]:
    data, records, offset = gzip.decompress(path.read_bytes()), [], 0
    while offset < len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        records.append(data[offset + 12:offset + 12 + length])
        offset += 16 + length
    return records


@pytest.mark.parametrize("values", [
    ["1", "2", " 3 ", "+4", "-5", "99999999999999999999", None, "7"],              # integers, one too big
    ["0.5", "1", "-2.5e3", ".5", "nan", "INF", None, "x"],                         # numbers and one text
    ["US", "BR", "US", None, "12", "1.5", "US", "nan"],                             # text with some numbers
    [str(index) for index in range(100)] + ["abc", "1.25", "abc"],                 # past the probe
    ["7", "7", "x", "7", "1.5", "1.5", "y"],                                       # repeated matches
])
def test_column_counts_equal_a_value_by_value_count(values):
    """The type inference's counts (present, integers, numbers), computed per distinct value, are
    what matching every value on its own gives."""
    import re

    import pyarrow as pa

    from components.example_gen.csv_rows import _FLOAT_TEXT, _INT_TEXT, _counts_of_column

    present = [value for value in values if value is not None]
    expected = (len(present), sum(bool(re.search(_INT_TEXT, value)) for value in present),
                sum(bool(re.search(_FLOAT_TEXT, value, re.IGNORECASE)) for value in present))
    if expected[0] == expected[1] and all(abs(int(value)) < 2**63 for value in present):
        expected = (expected[0], expected[0], expected[0])  # a clean integer column
    assert _counts_of_column(pa.array(values, pa.large_string())) == expected
