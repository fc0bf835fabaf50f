"""The sliced evaluation report: metrics per slice, candidate vs baseline, failing thresholds."""

from __future__ import annotations

import json
import os
from typing import Any

from pipelines.reports import curves, html
from pipelines.reports.base import Report
from pipelines.reports.text_table import render_table

SUMMARY_FILE = "evaluation.json"
_HIDDEN = {"example_count", "example_count_diff"}


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def interval_text(interval: dict[str, Any] | None) -> str:
    """`95% CI [-0.0310, +0.0040]` for a summary's interval ("" without one)."""
    if not interval:
        return ""
    return f"{interval['confidence']:.0%} CI [{interval['low']:+.4f}, {interval['high']:+.4f}]"


def interval_suffix(interval: dict[str, Any] | None) -> str:
    """`, 95% CI [-0.0310, +0.0040]` to follow a delta ("" without an interval)."""
    text = interval_text(interval)
    return f", {text}" if text else ""


def metric_cell(values: dict[str, Any]) -> str:
    """One metric on one slice as every report shows it.

    `0.7312 (baseline 0.7201, Δ +0.0111, 95% CI [+0.0021, +0.0198])`, `n/a (0 positives)`, with
    `not judged: 16 positives < 50`, `within noise` or ` ✗` after it when the gate says so.
    """
    if values.get("na"):
        return f"n/a ({values['na']})"
    text = _fmt(values.get("candidate"))
    if "baseline" in values:
        delta = "-" if values.get("diff") is None else f"{values['diff']:+.4f}"
        text += f" (baseline {_fmt(values['baseline'])}, Δ {delta}{interval_suffix(values.get('interval'))})"
    if values.get("not_judged"):
        text += f" not judged: {values['not_judged']}"
    elif values.get("within_noise"):
        text += " within noise"
    return text + (" ✗" if values.get("failed") else "")


class EvaluationReport(Report):
    """An Evaluator's summary (evaluation.json) as a page, a notebook view and a terminal table.

    Args:
        summary: The Evaluator's evaluation.json contents.
        chart_metric: The metric charted per slice (default: auc when present).
    """

    def __init__(self, summary: dict[str, Any], chart_metric: str | None = None,
                 title: str = "Sliced evaluation"):
        self.summary = summary
        self.title = title
        names = sorted({m for s in summary["slices"] for m in s["metrics"]} - _HIDDEN)
        self.metrics = names
        self.chart_metric = chart_metric or ("auc" if "auc" in names else (names[0] if names else None))

    @classmethod
    def from_uri(cls, uri: str, chart_metric: str | None = None) -> EvaluationReport:
        """The report of a ModelEvaluation directory."""
        with open(os.path.join(uri, SUMMARY_FILE)) as source:
            return cls(json.load(source), chart_metric)

    def _verdict(self) -> str:
        blessed = self.summary["blessed"]
        baseline = (f"against baseline model {self.summary.get('baseline_model_id')}"
                    if self.summary.get("has_baseline") else "no baseline: value thresholds only")
        return (f"<p>{html.tag('BLESSED' if blessed else 'NOT BLESSED', 'ok' if blessed else 'bad')} "
                f"candidate model {html.escape(self.summary.get('candidate_model_id'))}, "
                f"{html.escape(baseline)}</p>")

    def _rows(self) -> tuple[list[list[Any]], list[str]]:
        rows, classes = [], []
        for item in self.summary["slices"]:
            count = item.get("example_count")
            slice_label = item["slice"] + ("  (few examples)" if item.get("small") else "")
            positives = (item.get("counts") or {}).get("positives")
            shown = "-" if count is None else f"{count:,.0f}"
            shown += f" ({positives} pos)" if positives is not None and count is not None else ""
            rows.append([slice_label, shown,
                         *[metric_cell(item["metrics"].get(m, {})) for m in self.metrics]])
            failed = any(v.get("failed") for v in item["metrics"].values())
            classes.append("bad" if failed else "warn" if item.get("small") else "")
        return rows, classes

    def _sections(self) -> list[str]:
        rows, classes = self._rows()
        sections = [self._verdict(), html.section("Metrics by slice", html.table(
            ["slice", "examples", *self.metrics], rows, row_classes=classes, numeric=(1,)))]
        failures = self.summary.get("failures", [])
        if failures:
            sections.append(html.section("Failing thresholds", html.table(
                ["slice", "metric", "value", "interval", "threshold"],
                [[f["slice"], f["metric"], _fmt(f["value"]), interval_text(f.get("interval")) or "-",
                  f["threshold"]] for f in failures],
                row_classes=["bad"] * len(failures))))
        skipped = self.summary.get("not_judged", [])
        if skipped:
            sections.append(html.section("Not judged (too few examples, or the metric is undefined)",
                                         html.table(["slice", "metric", "why"],
                                                    [[s["slice"], s["metric"], s["reason"]] for s in skipped],
                                                    row_classes=["warn"] * len(skipped))))
        if self.chart_metric:
            slices = [s for s in self.summary["slices"] if self.chart_metric in s["metrics"]]
            slices = [s for s in slices if s["metrics"][self.chart_metric].get("candidate") is not None]
            values = [s["metrics"][self.chart_metric]["candidate"] for s in slices]
            sections.append(html.section(f"{self.chart_metric} by slice", html.labelled_bars_svg(
                [s["slice"] for s in slices], values,
                [bool(s["metrics"][self.chart_metric].get("failed")) for s in slices])))
        return sections + self._plot_sections()

    def _plot_sections(self) -> list[str]:
        """Per slice with plots: calibration, ROC and PR charts (inline SVG)."""
        return [html.section(f"Plots: {item['slice']}",
                             f"<div class='plots' data-slice='{html.escape(item['slice'])}'>"
                             f"{curves.slice_plots_html(item['plots'])}</div>")
                for item in self.summary["slices"] if item.get("plots")]

    def text(self) -> str:
        """A terminal rendering: verdict, metrics by slice, failing thresholds."""
        verdict = "BLESSED" if self.summary["blessed"] else "NOT BLESSED"
        rows, _ = self._rows()
        parts = [f"{verdict}: candidate model {self.summary.get('candidate_model_id')}"
                 + (f" vs baseline {self.summary.get('baseline_model_id')}"
                    if self.summary.get("has_baseline") else " (no baseline)"),
                 render_table(["SLICE", "EXAMPLES", *[m.upper() for m in self.metrics]], rows,
                              max_width=110)]
        for failure in self.summary.get("failures", []):
            parts.append(f"✗ {failure['metric']} on slice '{failure['slice']}' = {_fmt(failure['value'])}"
                         f"{interval_suffix(failure.get('interval'))} (needs {failure['threshold']})")
        skipped = self.summary.get("not_judged", [])
        if skipped:
            parts.append("Not judged:\n" + "\n".join(
                f"  - {s['metric']} on slice '{s['slice']}': {s['reason']}" for s in skipped))
        return "\n\n".join(parts)
