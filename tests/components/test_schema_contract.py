"""CsvExampleGen against the curated schema: what breaks the contract is refused at ingestion.

The hostile inputs of issue 22: an Excel CSV (byte-order mark), a dropped column, `clicked=2`,
NaN and inf in a bounded float, a country outside the domain, an integer too large for int64,
a 2 MB field, an empty schema file. Each is named by file, line, column and value.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from components import CsvExampleGen, ImportSchemaGen
from components.example_gen.contract import BadSchemaFile, load_schema_file, rules_from_schema
from pipelines import LocalRunner, Pipeline
from tests.components.conftest import read_examples

REPO = Path(__file__).resolve().parents[2]
CTR_SCHEMA = REPO / "schemas" / "ctr.pbtxt"
HEADER = ("user_id,country,platform,hour,ad_category,advertiser_id,user_past_impressions_7d,"
          "user_past_clicks_7d,user_ctr_30d,clicked")


def _ctr_row(user_id=7, country="US", hour="13", ctr="0.02", clicked="0"):
    return f"{user_id},{country},ios,{hour},tech,adv_00001,40,1,{ctr},{clicked}"


def _good_rows(count):
    return [_ctr_row(user_id=index, hour=str(index % 24)) for index in range(count)]


def _run(root, nodes):
    result = LocalRunner().run(Pipeline("contract", str(root), nodes, enable_cache=False))
    return result, result.nodes[nodes[-1].id]


def _with_schema(tmp_path, schema_file=CTR_SCHEMA, **options):
    schema = ImportSchemaGen(schema_file=str(schema_file))
    gen = CsvExampleGen(input_base=str(tmp_path / "data"), schema=schema.outputs["schema"], **options)
    return [schema, gen]


def _rejected(examples):
    return {row["line"]: row["reason"] for path in Path(examples.path("Rejected")).glob("*.jsonl")
            for row in map(json.loads, path.read_text().splitlines())}


@pytest.mark.parametrize(("bad_row", "message"), [
    (_ctr_row(clicked="2"), "day.csv:5: column 'clicked': 2 is outside the schema's range [0, 1]"),
    (_ctr_row(ctr="nan"), "day.csv:5: column 'user_ctr_30d': nan is outside the schema's range [0, 1]"),
    (_ctr_row(ctr="inf"), "day.csv:5: column 'user_ctr_30d': inf is outside the schema's range [0, 1]"),
    (_ctr_row(hour="24"), "day.csv:5: column 'hour': 24 is outside the schema's range [0, 23]"),
    (_ctr_row(country="ZZ"), "day.csv:5: column 'country': 'ZZ' is not in the schema's domain 'country' "
                             "(AR, AU, BR, CA, DE, EG, ES, FR, ... (20 values))"),
    (_ctr_row(hour=""), "day.csv:5: column 'hour': missing value; the schema requires one in every row"),
])
def test_a_row_breaking_the_curated_schema_fails_naming_file_line_column_and_value(
        tmp_path, write_csv, bad_row, message):
    write_csv("day.csv", "\n".join([HEADER, *_good_rows(3), bad_row, *_good_rows(3)]) + "\n")
    _result, node = _run(tmp_path / "root", _with_schema(tmp_path))
    assert node.status == "FAILED"
    assert message in node.error
    assert not list((tmp_path / "root" / "CsvExampleGen").glob("examples/*"))  # nothing LIVE


def test_tolerated_rows_that_break_the_schema_go_to_rejected_with_their_reasons(tmp_path, write_csv):
    bad = [_ctr_row(clicked="2"), _ctr_row(ctr="-inf"), _ctr_row(country="ZZ"), _ctr_row(hour="x")]
    write_csv("day.csv", "\n".join([HEADER, *_good_rows(50), *bad, *_good_rows(10)]) + "\n")
    result, node = _run(tmp_path / "root", _with_schema(tmp_path, tolerate_bad_rows=True))
    assert node.status == "COMPLETE", node.error
    examples = result.output("CsvExampleGen", "examples")
    assert (examples.properties["rows_rejected"], examples.properties["rows_written"]) == (4, 60)
    rejected = _rejected(examples)
    assert sorted(rejected) == [52, 53, 54, 55]
    assert rejected[52].startswith("column 'clicked': 2 is outside")
    assert rejected[53] == "column 'user_ctr_30d': -inf is outside the schema's range [0, 1]"
    assert rejected[54].startswith("column 'country': 'ZZ' is not in the schema's domain")
    assert rejected[55] == "column 'hour': cannot parse 'x' as an integer"
    labels = {row["clicked"][0] for split in ("train", "eval") for row in read_examples(examples, split)}
    assert labels == {0}


def test_a_dropped_required_column_fails_naming_the_file_and_column(tmp_path, write_csv):
    header = HEADER.replace(",clicked", "")
    rows = [row.rsplit(",", 1)[0] for row in _good_rows(5)]
    write_csv("day.csv", "\n".join([header, *rows]) + "\n")
    _result, node = _run(tmp_path / "root", _with_schema(tmp_path))
    assert node.status == "FAILED"
    assert "day.csv:1: missing column 'clicked', required by the schema" in node.error


def test_an_excel_byte_order_mark_is_not_part_of_the_first_column(tmp_path, write_csv):
    path = write_csv("day.csv", "\n".join([HEADER, *_good_rows(30)]) + "\n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result, node = _run(tmp_path / "root", _with_schema(tmp_path))
    assert node.status == "COMPLETE", node.error
    rows = read_examples(result.output("CsvExampleGen", "examples"), "train")
    assert rows and all(isinstance(row["user_id"][0], int) for row in rows)
    assert "\ufeffuser_id" not in rows[0]

    result, node = _run(tmp_path / "inferred", [CsvExampleGen(input_base=str(tmp_path / "data"))])
    assert node.status == "COMPLETE", node.error
    assert "user_id" in read_examples(result.output("CsvExampleGen", "examples"), "train")[0]


def test_the_ctr_templates_generated_data_meets_its_schema(tmp_path):
    path = REPO / "templates" / "ctr" / "data_generator.py"
    spec = importlib.util.spec_from_file_location("ctr_data", path)
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # its dataclass looks its module up
    spec.loader.exec_module(generator)
    generator.write_days(tmp_path / "data", [1, 2], generator.CtrDataConfig(rows_per_day=3000))
    result, node = _run(tmp_path / "root", _with_schema(tmp_path, pattern="day-{SPAN}/*.csv"))
    assert node.status == "COMPLETE", node.error
    properties = result.output("CsvExampleGen", "examples").properties
    counts = (properties["rows_read"], properties["rows_rejected"], properties["rows_written"])
    assert counts == (3000, 0, 3000)


def test_the_penguin_templates_data_with_its_missing_values_meets_its_schema(tmp_path):
    from templates.penguin.data import write_penguins

    write_penguins(str(tmp_path / "data"))
    result, node = _run(tmp_path / "root", _with_schema(tmp_path, REPO / "schemas" / "penguin.pbtxt"))
    assert node.status == "COMPLETE", node.error
    properties = result.output("CsvExampleGen", "examples").properties
    assert (properties["rows_read"], properties["rows_rejected"]) == (344, 0)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty.pbtxt: the schema file is empty"),
    ("# only a comment\n", "empty.pbtxt: the schema declares no features"),
    ("feature { name: 'x' type: INT", "empty.pbtxt: not a valid Schema"),
])
def test_an_empty_or_unparsable_schema_file_is_an_error_naming_it(tmp_path, write_csv, text, message):
    (tmp_path / "empty.pbtxt").write_text(text)
    write_csv("day.csv", "\n".join([HEADER, *_good_rows(5)]) + "\n")
    _result, node = _run(tmp_path / "root", _with_schema(tmp_path, tmp_path / "empty.pbtxt"))
    assert node.status == "SKIPPED"
    assert message in _result.nodes["ImportSchemaGen"].error
    with pytest.raises(BadSchemaFile, match=message):
        load_schema_file(str(tmp_path / "empty.pbtxt"))


def test_an_integer_too_large_for_int64_fails_and_never_turns_the_column_float(tmp_path, write_csv):
    rows = [f"{9007199254740993 + index},{index}" for index in range(300)]
    write_csv("day.csv", "\n".join(["user_id,n", *rows[:100], "99999999999999999999,1", *rows[100:]]) + "\n")
    _result, node = _run(tmp_path / "root", [CsvExampleGen(input_base=str(tmp_path / "data"))])
    assert node.status == "FAILED"
    assert "day.csv:102: column 'user_id': 99999999999999999999 does not fit a 64-bit integer" in node.error

    tolerant = CsvExampleGen(input_base=str(tmp_path / "data"), tolerate_bad_rows=True, splits={"all": 1})
    result, node = _run(tmp_path / "tolerant", [tolerant])
    assert node.status == "COMPLETE", node.error
    rows = read_examples(result.output("CsvExampleGen", "examples"), "all")
    ids = sorted(row["user_id"][0] for row in rows)
    assert ids == [9007199254740993 + index for index in range(300)]  # exact: int64, not float


def test_a_number_too_large_for_a_32_bit_float_is_a_bad_row(tmp_path, write_csv):
    write_csv("day.csv", "x\n" + "0.5\n" * 200 + "1e39\n")
    _result, node = _run(tmp_path / "root", [CsvExampleGen(input_base=str(tmp_path / "data"))])
    assert node.status == "FAILED"
    assert "day.csv:202: column 'x': 1e39 does not fit a 32-bit float" in node.error


def test_an_oversized_field_names_its_line_and_column(tmp_path, write_csv):
    write_csv("day.csv", "id,comment\n1,short\n2,short\n3," + "y" * (2 << 20) + "\n4,short\n")
    _result, node = _run(tmp_path / "root", [CsvExampleGen(input_base=str(tmp_path / "data"))])
    assert node.status == "FAILED"
    assert "day.csv:4: a row of 2097155 bytes is larger than the reader's limit of 1048576 bytes per row " \
           "(column 'comment' holds 2097152 bytes)" in node.error


def test_rules_read_from_a_schema_without_running_a_pipeline():
    import pyarrow as pa

    rules = rules_from_schema(load_schema_file(str(CTR_SCHEMA)))
    assert rules["clicked"].in_every_row and (rules["clicked"].low, rules["clicked"].high) == (0, 1)
    assert len(rules["country"].domain) == 20 and rules["user_ctr_30d"].disallow_nan

    schema = load_schema_file(str(CTR_SCHEMA))
    feature = next(f for f in schema.feature if f.name == "country")
    feature.distribution_constraints.min_domain_mass = 0.9  # some values may fall outside
    assert rules_from_schema(schema)["country"].domain is None
    countries = pa.array([b"US", None, b"ZZ"], pa.large_binary())  # missing is not out of domain
    assert list(rules["country"].violations(countries, pa.array(["US", None, "ZZ"]))) == [1, 2]

    text = pa.array(["0.5", "nan", None, "1.5"], pa.large_string())
    values = pa.array([0.5, float("nan"), None, 1.5], pa.float32())
    assert rules["user_ctr_30d"].violations(values, text) == {
        1: "column 'user_ctr_30d': nan is outside the schema's range [0, 1]",
        2: "column 'user_ctr_30d': missing value; the schema requires one in every row "
           "(presence min_fraction 1)",
        3: "column 'user_ctr_30d': 1.5 is outside the schema's range [0, 1]"}
