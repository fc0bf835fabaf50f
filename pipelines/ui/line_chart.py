"""Line charts as inline SVG with readable axes: ticks at round numbers, axis titles, a legend.

Used for a metric over spans (one series, points coloured by verdict) and for learning curves
(one series per run). Every label is escaped here; callers pass plain text.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from html import escape

PALETTE = ("#3b6fc4", "#d9822b", "#2e9e4a", "#b03aa8", "#c23b3b", "#5b6478", "#1b9aaa", "#8a6d3b")
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 44


@dataclasses.dataclass
class Point:
    """One point: where it is, what hovering it says, an optional fill and a label above it."""

    x: float
    y: float
    title: str = ""
    fill: str | None = None
    label: str = ""


@dataclasses.dataclass
class Series:
    """A named line of points, drawn in x order."""

    name: str
    points: list[Point]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high] (steps of 1, 2 or 5 times 10^k)."""
    if high - low < 1e-12:
        low, high = low - 0.5 * (abs(low) or 1) * 0.1, high + 0.5 * (abs(high) or 1) * 0.1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def _label(value: float, integer: bool) -> str:
    return f"{value:,.0f}" if integer else f"{value:.4g}"


def chart_svg(series: list[Series], x_title: str, y_title: str, css_class: str,
              width: int = 720, height: int = 280, integer_x: bool = True) -> str:
    """The chart as one `<svg>` element ("" when no series has a point)."""
    points = [point for line in series for point in line.points]
    if not points:
        return ""
    x_ticks = nice_ticks(min(p.x for p in points), max(p.x for p in points))
    if integer_x:
        x_ticks = sorted({round(t) for t in x_ticks if abs(t - round(t)) < 1e-9}) or x_ticks
    y_ticks = nice_ticks(min(p.y for p in points), max(p.y for p in points))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    x_low, x_high = min(x_ticks[0], min(p.x for p in points)), max(x_ticks[-1], max(p.x for p in points))
    x_span = (x_high - x_low) or 1.0
    y_low, y_span = y_ticks[0], (y_ticks[-1] - y_ticks[0]) or 1.0

    def at(point: Point) -> tuple[float, float]:
        return (LEFT + plot_w * (point.x - x_low) / x_span if x_high > x_low else LEFT + plot_w / 2,
                TOP + plot_h * (1 - (point.y - y_low) / y_span))

    parts = _axes(x_ticks, y_ticks, at, plot_w, plot_h, integer_x)
    parts.append(f"<text x='{LEFT + plot_w / 2:.0f}' y='{height - 6}' class='axis-title' "
                 f"text-anchor='middle'>{escape(x_title)}</text>"
                 f"<text x='14' y='{TOP + plot_h / 2:.0f}' class='axis-title' text-anchor='middle' "
                 f"transform='rotate(-90 14 {TOP + plot_h / 2:.0f})'>{escape(y_title)}</text>")
    for index, line in enumerate(series):
        parts.append(_series_svg(line, PALETTE[index % len(PALETTE)], at))
    legend = "".join(f"<li><span class='key' style='background:{PALETTE[i % len(PALETTE)]}'></span>"
                     f"{escape(line.name)}</li>" for i, line in enumerate(series))
    svg = (f"<svg class='{escape(css_class)}' width='{width}' height='{height}' role='img' "
           f"aria-label='{escape(y_title)} by {escape(x_title)}'>{''.join(parts)}</svg>")
    return svg + (f"<ul class='chart-legend'>{legend}</ul>" if len(series) > 1 else "")


Placer = Callable[[Point], tuple[float, float]]


def _axes(x_ticks: list[float], y_ticks: list[float], at: Placer, plot_w: float, plot_h: float,
          integer_x: bool) -> list[str]:
    parts = []
    for tick in y_ticks:
        _, y = at(Point(x_ticks[0], tick))
        parts.append(f"<line class='grid' x1='{LEFT}' x2='{LEFT + plot_w}' y1='{y:.1f}' y2='{y:.1f}'/>"
                     f"<text class='tick' x='{LEFT - 6}' y='{y + 4:.1f}' text-anchor='end'>"
                     f"{_label(tick, False)}</text>")
    for tick in x_ticks:
        x, _ = at(Point(tick, y_ticks[0]))
        parts.append(f"<line class='axis' x1='{x:.1f}' x2='{x:.1f}' y1='{TOP + plot_h}' "
                     f"y2='{TOP + plot_h + 4}'/><text class='tick x-tick' x='{x:.1f}' "
                     f"y='{TOP + plot_h + 18}' text-anchor='middle'>{_label(tick, integer_x)}</text>")
    parts.append(f"<line class='axis' x1='{LEFT}' x2='{LEFT + plot_w}' y1='{TOP + plot_h}' "
                 f"y2='{TOP + plot_h}'/><line class='axis' x1='{LEFT}' x2='{LEFT}' y1='{TOP}' "
                 f"y2='{TOP + plot_h}'/>")
    return parts


def _series_svg(line: Series, colour: str, at: Placer) -> str:
    ordered = sorted(line.points, key=lambda p: p.x)
    coords = [at(point) for point in ordered]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [f"<polyline class='series' points='{path}' fill='none' stroke='{colour}' "
             f"stroke-width='2'><title>{escape(line.name)}</title></polyline>"]
    show_points = len(ordered) <= 60
    for (x, y), point in zip(coords, ordered, strict=True):
        if show_points or point.fill:
            parts.append(f"<circle class='point' cx='{x:.1f}' cy='{y:.1f}' r='5' "
                         f"fill='{point.fill or colour}' stroke='#1d2433'>"
                         f"<title>{escape(point.title)}</title></circle>")
        if point.label:
            parts.append(f"<text class='point-label' x='{x:.1f}' y='{y - 9:.1f}' "
                         f"text-anchor='middle'>{escape(point.label)}</text>")
    return f"<g class='series' data-series='{escape(line.name)}'>{''.join(parts)}</g>"
