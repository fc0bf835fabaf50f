"""The anomalies report: per split, each anomalous feature with severity, reason and drift/skew."""

from __future__ import annotations

from typing import Any

from pipelines.reports import html
from pipelines.reports.base import Report, load_split_protos
from pipelines.reports.text_table import render_table

ANOMALIES_FILE = "SchemaDiff.pb"


def load_anomalies(uri: str) -> dict[str, Any]:
    """Split name -> tensorflow_metadata Anomalies from an ExampleAnomalies directory."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    return load_split_protos(uri, ANOMALIES_FILE, anomalies_pb2.Anomalies)


def anomaly_rows(anomalies: Any) -> list[dict[str, Any]]:
    """One dict per anomalous feature.

    Keys: feature, severity, short and long description, and the drift or skew measurements
    with their thresholds.
    """
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    measured: dict[str, list[str]] = {}
    for info in anomalies.drift_skew_info:
        name = ".".join(info.path.step)
        for kind, measurements in (("drift", info.drift_measurements), ("skew", info.skew_measurements)):
            for measurement in measurements:
                label = anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(measurement.type).lower()
                measured.setdefault(name, []).append(
                    f"{kind} {label} {measurement.value:.3f} (threshold {measurement.threshold:.3f})")
    rows = []
    for name, info in sorted(anomalies.anomaly_info.items()):
        rows.append({"feature": name,
                     "severity": anomalies_pb2.AnomalyInfo.Severity.Name(info.severity),
                     "short": info.short_description, "description": info.description,
                     "measurements": measured.get(name, [])})
    if anomalies.HasField("dataset_anomaly_info"):
        info = anomalies.dataset_anomaly_info
        rows.append({"feature": "(dataset)",
                     "severity": anomalies_pb2.AnomalyInfo.Severity.Name(info.severity),
                     "short": info.short_description, "description": info.description,
                     "measurements": []})
    return rows


class AnomaliesReport(Report):
    """Anomalies of every split; renders as a self-contained page, in Jupyter and as text."""

    def __init__(self, splits: dict[str, Any], title: str = "Anomalies"):
        self.splits = splits
        self.title = title

    @classmethod
    def from_uri(cls, uri: str, title: str = "Anomalies") -> AnomaliesReport:
        """The report of an ExampleAnomalies directory."""
        return cls(load_anomalies(uri), title)

    @property
    def count(self) -> int:
        """Anomalous features over all splits."""
        return sum(len(anomaly_rows(a)) for a in self.splits.values())

    def _sections(self) -> list[str]:
        summary = html.tag(f"{self.count} anomalies", "bad" if self.count else "ok")
        sections = [f"<p>{summary}</p>"]
        for split, anomalies in self.splits.items():
            rows = anomaly_rows(anomalies)
            if not rows:
                sections.append(html.section(f"Split {split}", "<p class='muted'>No anomalies.</p>"))
                continue
            sections.append(html.section(f"Split {split}: {len(rows)} anomalous features", html.table(
                ["feature", "severity", "anomaly", "description", "drift / skew vs threshold"],
                [[r["feature"], r["severity"], r["short"], r["description"], "; ".join(r["measurements"])]
                 for r in rows],
                row_classes=["bad" if r["severity"] == "ERROR" else "warn" for r in rows])))
        return sections

    def text(self) -> str:
        """A terminal rendering: one table per split."""
        parts = []
        for split, anomalies in self.splits.items():
            rows = anomaly_rows(anomalies)
            parts.append(f"Split {split}: {len(rows)} anomalies")
            if rows:
                parts.append(render_table(
                    ["FEATURE", "SEVERITY", "ANOMALY", "DRIFT/SKEW", "DESCRIPTION"],
                    [[r["feature"], r["severity"], r["short"], "; ".join(r["measurements"]),
                      r["description"]] for r in rows], max_width=70))
        return "\n\n".join(parts)

    def features_text(self) -> str:
        """What is wrong and with which features, once each: `High Linfty distance ...: country, platform`."""
        found: dict[str, dict[str, None]] = {}
        for anomalies in self.splits.values():
            for row in anomaly_rows(anomalies):
                found.setdefault(row["short"], {})[row["feature"]] = None
        return "; ".join(f"{short}: {', '.join(features)}" for short, features in found.items())

    def describe(self) -> str:
        """Every anomaly: `feature 'f' (split s): short description [measurements]: why`."""
        lines = []
        for split, anomalies in self.splits.items():
            for row in anomaly_rows(anomalies):
                extra = f" [{'; '.join(row['measurements'])}]" if row["measurements"] else ""
                lines.append(f"feature '{row['feature']}' (split {split}): {row['short']}{extra}: "
                             f"{row['description']}")
        return "; ".join(lines)
