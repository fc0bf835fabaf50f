"""Transform's batched in-memory path writes what TFT's Beam path writes (issue 25: Transform's I/O).

Real TFT, the ctr template's preprocessing_fn (vocabularies, hashing, z-scores, clipping), a few
thousand generated rows read from two CSV files, so each split has two input shards. Integer and
string features, vocabularies and metadata must be equal; floats from numeric analyzers (the
z-scores' means and variances) within 1e-6, since TFT sums each analyzed batch in float32 and the
Beam path batches adaptively (see components/transform_in_memory.py).
"""

import filecmp
import glob
import os
import sys
from pathlib import Path

import pytest

from components import CsvExampleGen, ImportSchemaGen, Transform
from pipelines import LocalRunner, Pipeline

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "templates" / "ctr"))

from data_generator import CtrDataConfig, generate_day  # noqa: E402


@pytest.fixture(scope="module")
def both_paths(tmp_path_factory):
    work = tmp_path_factory.mktemp("transform_paths")
    frame = generate_day(1, CtrDataConfig(rows_per_day=3000))
    (work / "data").mkdir()
    half = len(frame) // 2
    frame.iloc[:half].to_csv(work / "data" / "part-0.csv", index=False)
    frame.iloc[half:].to_csv(work / "data" / "part-1.csv", index=False)
    gen = CsvExampleGen(input_base=str(work / "data"))
    schema = ImportSchemaGen(schema_file=str(REPO / "schemas" / "ctr.pbtxt"))
    module = str(REPO / "templates" / "ctr" / "preprocessing.py")
    batched = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                        module_file=module)
    on_beam = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"], module_file=module,
                        in_memory_limit_bytes=0).with_id("beam_transform")
    pipeline = Pipeline("transform_paths", str(work / "root"), [gen, schema, batched, on_beam])
    result = LocalRunner().run(pipeline)
    assert result.status == "COMPLETE", {k: v.error for k, v in result.nodes.items()}
    paths = {name: (result.output(name, "transformed_examples"), result.output(name, "transform_graph"))
             for name in ("Transform", "beam_transform")}
    paths["raw"] = (result.output("CsvExampleGen", "examples"), None)
    return paths


def _records(examples, split):
    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples.split_uri(split), "*.gz")))
    return [record.numpy() for record in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _features(record):
    """A tf.Example as ((name, values), ...) sorted by name."""
    import tensorflow as tf

    features = tf.train.Example.FromString(record).features.feature
    return tuple(sorted((name, tuple(getattr(feature, feature.WhichOneof("kind")).value))
                        for name, feature in features.items()))


def _exact_part(features):
    return tuple(item for item in features if not isinstance(item[1][0], float))


def _assert_same_examples(mine, theirs, split):
    """Equal as multisets: integer features exactly, float features within 1e-6."""
    import numpy as np

    assert len(mine) == len(theirs) > 500, split
    mine, theirs = sorted(mine), sorted(theirs)  # tuples: exact features decide, then floats
    for index, (got, expected) in enumerate(zip(mine, theirs, strict=True)):
        assert _exact_part(got) == _exact_part(expected), (split, index)
        assert [name for name, _ in got] == [name for name, _ in expected], (split, index)
        floats = [(a, b) for (_, a), (_, b) in zip(got, expected, strict=True) if isinstance(b[0], float)]
        assert floats, "the ctr module writes z-scores"
        for a, b in floats:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{split} {index}")


def _files(directory):
    return sorted(os.path.relpath(path, directory) for path in glob.glob(f"{directory}/**/*", recursive=True)
                  if os.path.isfile(path))


def test_batched_path_writes_the_beam_paths_examples_in_input_order(both_paths):
    (batched, _), (on_beam, _) = both_paths["Transform"], both_paths["beam_transform"]
    raw, _ = both_paths["raw"]
    assert (batched.properties["computed"], on_beam.properties["computed"]) == ("in memory", "beam")
    assert batched.split_names == on_beam.split_names == ["train", "eval"]
    for split in ("train", "eval"):
        mine = [_features(record) for record in _records(batched, split)]
        _assert_same_examples(mine, [_features(record) for record in _records(on_beam, split)], split)
        labels = [dict(features)["clicked"] for features in mine]
        assert labels == [dict(_features(record))["clicked"] for record in _records(raw, split)], split


def test_batched_path_writes_the_beam_paths_transform_graph(both_paths):
    (_, batched), (_, on_beam) = both_paths["Transform"], both_paths["beam_transform"]
    files = _files(on_beam.uri)
    assert _files(batched.uri) == files
    vocabularies = [name for name in files if name.startswith("transform_fn/assets/")]
    assert sorted(os.path.basename(name) for name in vocabularies) == ["ad_category", "country", "platform"]
    for name in files:
        if name.startswith("transform_fn/assets/") or name.startswith("transformed_metadata/"):
            assert filecmp.cmp(os.path.join(batched.uri, name), os.path.join(on_beam.uri, name),
                               shallow=False), name


def test_both_graphs_transform_raw_examples_alike(both_paths):
    """The saved graphs (whose protos hold temporary paths) compute the same features."""
    import numpy as np
    import tensorflow as tf
    import tensorflow_transform as tft

    (_, batched), (_, on_beam) = both_paths["Transform"], both_paths["beam_transform"]
    columns = {"country": ["US", "DE", "ZZ"], "platform": ["ios", "web", "android"],
               "ad_category": ["travel", "games", "?"], "advertiser_id": ["a1", "b", "c"],
               "hour": [3, 30, 12], "user_ctr_30d": [0.01, 0.2, 0.0],
               "user_past_impressions_7d": [1, 20, 300],
               "user_past_clicks_7d": [0, 1, 2], "clicked": [0, 1, 0], "user_id": [1, 2, 3]}
    spec = tft.TFTransformOutput(on_beam.uri).raw_feature_spec()
    raw = {name: tf.constant([[value] for value in values], spec[name].dtype)
           for name, values in columns.items()}
    mine = tft.TFTransformOutput(batched.uri).transform_raw_features(raw)
    theirs = tft.TFTransformOutput(on_beam.uri).transform_raw_features(raw)
    assert sorted(mine) == sorted(theirs)
    for name in theirs:
        if theirs[name].dtype.is_floating:
            np.testing.assert_allclose(mine[name].numpy(), theirs[name].numpy(), rtol=1e-6, err_msg=name)
        else:
            np.testing.assert_array_equal(mine[name].numpy(), theirs[name].numpy(), err_msg=name)
