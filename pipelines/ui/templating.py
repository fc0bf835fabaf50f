"""The page templates (Jinja2, autoescaped: every value is text unless marked safe) and filters."""

from __future__ import annotations

import datetime
import os
from typing import Any

import jinja2

from pipelines.ui.graph_svg import status_class
from pipelines.ui.metric_kinds import format_number, is_count

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")


def format_ms(ms: Any) -> str:
    """Milliseconds since the epoch as local `YYYY-MM-DD HH:MM:SS` ("-" when unknown)."""
    if not isinstance(ms, int | float) or not ms:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_seconds(seconds: Any) -> str:
    """A duration: `850 ms`, `12.3 s`, `4 min 05 s`."""
    if not isinstance(seconds, int | float):
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def format_value(value: Any) -> str:
    """A property or metric value: floats to 4 decimals, None as "-", the rest as text."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_delta(delta: Any) -> str:
    """A signed change, or "" when there is none to show."""
    if not isinstance(delta, int | float) or delta == 0:
        return ""
    return f"{delta:+.4f}" if isinstance(delta, float) else f"{delta:+d}"


def format_metric(value: Any, name: str) -> str:
    """A metric or parameter value, formatted by the kind its name says (counts as integers)."""
    return format_number(value, is_count(name))


def environment() -> jinja2.Environment:
    """The template environment: autoescape on for every template, undefined names are errors."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(ms=format_ms, seconds=format_seconds, value=format_value,
                       delta=format_delta, slug=status_class,
                       metric=format_metric)
    return env
