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
