"""Starling sets up TensorFlow's environment itself: tf_keras, KerasTuner on it, quiet C++ logs.

Every case runs a fresh interpreter under `env -i` (only PATH and HOME), as a user's shell or
Jupyter kernel starts: nothing may come from the environment the tests were started in.
"""

import os
import subprocess
import sys

CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=CLEAN_ENV, capture_output=True, text=True,
                          timeout=300)


def test_import_pipelines_binds_tf_keras_and_keras_tuner_to_it():
    done = _python(
        "import pipelines, tensorflow as tf, tf_keras, keras_tuner\n"
        "from keras_tuner.src.backend import config\n"
        "from tensorflow.keras import layers\n"
        "assert tf.keras.Model is tf_keras.Model and layers.Dense is tf_keras.layers.Dense\n"
        "assert not config.multi_backend()\n"
        "print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_tensorflow_imported_first_is_rerouted_while_tf_keras_is_unused():
    done = _python(
        "import tensorflow as tf, tf_keras\n"
        "import components\n"
        "from tensorflow.keras import layers\n"
        "assert tf.keras.Model is tf_keras.Model and layers.Dense is tf_keras.layers.Dense\n"
        "print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_keras_3_bound_first_fails_at_import_with_one_line_that_says_what_to_do():
    done = _python("import tensorflow as tf\ntf.keras.layers.Dense(1)\nimport pipelines")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("pipelines.environment.KerasVersionError: tf.keras was already bound to Keras 3")
    assert "import pipelines (or components) before using tf.keras" in last
    assert "TF_USE_LEGACY_KERAS=1" in last


def test_importing_tensorflow_through_starling_prints_no_cuda_registration_errors():
    done = _python("from pipelines.environment import import_tensorflow_quietly\n"
                   "tf = import_tensorflow_quietly()\nprint(int(tf.constant(2)))")
    assert done.returncode == 0 and done.stdout.strip() == "2", done.stderr[-2000:]
    for noise in ("cuFFT", "cuDNN", "cuBLAS"):
        assert noise not in done.stderr
