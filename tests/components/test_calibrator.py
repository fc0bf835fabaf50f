"""Isotonic calibration: the fit is monotone and least-squares; the TF graph interpolates as NumPy does."""

import numpy as np
import pytest

from components.calibrator import expected_calibration_error, fit_isotonic
from components.calibrator.export import interpolate


def test_isotonic_fit_pools_violators_into_block_means():
    xs, ys = fit_isotonic(np.array([0.4, 0.1, 0.3, 0.2, 0.5]), np.array([1, 0, 0, 1, 1]))
    assert xs.tolist() == [0.1, 0.1, 0.2, 0.3, 0.4, 0.5]  # blocks: {0.1}, {0.2, 0.3}, {0.4, 0.5}
    assert ys.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]


def test_isotonic_fit_repairs_a_miscalibrated_score():
    rng = np.random.default_rng(0)
    scores = rng.random(4000)
    labels = (rng.random(4000) < scores ** 3).astype(float)  # the score overstates the rate
    xs, ys = fit_isotonic(scores, labels)
    assert np.all(np.diff(ys) >= 0)
    before = expected_calibration_error(scores, labels)
    after = expected_calibration_error(np.interp(scores, xs, ys), labels)
    assert before > 0.2 and after < 0.02


def test_isotonic_fit_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="as many labels as scores"):
        fit_isotonic(np.array([0.1, 0.2]), np.array([1]))


def test_tensorflow_interpolation_matches_numpy_inside_and_beyond_the_knots():
    rng = np.random.default_rng(1)
    xs, ys = fit_isotonic(rng.random(300), (rng.random(300) < 0.3).astype(float))
    values = np.concatenate([rng.random(500), [-1.0, 0.0, 1.0, 2.0], xs]).astype(np.float32).reshape(-1, 1)
    got = interpolate(values, xs.astype(np.float32), ys.astype(np.float32)).numpy()
    assert got.shape == values.shape
    np.testing.assert_allclose(got.reshape(-1), np.interp(values.reshape(-1), xs, ys), atol=1e-5)


def test_tensorflow_interpolation_is_flat_beyond_sloped_ends():
    xs, ys = np.array([0.2, 0.5, 0.8], np.float32), np.array([0.1, 0.4, 0.9], np.float32)
    values = np.array([-1.0, 0.0, 0.2, 0.35, 0.8, 1.0, 3.0], np.float32)
    np.testing.assert_allclose(interpolate(values, xs, ys).numpy(), np.interp(values, xs, ys), atol=1e-6)


def _calibrate(tmp_path, label_key):
    from components import Calibrator
    from pipelines import LocalRunner, Pipeline
    from tests.components.examples_fixture import synthetic_examples
    from tests.components.model_fixture import tiny_model

    examples = synthetic_examples(rows=300)
    model = tiny_model()
    calibrator = Calibrator(model=model.outputs["model"], examples=examples.outputs["examples"],
                            label_key=label_key, split="eval")
    return LocalRunner().run(Pipeline("calibrate", str(tmp_path / "root"), [examples, model, calibrator]))


def test_calibrator_wraps_the_model_and_serves_calibrated_and_raw_scores(tmp_path):
    import tensorflow as tf

    result = _calibrate(tmp_path, "clicked")
    assert result.status == "COMPLETE", result.nodes["Calibrator"].error
    calibrated = result.output("Calibrator", "calibrated_model")
    props = calibrated.properties
    assert props["calibration_examples"] == 300 and props["ece_after"] < props["ece_before"]
    assert props["base_model_id"] == result.output("tiny_model", "model").id
    example = tf.train.Example(features=tf.train.Features(feature={
        "age": tf.train.Feature(int64_list=tf.train.Int64List(value=[40])),
        "income": tf.train.Feature(float_list=tf.train.FloatList(value=[55.0]))})).SerializeToString()
    served = tf.saved_model.load(calibrated.path("Format-Serving")).signatures["serving_default"](
        examples=tf.constant([example]))
    base = tf.saved_model.load(result.output("tiny_model", "model").path("Format-Serving"))
    raw = base.signatures["serving_default"](examples=tf.constant([example]))["outputs"].numpy()
    np.testing.assert_allclose(served["raw_score"].numpy(), raw, rtol=1e-6)
    assert served["outputs"].shape == raw.shape and 0.0 <= float(served["outputs"][0, 0]) <= 1.0


def test_calibrator_names_a_missing_label(tmp_path):
    result = _calibrate(tmp_path, "nope")
    assert "has no single numeric 'nope' label" in result.nodes["Calibrator"].error
