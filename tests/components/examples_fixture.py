"""A stand-in ExampleGen for data-validation tests: seeded synthetic tf.Examples on disk.

`synthetic_examples` writes gzipped TFRecords of tf.Example into `Split-<split>/` with a real
`tf.io.TFRecordWriter`, exactly the Examples layout ExampleGen produces, so StatisticsGen and
ExampleValidator can be tested without depending on ExampleGen. Features:

    platform  BYTES  android / ios / web, with shares the test chooses (drift, skew)
    country   BYTES  US / DE / FR / BR
    age       INT    18..80
    income    FLOAT  normal(50, 10) + income_shift (skew)
    clicked   INT    the label, 0/1; absent when with_label=False (serving requests)
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines import Output, Parameter, component
from pipelines.artifacts import Examples

DEFAULT_SHARES = {"android": 0.5, "ios": 0.3, "web": 0.2}
COUNTRIES = ["US", "DE", "FR", "BR"]

# The data contract of the synthetic data: environments keep the label out of SERVING; drift and
# skew comparators use L-infinity (categorical) and Jensen-Shannon divergence (numeric).
CONTRACT = """
default_environment: "TRAINING"
default_environment: "SERVING"
feature { name: "platform" type: BYTES domain: "platform" presence { min_fraction: 1.0 }
  shape { dim { size: 1 } }
  drift_comparator { infinity_norm { threshold: 0.1 } }
  skew_comparator { infinity_norm { threshold: 0.1 } } }
feature { name: "country" type: BYTES domain: "country" presence { min_fraction: 1.0 }
  shape { dim { size: 1 } }
  drift_comparator { infinity_norm { threshold: 0.1 } } }
feature { name: "age" type: INT int_domain { min: 18 max: 80 } presence { min_fraction: 1.0 }
  shape { dim { size: 1 } } }
feature { name: "income" type: FLOAT presence { min_fraction: 1.0 } shape { dim { size: 1 } }
  skew_comparator { jensen_shannon_divergence { threshold: 0.1 } } }
feature { name: "clicked" type: INT int_domain { min: 0 max: 1 } presence { min_fraction: 1.0 }
  shape { dim { size: 1 } } not_in_environment: "SERVING" }
string_domain { name: "platform" value: "android" value: "ios" value: "web" }
string_domain { name: "country" value: "US" value: "DE" value: "FR" value: "BR" }
"""


def write_contract(path: Path, text: str = CONTRACT) -> Path:
    """Writes a schema.pbtxt (the curated contract by default); returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@component
def synthetic_examples(examples: Output[Examples], span: Parameter[int] = 1,
                       rows: Parameter[int] = 400, platform_shares: Parameter[dict] = DEFAULT_SHARES,
                       income_shift: Parameter[float] = 0.0, with_label: Parameter[bool] = True,
                       splits: Parameter[list] = ["train", "eval"],  # noqa: B006
                       seed: Parameter[int] = 0):
    """Writes `rows` seeded examples per split as gzipped tf.Example TFRecords."""
    import numpy as np
    import tensorflow as tf

    random = np.random.default_rng(seed + 1000 * span)
    names = sorted(platform_shares)
    shares = np.array([platform_shares[n] for n in names], dtype=float)
    for split in splits:
        os.makedirs(examples.split_uri(split))
        path = os.path.join(examples.split_uri(split), "data_tfrecord-00000-of-00001.gz")
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for _ in range(rows):
                features = {
                    "platform": _bytes(names[random.choice(len(names), p=shares / shares.sum())]),
                    "country": _bytes(COUNTRIES[random.integers(len(COUNTRIES))]),
                    "age": _ints(int(random.integers(18, 81))),
                    "income": _floats(float(random.normal(50.0 + income_shift, 10.0))),
                }
                if with_label:
                    features["clicked"] = _ints(int(random.random() < 0.3))
                example = tf.train.Example(features=tf.train.Features(feature=features))
                writer.write(example.SerializeToString())
    examples.span = span
    examples.version = 0
    examples.split_names = list(splits)


def _bytes(value: str):
    import tensorflow as tf

    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))


def _ints(value: int):
    import tensorflow as tf

    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _floats(value: float):
    import tensorflow as tf

    return tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
