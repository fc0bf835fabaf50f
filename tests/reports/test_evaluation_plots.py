"""Evaluation report plots: per-slice inline SVG whose curves read back as the summary's points."""

import re
import xml.etree.ElementTree as ElementTree

from pipelines.reports.evaluation import EvaluationReport

ROC = [[0.0, 0.0], [0.1, 0.6], [0.4, 0.9], [1.0, 1.0]]
PR = [[0.2, 0.9], [0.6, 0.7], [1.0, 0.3]]
CALIBRATION = [[0.05, 0.04, 700.0], [0.31, 0.35, 80.0], [0.72, 0.69, 20.0]]


def _summary():
    plots = {"calibration": CALIBRATION, "roc": ROC, "pr": PR}
    return {"blessed": True, "has_baseline": False, "min_slice_size": 10, "failures": [],
            "slices": [{"slice": "Overall", "example_count": 800.0, "small": False, "plots": plots,
                        "metrics": {"auc": {"candidate": 0.8}}},
                       {"slice": "position=1", "example_count": 90.0, "small": False,
                        "plots": {"roc": [*ROC[::2], ROC[-1]]}, "metrics": {"auc": {"candidate": 0.7}}},
                       {"slice": "position=2", "example_count": 90.0, "small": False,
                        "metrics": {"auc": {"candidate": 0.6}}}]}


PLOT_BLOCK = r"<div class='plots' data-slice='([^']*)'>(.*?)</div>"


def _svgs(page):
    return {(slice_name, ElementTree.fromstring(svg).get("class")): ElementTree.fromstring(svg)
            for slice_name, block in re.findall(PLOT_BLOCK, page, re.S)
            for svg in re.findall(r"<svg .*?</svg>", block, re.S)}


def _points(svg):
    curve = svg.find("polyline")
    return [[float(v) for v in pair.split(",")] for pair in curve.get("data-points").split()]


def test_each_slice_with_plots_gets_well_formed_svg_curves_that_read_back():
    page = EvaluationReport(_summary()).html()
    svgs = _svgs(page)
    assert set(svgs) == {("Overall", "plot calibration"), ("Overall", "plot roc"), ("Overall", "plot pr"),
                         ("position=1", "plot roc")}
    assert _points(svgs[("Overall", "plot roc")]) == ROC
    assert _points(svgs[("Overall", "plot pr")]) == PR
    assert _points(svgs[("Overall", "plot calibration")]) == [point[:2] for point in CALIBRATION]
    assert len(svgs[("Overall", "plot calibration")].findall("circle")) == 3
    assert "Plots: position=2" not in page  # no plots asked for that slice


def test_notebook_view_carries_the_same_plots():
    assert _svgs(EvaluationReport(_summary())._repr_html_()).keys() == _svgs(
        EvaluationReport(_summary()).html()).keys()
