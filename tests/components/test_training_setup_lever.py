"""Speed never changes a result: training with tf_keras exempt from AutoGraph (the Trainer's and
Tuner's set-up, ~20 s less per model) gives bit-identical weights to training with AutoGraph
converting tf_keras, in two fresh processes (the exemption is process-wide)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e  # two fresh TensorFlow processes, one paying AutoGraph's ~20 s

TRAIN = """
import hashlib, sys
import pipelines
from components.trainer import training_setup
if sys.argv[1] == "exempt":
    training_setup.prepare_training(7)
else:  # seeds only, as prepare_training does, with AutoGraph converting tf_keras's internals
    import tf_keras
    tf_keras.utils.set_random_seed(7)
import numpy as np
import tf_keras
features = np.random.default_rng(0).normal(size=(512, 6)).astype("float32")
labels = (features[:, 0] + features[:, 1] * features[:, 2] > 0).astype("float32")
inputs = tf_keras.Input(shape=(6,))
hidden = tf_keras.layers.Dense(16, activation="relu")(inputs)
hidden = tf_keras.layers.Dropout(0.2)(hidden)
model = tf_keras.Model(inputs, tf_keras.layers.Dense(1, activation="sigmoid")(hidden))
model.compile(optimizer=tf_keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["AUC"])
model.fit(features, labels, batch_size=64, epochs=3, verbose=0)
digest = hashlib.sha256(b"".join(weight.tobytes() for weight in model.get_weights())).hexdigest()
print("WEIGHTS", digest)
"""


def _trained_weights(mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", TRAIN, mode], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("WEIGHTS"))


def test_tf_keras_exempt_from_autograph_trains_bit_identical_weights():
    assert _trained_weights("exempt") == _trained_weights("converted")
