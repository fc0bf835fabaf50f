"""Time formats for terminal output (and the plain-text table renderer, re-exported)."""

from __future__ import annotations

import datetime

from pipelines.reports.text_table import render_table

__all__ = ["format_ms", "format_seconds", "render_table"]


def format_ms(epoch_ms: int | None) -> str:
    """A local timestamp for milliseconds since the epoch."""
    if not epoch_ms:
        return "-"
    return datetime.datetime.fromtimestamp(epoch_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_seconds(seconds: float | None) -> str:
    """A short duration: 0.42s, 12.3s, 4m05s."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"
