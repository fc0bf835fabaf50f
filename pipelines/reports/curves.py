"""Line charts of evaluation curves as inline SVG: calibration, ROC, precision-recall.

Each chart is an `<svg class='plot <kind>'>` whose curve is a `<polyline class='curve'>` with the
data in `data-points` ("x,y x,y ..."), so the curves can be read back from the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.reports import html

SIZE, MARGIN = 220, 34
CHARTS = {  # kind: (title, x label, y label, reference line from (0,0) to (1,1))
    "calibration": ("Calibration", "mean prediction", "observed rate", True),
    "roc": ("ROC", "false positive rate", "true positive rate", True),
    "pr": ("Precision-recall", "recall", "precision", False),
}


def _position(x: float, y: float) -> tuple[float, float]:
    span = SIZE - 2 * MARGIN
    return MARGIN + span * x, SIZE - MARGIN - span * y


def _line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
    return f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' {style}/>"


def _text(x: float, y: float, text: str, size: int, extra: str = "") -> str:
    return f"<text x='{x}' y='{y}' font-size='{size}' text-anchor='middle' {extra}>{html.escape(text)}</text>"


def curve_svg(kind: str, points: Sequence[Sequence[float]]) -> str:
    """One chart of `points` ([x, y, ...] in [0, 1]) with axes, labels and its reference line."""
    title, x_label, y_label, diagonal = CHARTS[kind]
    low, high = MARGIN, SIZE - MARGIN
    placed = [_position(p[0], p[1]) for p in points]
    parts = [_line(low, high, high, high, "stroke='#888'"), _line(low, low, low, high, "stroke='#888'")]
    if diagonal:
        parts.append(_line(low, high, high, low, "stroke='#bbb' stroke-dasharray='4 3'"))
    data = " ".join(f"{p[0]:.4f},{p[1]:.4f}" for p in points)
    drawn = " ".join(f"{x:.1f},{y:.1f}" for x, y in placed)
    parts.append(f"<polyline class='curve' fill='none' stroke='#4a7bd0' stroke-width='1.5' "
                 f"points='{drawn}' data-points='{data}'/>")
    if kind == "calibration":
        parts += [f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='#4a7bd0'/>" for x, y in placed]
    parts += [_text(SIZE / 2, 14, title, 12), _text(SIZE / 2, SIZE - 8, x_label, 10),
              _text(10, SIZE / 2, y_label, 10, f"transform='rotate(-90 10 {SIZE / 2})'")]
    return f"<svg class='plot {kind}' width='{SIZE}' height='{SIZE}' role='img'>{''.join(parts)}</svg>"


def slice_plots_html(plots: dict[str, Sequence[Sequence[float]]]) -> str:
    """The charts of one slice, side by side, in the order calibration, ROC, PR."""
    return "".join(curve_svg(kind, plots[kind]) for kind in CHARTS if plots.get(kind))
