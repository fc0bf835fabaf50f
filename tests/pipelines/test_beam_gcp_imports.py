"""Beam's GCP re-exports are imported on first use, and that changes no result.

Each case runs fresh interpreters with the real libraries: importing `pipelines` installs the
hook (pipelines/environment/beam_gcp.py); `STARLING_BEAM_GCP_EAGER=1` imports as Beam does.
"""

import gzip
import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIGQUERY = "apache_beam.io.gcp.bigquery"


def _python(code: str, eager: bool = False) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "STARLING_BEAM_GCP_EAGER"}
    if eager:
        env["STARLING_BEAM_GCP_EAGER"] = "1"
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_local_beam_run_imports_no_bigquery_and_its_names_still_resolve(tmp_path):
    done = _python(f"""
        import sys
        import pipelines, apache_beam as beam
        assert {BIGQUERY!r} not in sys.modules
        with beam.Pipeline() as pipeline:
            _ = pipeline | beam.Create([b"a", b"b"]) | beam.io.WriteToTFRecord({str(tmp_path / "out")!r})
        assert {BIGQUERY!r} not in sys.modules
        from apache_beam.io import ReadFromBigQuery, WriteToPubSub
        import apache_beam.io.gcp.bigquery as bigquery
        assert beam.io.ReadFromBigQuery is ReadFromBigQuery is bigquery.ReadFromBigQuery
        assert beam.io.gcp.pubsub.WriteToPubSub is WriteToPubSub
        try:
            beam.io.NoSuchTransform
        except AttributeError as error:
            assert "NoSuchTransform" in str(error)
        print("ok")
        """)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]


def test_the_opt_out_imports_them_as_beam_does():
    done = _python(f"import sys, pipelines, apache_beam\nprint({BIGQUERY!r} in sys.modules)", eager=True)
    assert done.returncode == 0 and done.stdout.strip().endswith("True"), done.stderr[-3000:]


RUN = """
    import json, sys
    sys.path.insert(0, "templates/ctr")
    from components import CsvExampleGen, ImportSchemaGen, StatisticsGen, Transform
    from pipelines import LocalRunner, Pipeline
    schema = ImportSchemaGen(schema_file="schemas/ctr.pbtxt")
    gen = CsvExampleGen(input_base={data!r}, pattern="day-{{SPAN}}/*.csv", schema=schema.outputs["schema"])
    stats = StatisticsGen(examples=gen.outputs["examples"], schema=schema.outputs["schema"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file="templates/ctr/preprocessing.py")
    result = LocalRunner().run(Pipeline("gcp-imports", {root!r}, [schema, gen, stats, transform]))
    print(json.dumps({{key: node.status for key, node in result.nodes.items()}}))
    print("bigquery imported:", {bigquery!r} in sys.modules)
"""


def _run(root: Path, data: Path, eager: bool) -> tuple[dict, str]:
    done = _python(RUN.format(root=str(root), data=str(data), bigquery=BIGQUERY), eager=eager)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-2]), lines[-1]


def _examples(path: Path) -> list[dict]:
    """A gzip TFRecord file's tf.Examples as feature dicts, sorted (Beam's order may vary)."""
    from tensorflow.core.example import example_pb2

    data, records = gzip.decompress(path.read_bytes()), []
    while data:
        length = struct.unpack("<Q", data[:8])[0]
        features = example_pb2.Example.FromString(data[12:12 + length]).features.feature
        records.append({name: list(getattr(value, value.WhichOneof("kind")).value)
                        for name, value in features.items()})
        data = data[16 + length:]
    return sorted(records, key=lambda record: sorted((name, [round(v, 3) if isinstance(v, float) else v
                                                             for v in values])
                                                     for name, values in record.items()))


def _assert_same_examples(left: list[dict], right: list[dict]) -> None:
    """Equal ids and labels; z-scores equal up to float summation order (1e-6)."""
    assert len(left) == len(right)
    for one, other in zip(left, right, strict=True):
        assert one.keys() == other.keys()
        for name, values in one.items():
            assert values == pytest.approx(other[name], rel=1e-6, abs=1e-6), name


def _outputs(root: Path) -> dict[str, object]:
    """Transformed examples, vocabularies and statistics, by path under the root."""
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if "transformed_examples" in relative and path.suffix == ".gz":
            found[relative] = _examples(path)
        elif path.is_file() and ("transform_fn/assets" in relative or relative.startswith("StatisticsGen/")):
            found[relative] = path.read_bytes()
    return found


def test_lazy_and_eager_runs_share_cache_keys_and_write_the_same_artifacts(tmp_path):
    sys.path.insert(0, str(REPO / "templates" / "ctr"))
    from data_generator import CtrDataConfig, write_days

    write_days(tmp_path / "data", [1], CtrDataConfig(rows_per_day=600))
    lazy, imported = _run(tmp_path / "lazy", tmp_path / "data", eager=False)
    assert set(lazy.values()) == {"COMPLETE"} and imported == "bigquery imported: False"
    cached, _ = _run(tmp_path / "lazy", tmp_path / "data", eager=True)  # same cache keys either way
    assert set(cached.values()) == {"CACHED"}
    eager, imported = _run(tmp_path / "eager", tmp_path / "data", eager=True)
    assert set(eager.values()) == {"COMPLETE"} and imported == "bigquery imported: True"
    lazy_outputs, eager_outputs = _outputs(tmp_path / "lazy"), _outputs(tmp_path / "eager")
    assert any("transformed_examples" in path for path in lazy_outputs)
    assert any(path.startswith("StatisticsGen/") for path in lazy_outputs)
    assert lazy_outputs.keys() == eager_outputs.keys()
    for path, lazy_value in lazy_outputs.items():
        if isinstance(lazy_value, list):
            _assert_same_examples(lazy_value, eager_outputs[path])
        else:
            assert lazy_value == eager_outputs[path], path
