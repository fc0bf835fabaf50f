"""The statistics report: per split and feature, counts, missing %, numbers, top values, histograms."""

from __future__ import annotations

from typing import Any

from pipelines.reports import html
from pipelines.reports.base import Report, load_split_protos
from pipelines.reports.text_table import render_table

STATS_FILE = "FeatureStats.pb"


def load_statistics(uri: str) -> dict[str, Any]:
    """Split name -> DatasetFeatureStatisticsList from an ExampleStatistics directory."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    return load_split_protos(uri, STATS_FILE, statistics_pb2.DatasetFeatureStatisticsList)


def feature_rows(dataset: Any) -> list[dict[str, Any]]:
    """One plain dict per feature of a DatasetFeatureStatistics."""
    rows = []
    for feature in dataset.features:
        name = ".".join(feature.path.step) or feature.name
        kind = feature.WhichOneof("stats")
        stats = getattr(feature, kind) if kind else None
        common = stats.common_stats if stats is not None else None
        present = common.num_non_missing if common else 0
        missing = common.num_missing if common else 0
        row = {"feature": name, "type": _type_name(feature.type), "count": present,
               "missing_pct": 100.0 * missing / (present + missing) if present + missing else 0.0}
        if kind == "num_stats" and stats is not None:
            row.update(mean=stats.mean, std=stats.std_dev, min=stats.min, max=stats.max,
                       histogram=_histogram(stats))
        elif kind == "string_stats" and stats is not None:
            row.update(unique=stats.unique,
                       top_values=[(v.value, v.frequency) for v in stats.top_values[:5]])
        rows.append(row)
    return rows


def _type_name(type_value: int) -> str:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    return statistics_pb2.FeatureNameStatistics.Type.Name(type_value)


def _histogram(stats: Any) -> list[tuple[float, float, float]]:
    """The standard (equal-width) histogram's buckets as (low, high, count)."""
    for histogram in stats.histograms:
        if histogram.type == histogram.STANDARD:
            return [(b.low_value, b.high_value, b.sample_count) for b in histogram.buckets]
    return []


def _histogram_svg(buckets: list[tuple[float, float, float]]) -> str:
    return html.bars_svg([count for _, _, count in buckets],
                         labels=[f"{_number(low)} to {_number(high)}: {count:,.0f}"
                                 for low, high, count in buckets])


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}"


class StatisticsReport(Report):
    """Statistics of every split; renders as a self-contained page, in Jupyter and as text.

    Example:
        >>> StatisticsReport.from_uri(statistics.uri).save("stats.html")      # doctest: +SKIP
    """

    def __init__(self, splits: dict[str, Any], title: str = "Statistics"):
        self.splits = splits
        self.title = title

    @classmethod
    def from_uri(cls, uri: str, title: str = "Statistics") -> StatisticsReport:
        """The report of an ExampleStatistics directory."""
        return cls(load_statistics(uri), title)

    def _sections(self) -> list[str]:
        sections = []
        for split, statistics in self.splits.items():
            for dataset in statistics.datasets:
                rows = feature_rows(dataset)
                sections.append(html.section(
                    f"Split {split}: {dataset.num_examples:,} examples, {len(rows)} features",
                    self._numeric_table(rows), self._categorical_table(rows)))
        return sections

    @staticmethod
    def _numeric_table(rows: list[dict[str, Any]]) -> str:
        numeric = [r for r in rows if "mean" in r]
        if not numeric:
            return ""
        return html.table(
            ["feature", "type", "count", "missing %", "mean", "std", "min", "max", "histogram"],
            [[r["feature"], r["type"], f"{r['count']:,}", f"{r['missing_pct']:.1f}", _number(r["mean"]),
              _number(r["std"]), _number(r["min"]), _number(r["max"]), _histogram_svg(r["histogram"])]
             for r in numeric],
            row_classes=["warn" if r["missing_pct"] > 0 else "" for r in numeric],
            numeric=(2, 3, 4, 5, 6, 7), raw_columns=(8,))

    @staticmethod
    def _categorical_table(rows: list[dict[str, Any]]) -> str:
        categorical = [r for r in rows if "unique" in r]
        if not categorical:
            return ""
        return html.table(
            ["feature", "count", "missing %", "unique", "top values", "top value shares"],
            [[r["feature"], f"{r['count']:,}", f"{r['missing_pct']:.1f}", f"{r['unique']:,}",
              ", ".join(f"{v} ({f:,.0f})" for v, f in r["top_values"]),
              html.bars_svg([f for _, f in r["top_values"]], color="#53a37a",
                            labels=[f"{v}: {f:,.0f}" for v, f in r["top_values"]])] for r in categorical],
            row_classes=["warn" if r["missing_pct"] > 0 else "" for r in categorical],
            numeric=(1, 2, 3), raw_columns=(5,))

    def text(self) -> str:
        """A terminal rendering: one table per split."""
        parts = []
        for split, statistics in self.splits.items():
            for dataset in statistics.datasets:
                rows = feature_rows(dataset)
                parts.append(f"Split {split}: {dataset.num_examples:,} examples")
                parts.append(render_table(
                    ["FEATURE", "TYPE", "COUNT", "MISSING%", "MEAN", "STD", "MIN", "MAX", "UNIQUE/TOP"],
                    [[r["feature"], r["type"], r["count"], f"{r['missing_pct']:.1f}",
                      _number(r.get("mean")), _number(r.get("std")), _number(r.get("min")),
                      _number(r.get("max")),
                      f"{r['unique']} / " + ", ".join(v for v, _ in r["top_values"][:3])
                      if "unique" in r else ""] for r in rows]))
        return "\n\n".join(parts)
