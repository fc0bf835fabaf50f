"""Self-contained HTML: a page with inline CSS, tables and inline SVG charts; no network loads."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

_STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2433}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border-bottom:1px solid #dde1e8;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fde8e8}tr.warn td{background:#fff6dc}
.tag{display:inline-block;padding:1px 6px;border-radius:8px;font-size:11px;background:#e8ecf3}
.tag.bad{background:#f8c9c9}.tag.ok{background:#cdeccd}.tag.warn{background:#ffe9a8}
.muted{color:#6b7385}svg{vertical-align:middle}
"""


def escape(value: Any) -> str:
    """HTML-escaped text of any value."""
    return html.escape(str(value), quote=True)


def page(title: str, *sections: str) -> str:
    """A complete HTML document with inline styles."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{''.join(sections)}"
            "</body></html>")


def fragment(*sections: str) -> str:
    """Sections wrapped for embedding (e.g. a notebook cell), with the same styles."""
    return f"<div><style>{_STYLE}</style>{''.join(sections)}</div>"


def section(heading: str, *content: str) -> str:
    """A titled section."""
    return f"<h2>{escape(heading)}</h2>{''.join(content)}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
          row_classes: Sequence[str] | None = None, numeric: Sequence[int] = (),
          raw_columns: Sequence[int] = ()) -> str:
    """A table; `numeric` columns are right-aligned, `raw_columns` hold ready HTML (e.g. SVG)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        css = f" class='{row_classes[index]}'" if row_classes and row_classes[index] else ""
        cells = "".join(
            f"<td class='num'>{escape(v)}</td>" if c in numeric else
            f"<td>{v if c in raw_columns else escape(v)}</td>" for c, v in enumerate(row))
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def tag(text: str, kind: str = "") -> str:
    """A small coloured label (kind: ok, warn, bad)."""
    return f"<span class='tag {kind}'>{escape(text)}</span>"


def bars_svg(values: Sequence[float], width: int = 160, height: int = 32, color: str = "#4a7bd0",
             labels: Sequence[str] = ()) -> str:
    """A tiny bar chart (e.g. a histogram) as inline SVG; `labels` become hover tooltips."""
    if not values:
        return ""
    top = max(values) or 1.0
    step = width / len(values)
    bars = "".join(
        f"<rect x='{i * step:.1f}' y='{height - height * v / top:.1f}' width='{max(step - 1, 1):.1f}' "
        f"height='{height * v / top:.1f}' fill='{color}'>"
        + (f"<title>{escape(labels[i])}</title>" if i < len(labels) else "") + "</rect>"
        for i, v in enumerate(values))
    return f"<svg width='{width}' height='{height}' role='img'>{bars}</svg>"


def labelled_bars_svg(labels: Sequence[str], values: Sequence[float], highlight: Sequence[bool] = (),
                      width: int = 520, bar_height: int = 18, value_format: str = "{:.3f}") -> str:
    """Horizontal labelled bars (e.g. a metric per slice); highlighted bars are drawn red."""
    if not values:
        return ""
    top = max(abs(v) for v in values) or 1.0
    label_width, chart = 180, width - 240
    rows = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = index * (bar_height + 4)
        color = "#d0454a" if highlight and highlight[index] else "#4a7bd0"
        rows.append(
            f"<text x='0' y='{y + 13}' font-size='12'>{escape(label[:28])}</text>"
            f"<rect x='{label_width}' y='{y}' width='{chart * abs(value) / top:.1f}' height='{bar_height}' "
            f"fill='{color}'/><text x='{label_width + chart * abs(value) / top + 4:.1f}' y='{y + 13}' "
            f"font-size='12'>{escape(value_format.format(value))}</text>")
    total = len(values) * (bar_height + 4)
    return f"<svg width='{width}' height='{total}'>{''.join(rows)}</svg>"
