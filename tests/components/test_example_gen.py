import json
from pathlib import Path

import pytest

from components import CsvExampleGen, ImportExampleGen, ParquetExampleGen
from components.example_gen.spans import select_files
from pipelines import LocalRunner, Pipeline
from tests.components.conftest import read_examples


def _run(tmp_path, node, name="eg"):
    result = LocalRunner().run(Pipeline(name, str(tmp_path / "root"), [node], enable_cache=False))
    return result, result.nodes[node.id]


def test_latest_span_exact_span_and_range(tmp_path, write_csv):
    for span in (1, 2, 3):
        write_csv(f"day-{span}/part.csv", "a\n1\n")
    base, pattern = str(tmp_path / "data"), "day-{SPAN}/*.csv"
    assert select_files(base, pattern).spans == [3]
    assert select_files(base, pattern, span=2).files == [str(tmp_path / "data/day-2/part.csv")]
    assert select_files(base, pattern, span_range=[1, 2]).spans == [1, 2]
    with pytest.raises(FileNotFoundError, match=r"no input files for span 7 .* spans found: 1, 2, 3"):
        select_files(base, pattern, span=7)
    with pytest.raises(FileNotFoundError, match=r"no input files match pattern 'x-{SPAN}/\*.csv'"):
        select_files(base, "x-{SPAN}/*.csv")


def test_latest_version_and_date_spans(tmp_path, write_csv):
    write_csv("s-1/v-1/a.csv", "a\n1\n")
    write_csv("s-1/v-2/a.csv", "a\n1\n")
    write_csv("s-1/v-2/b.csv", "a\n2\n")
    selection = select_files(str(tmp_path / "data"), "s-{SPAN}/v-{VERSION}/*.csv")
    assert (selection.version, len(selection.files)) == (2, 2)
    write_csv("logs/2026-11-20/x.csv", "a\n1\n")
    write_csv("logs/2026-11-21/x.csv", "a\n1\n")
    assert select_files(str(tmp_path / "data"), "logs/{YYYY}-{MM}-{DD}/*.csv").spans == [20261121]


def _users_csv(rows=900):
    lines = ["user,age,country,score"]
    for index in range(rows):
        age = "" if index % 10 == 0 else str(20 + index % 50)
        lines.append(f"u{index % 150},{age},{['US', 'BR', 'IN'][index % 3]},{index / 7:.3f}")
    return "\n".join(lines) + "\n"


def test_csv_spans_splits_counts_and_missing_values(tmp_path, write_csv):
    write_csv("day-1/a.csv", "user,age,country,score\nu1,3,US,0.5\n")
    write_csv("day-2/a.csv", _users_csv())
    result, node = _run(tmp_path, CsvExampleGen(input_base=str(tmp_path / "data"),
                                                pattern="day-{SPAN}/*.csv", partition_feature="user"))
    assert node.status == "COMPLETE", node.error
    examples = result.output("CsvExampleGen", "examples")
    assert (examples.span, examples.split_names) == (2, ["train", "eval"])
    props = examples.properties
    assert props["rows_read"] == props["rows_written"] == 900 and props["rows_rejected"] == 0
    assert props["rows_train"] + props["rows_eval"] == 900
    assert 0.55 < props["rows_train"] / 900 < 0.78
    train, evaluation = read_examples(examples, "train"), read_examples(examples, "eval")
    assert len(train) == props["rows_train"]
    users_train = {tuple(r["user"]) for r in train}
    assert users_train.isdisjoint({tuple(r["user"]) for r in evaluation})
    assert all(isinstance(v, int) for r in train for v in (r["age"] or []))
    assert sum(1 for r in train + evaluation if r["age"] is None) == 90  # empty fields are missing
    assert {r["country"][0] for r in train} == {b"US", b"BR", b"IN"}

    again, _ = _run(tmp_path, CsvExampleGen(input_base=str(tmp_path / "data"),
                                            pattern="day-{SPAN}/*.csv", partition_feature="user"))
    assert read_examples(again.output("CsvExampleGen", "examples"), "train") == train


