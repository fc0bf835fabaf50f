"""Calibrator: isotonic calibration of a binary model's score, exported inside its serving signature."""

from components.calibrator.component import Calibrator
from components.calibrator.export import export_calibrated_model
from components.calibrator.isotonic import expected_calibration_error, fit_isotonic

__all__ = ["Calibrator", "expected_calibration_error", "export_calibrated_model", "fit_isotonic"]
