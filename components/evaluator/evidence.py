"""What the summary adds to TFMA's numbers: counts per slice, n/a values and change intervals.

TFMA 0.47 reports AUC 0.0 on a slice without positives; here such a value becomes
`{"candidate": None, "na": "0 positives"}` and every report shows "n/a (0 positives)". Each
candidate-vs-baseline delta of a gated metric with a bootstrap gets its paired interval, on every
slice (reported ones too).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from components.evaluator import bootstrap, gates
from components.evaluator.gate_settings import GateSettings
from components.evaluator.scoring import ScoredExamples, SliceCounts, counts
from pipelines.reports.evaluation import interval_suffix, interval_text

_VALUE_ROLES = ("candidate", "baseline", "diff")


def _mark_undefined(metrics: dict[str, dict[str, Any]], slice_counts: SliceCounts) -> None:
    for name, values in metrics.items():
        reason = gates.undefined_because(name, slice_counts)
        if reason:
            values.update({role: None for role in _VALUE_ROLES if role in values}, na=reason)


def _attach_intervals(metrics: dict[str, dict[str, Any]], scored: ScoredExamples, rows: Any,
                      settings: GateSettings) -> None:
    if scored.baseline is None:
        return
    for name, values in metrics.items():
        if name not in bootstrap.BOOTSTRAPPED or name not in settings.gates or values.get("diff") is None:
            continue  # intervals for the gated metrics, on every slice
        interval = bootstrap.paired_interval(
            name, scored.labels[rows], scored.candidate[rows], scored.baseline[rows],
            settings.samples, settings.confidence)
        if interval is not None:
            values["interval"] = {"low": interval.low, "high": interval.high,
                                  "confidence": interval.confidence, "samples": interval.samples}


def attach_evidence(summary: dict[str, Any], scored: ScoredExamples, slicing_specs: list[Any],
                    settings: GateSettings) -> None:
    """Adds `counts` to each slice TFMA reported, n/a to undefined metrics, intervals to deltas.

    A model whose labels are not 0/1 (multi-class) gets none of them: there are no positives.
    """
    if not scored.binary:
        return
    rows_by_slice = scored.slices(slicing_specs)
    for item in summary["slices"]:
        rows = rows_by_slice.get(tuple(tuple(pair) for pair in item["key"]))
        if rows is None:
            continue
        slice_counts = counts(scored, rows)
        item["counts"] = dataclasses.asdict(slice_counts)
        _mark_undefined(item["metrics"], slice_counts)
        _attach_intervals(item["metrics"], scored, rows, settings)


def judge_summary(summary: dict[str, Any], settings: GateSettings) -> None:
    """Judges TFMA's failures again (see `gates.judge`); sets `failures`, `not_judged`, `blessed`."""
    summary["failures"], summary["not_judged"] = gates.judge(summary["slices"], summary["failures"],
                                                             settings.gates)
    summary["failures"].sort(key=lambda failure: failure["metric"].endswith("_diff"))  # values first
    standing = {(f["slice"], f["metric"].removesuffix("_diff")) for f in summary["failures"]}
    for item in summary["slices"]:
        for name, values in item["metrics"].items():
            values["failed"] = (item["slice"], name) in standing
    summary["blessed"] = not summary["failures"]
    summary["gates"] = {name: dataclasses.asdict(gate) | {"slicings": None if gate.slicings is None
                                                          else sorted(map(list, gate.slicings))}
                        for name, gate in settings.gates.items()}


def gate_lines(summary: dict[str, Any]) -> str:
    """Each judged change on a gated slice: `Overall: auc Δ +0.0121, 95% CI [+0.0040, +0.0195]`."""
    lines = []
    gated = summary.get("gates", {})
    for item in summary["slices"]:
        for name in gated:
            values = item["metrics"].get(name, {})
            interval = values.get("interval")
            if values.get("not_judged") or values.get("diff") is None or interval is None:
                continue
            if not _is_gated(gated[name], item["columns"]):
                continue
            lines.append(f"{item['slice']}: {name} Δ {values['diff']:+.4f}, {interval_text(interval)}")
    return "; ".join(lines)


def _is_gated(gate: dict[str, Any], columns: list[str]) -> bool:
    return gate["slicings"] is None or list(columns) in gate["slicings"]


def headline(summary: dict[str, Any]) -> str:
    """The gated metrics on the whole set, for the Evaluator's console line.

    `auc 0.7491 vs baseline 0.7459 (Δ +0.0032, 95% CI [-0.0057, +0.0121]); 1 slice not judged`.
    """
    overall = next((item for item in summary["slices"] if not item["columns"]), None)
    parts = []
    for name in summary.get("gates", {}):
        values = (overall or {"metrics": {}})["metrics"].get(name)
        if not values:
            continue
        if values.get("na"):
            parts.append(f"{name} n/a ({values['na']})")
            continue
        text = f"{name} {values['candidate']:.4f}"
        if values.get("baseline") is not None:
            text += (f" vs baseline {values['baseline']:.4f} "
                     f"(Δ {values['diff']:+.4f}{interval_suffix(values.get('interval'))})")
        parts.append(text)
    skipped = len({item["slice"] for item in summary.get("not_judged", [])})
    if skipped:
        parts.append(f"{skipped} slice{'s' if skipped > 1 else ''} not judged")
    return "; ".join(parts)
