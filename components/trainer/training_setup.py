"""What Trainer and Tuner set up in the process before the user's `run_fn` or `tuner_fn` runs.

- **Seeds.** Trainer and Tuner take `random_seed` (0 by default): Python's `random`, NumPy and
  TensorFlow are seeded with it, so a rerun with the same inputs (`--no-cache`) initializes,
  shuffles and samples hyperparameters the same way. KerasTuner draws its own seed from Python's
  `random` when the user's tuner names none, so its trial sequence repeats too.
  `random_seed=None` leaves every generator as it is.
- **No AutoGraph conversion of tf_keras.** TensorFlow 2.16's AutoGraph leaves the `keras`
  package alone but converts tf_keras's own internals on the first step of every `fit`, which
  costs about 20 s per model; tf_keras's code needs no conversion (the `keras` package is
  exempted for the same reason), and the trained weights are the same.
"""

from __future__ import annotations

TF_KERAS = "tf_keras"


def _exempt_tf_keras_from_autograph() -> None:
    from tensorflow.python.autograph.core import config

    if not any(isinstance(rule, config.DoNotConvert) and rule.matches(TF_KERAS)
               for rule in config.CONVERSION_RULES):
        config.CONVERSION_RULES = (config.DoNotConvert(TF_KERAS), *config.CONVERSION_RULES)


def prepare_training(seed: int | None) -> None:
    """Seeds Python's `random`, NumPy and TensorFlow (unless `seed` is None); exempts tf_keras from AutoGraph.

    Example:
        >>> prepare_training(0)  # doctest: +SKIP
    """
    _exempt_tf_keras_from_autograph()
    if seed is not None:
        import tf_keras

        tf_keras.utils.set_random_seed(seed)
