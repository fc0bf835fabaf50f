"""Starling's runtime environment: what TensorFlow, tf_keras and KerasTuner need, set up by Starling.

Nothing has to be exported before Starling runs. Importing `pipelines` (which `components`,
`serving`, the `starling` command, a Kubeflow step and a Beam worker all do) calls
`prepare_runtime()`, which, before TensorFlow is imported:

- routes `tf.keras` to tf_keras (Keras 2), as TFT, TFMA and TFX user modules expect
  (`TF_USE_LEGACY_KERAS=1`);
- makes any later `import keras_tuner` bind tf_keras;
- quiets TensorFlow's C++ start-up log (`TF_CPP_MIN_LOG_LEVEL=2`, unless the user set it);
- defers Beam's BigQuery/Pub/Sub re-exports in `apache_beam.io` to their first use
  (`beam_gcp.py`; `STARLING_BEAM_GCP_EAGER=1` turns that off).

When TensorFlow was imported first, `tf.keras` is re-routed as long as it was not used yet; when
Keras 3 is already bound (`tf.keras` used, or KerasTuner imported for Keras 3), importing Starling
fails with one line that says what to do.

Example:
    >>> import pipelines  # prepare_runtime() has run: tf.keras is tf_keras from here on
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from types import ModuleType

from pipelines.environment.beam_gcp import install_beam_gcp_hook
from pipelines.environment.keras_tuner_binding import install_import_hook, keras_tuner_bound_to_keras3

LEGACY_KERAS = "TF_USE_LEGACY_KERAS"
TF_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
_TRUE = ("1", "true", "True")


class KerasVersionError(ImportError):
    """Keras 3 was bound before Starling was imported; Starling's models need tf_keras."""


def _advice(what: str) -> str:
    return (f"{what} before Starling was imported, but Starling's models are tf_keras (Keras 2): "
            "import pipelines (or components) before using tf.keras or keras_tuner, or start Python "
            f"with {LEGACY_KERAS}=1")


def _reroute_imported_tensorflow() -> None:
    """TensorFlow imported before Starling: route its still-unused `tf.keras` to tf_keras."""
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is None or getattr(tensorflow, "_tf_uses_legacy_keras", True):
        return
    keras = vars(tensorflow).get("keras")
    if keras is not None and getattr(keras, "_tfll_initialized", True):  # resolved: a used loader, a module
        version = str(getattr(keras, "_tfll_keras_version", None) or getattr(keras, "__name__", ""))
        if not version.startswith("tf_keras"):
            raise KerasVersionError(_advice("tf.keras was already bound to Keras 3"))
        return
    from tensorflow.python.tools import module_util

    tf_keras_api = module_util.get_parent_dir_for_name("tf_keras.api._v2.keras")
    keras3_dirs = {module_util.get_parent_dir_for_name(name)
                   for name in ("keras.api._v2.keras", "keras._tf_keras.keras")}
    tensorflow.__path__[:] = [tf_keras_api, *(path for path in tensorflow.__path__
                                              if path not in keras3_dirs)]
    tensorflow._tf_uses_legacy_keras = True  # type: ignore[attr-defined]


def prepare_runtime() -> None:
    """Sets up tf_keras, KerasTuner, quiet TensorFlow logs and Beam's lazy GCP names (idempotent).

    Raises:
        KerasVersionError: `tf.keras` or KerasTuner was already bound to Keras 3.
    """
    if os.environ.get(LEGACY_KERAS) not in _TRUE:
        os.environ[LEGACY_KERAS] = "1"
    os.environ.setdefault(TF_LOG_LEVEL, "2")
    _reroute_imported_tensorflow()
    if keras_tuner_bound_to_keras3():
        raise KerasVersionError(_advice("keras_tuner was imported for Keras 3"))
    install_import_hook()
    install_beam_gcp_hook()


_CUDA_REGISTRATION_NOISE = re.compile(rb"Unable to register cu(FFT|DNN|BLAS) factory")


def import_tensorflow_quietly() -> ModuleType:
    """Imports TensorFlow without its CUDA plugin registration errors on a CPU machine.

    TensorFlow 2.16 logs "Unable to register cuFFT/cuDNN/cuBLAS factory" at ERROR level from C++
    while it imports, whatever `TF_CPP_MIN_LOG_LEVEL` below 3 says; nothing is wrong. Those three
    lines are dropped; anything else it writes to stderr meanwhile is passed on.

    Example:
        >>> tf = import_tensorflow_quietly()  # doctest: +SKIP
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    prepare_runtime()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured:
                if not _CUDA_REGISTRATION_NOISE.search(line):
                    os.write(2, line)
    return tensorflow