def test_custom_split_names_and_a_span_range(tmp_path, write_csv):
    write_csv("day-1/a.csv", _users_csv(300))
    write_csv("day-2/a.csv", _users_csv(300))
    result, _node = _run(tmp_path, CsvExampleGen(
        input_base=str(tmp_path / "data"), pattern="day-{SPAN}/*.csv", span_range=[1, 2],
        splits={"train": 8, "test": 1, "holdout": 1}))
    examples = result.output("CsvExampleGen", "examples")
    assert examples.split_names == ["train", "test", "holdout"] and examples.properties["spans"] == [1, 2]
    assert examples.properties["rows_read"] == 600
    assert sum(len(read_examples(examples, s)) for s in examples.split_names) == 600


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n3\n", "bad.csv:3: expected 2 fields, got 1"),
    ("a,b\n" + "1,2\n" * 1100 + "1,x\n", "bad.csv:1102: column 'b': cannot parse 'x' as an integer"),
    ("", "bad.csv:1: empty file, expected a header row"),
])
def test_bad_csv_rows_fail_naming_file_and_line(tmp_path, write_csv, text, message):
    write_csv("bad.csv", text)
    _result, node = _run(tmp_path, CsvExampleGen(input_base=str(tmp_path / "data")))
    assert node.status == "FAILED" and message in node.error
    assert not list((tmp_path / "root" / "CsvExampleGen").glob("examples/*"))


def test_unreadable_file_is_named(tmp_path, write_csv):
    path = write_csv("locked.csv", "a\n1\n")
    path.write_bytes(b"\xff\xfe\x00bad")
    _result, node = _run(tmp_path, CsvExampleGen(input_base=str(tmp_path / "data")))
    assert node.status == "FAILED" and "locked.csv: cannot read file" in node.error


def test_tolerated_bad_rows_are_counted_exactly_and_kept(tmp_path, write_csv):
    lines = ["a,b"] + [f"{i},{i}" for i in range(1000)] + ["1", "x,2", "3,4,5"] + ["7,8"]
    write_csv("rows.csv", "\n".join(lines) + "\n")
    result, node = _run(tmp_path, CsvExampleGen(input_base=str(tmp_path / "data"), tolerate_bad_rows=True))
    assert node.status == "COMPLETE", node.error
    examples = result.output("CsvExampleGen", "examples")
    assert examples.properties["rows_rejected"] == 3 and examples.properties["rows_written"] == 1001
    rejected = [json.loads(line) for path in Path(examples.path("Rejected")).glob("*.jsonl")
                for line in path.read_text().splitlines()]
    assert sorted(r["line"] for r in rejected) == [1002, 1003, 1004]
    assert {r["reason"] for r in rejected} == {
        "expected 2 fields, got 1", "column 'a': cannot parse 'x' as an integer",
        "expected 2 fields, got 3"}

    result, node = _run(tmp_path, CsvExampleGen(input_base=str(tmp_path / "data"), tolerate_bad_rows=True,
                                                max_rejected_rows=2))
    assert "3 rows rejected, more than max_rejected_rows=2; first: " in node.error
    assert "rows.csv:1002: expected 2 fields, got 1" in node.error


def test_parquet_round_trip_with_nulls(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    table = pa.table({"id": [1, 2, 3, None], "ratio": [0.5, None, 1.5, 2.0],
                      "name": ["a", "b", None, "d"], "flag": [True, False, True, False]})
    pq.write_table(table, tmp_path / "data" / "part.parquet")
    result, node = _run(tmp_path, ParquetExampleGen(input_base=str(tmp_path / "data"), splits={"all": 1}))
    assert node.status == "COMPLETE", node.error
    rows = sorted(read_examples(result.output("ParquetExampleGen", "examples"), "all"),
                  key=lambda r: r["name"] or [b"z"])
    assert rows[0] == {"id": [1], "ratio": [0.5], "name": [b"a"], "flag": [1]}
    assert rows[1]["ratio"] is None and rows[2]["id"] is None and rows[3]["name"] is None


def test_import_tfrecords_gzipped_and_plain_and_reject_garbage(tmp_path):
    import tensorflow as tf

    (tmp_path / "data").mkdir()
    def example(value):
        return tf.train.Example(features=tf.train.Features(feature={
            "v": tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))})).SerializeToString()
    with tf.io.TFRecordWriter(str(tmp_path / "data" / "a.tfrecord.gz"), options="GZIP") as writer:
        for value in range(10):
            writer.write(example(value))
    with tf.io.TFRecordWriter(str(tmp_path / "data" / "b.tfrecord")) as writer:
        for value in range(10, 15):
            writer.write(example(value))
    result, node = _run(tmp_path, ImportExampleGen(input_base=str(tmp_path / "data")))
    assert node.status == "COMPLETE", node.error
    examples = result.output("ImportExampleGen", "examples")
    values = sorted(r["v"][0] for s in ("train", "eval") for r in read_examples(examples, s))
    assert values == list(range(15)) and examples.properties["rows_read"] == 15

    (tmp_path / "data" / "c.tfrecord").write_bytes(b"this is not a tfrecord file at all")
    result, node = _run(tmp_path, ImportExampleGen(input_base=str(tmp_path / "data")))
    assert node.status == "FAILED" and "c.tfrecord" in node.error
