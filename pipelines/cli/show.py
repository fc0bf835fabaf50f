"""`starling show stats|anomalies|eval [ARTIFACT_ID]`: an artifact's report in the terminal."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from pipelines.cli.store_location import open_store
from pipelines.errors import MetadataError

if TYPE_CHECKING:
    from pipelines.reports.base import Report

_KINDS = {"stats": "ExampleStatistics", "anomalies": "ExampleAnomalies", "eval": "ModelEvaluation"}


def add_show_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `show`."""
    parser = subparsers.add_parser(
        "show", help="print a statistics, anomalies or evaluation report in the terminal")
    parser.add_argument("kind", choices=sorted(_KINDS))
    parser.add_argument("artifact_id", nargs="?", type=int, help="default: the latest of that kind")
    parser.add_argument("--root", help="pipeline root holding metadata.sqlite")
    parser.add_argument("--html", action="store_true", help="print the report.html path instead")
    parser.set_defaults(handler=show_report)


def show_report(args: argparse.Namespace) -> int:
    """Finds the artifact and prints its report."""
    store = open_store(args.root)
    type_name = _KINDS[args.kind]
    if args.artifact_id is None:
        artifact = store.latest_artifact(type_name)
    else:
        artifact = store.artifact(args.artifact_id)
        if artifact.type_name != type_name:
            raise MetadataError(f"artifact {artifact.id} is a {artifact.type_name}, not {type_name}")
    if args.html:
        print(os.path.join(artifact.uri, "report.html"))
        return 0
    print(f"{type_name} #{artifact.id} (span {artifact.properties.get('span', '-')})  {artifact.uri}\n")
    print(_report(args.kind, artifact.uri).text())
    return 0


def _report(kind: str, uri: str) -> Report:
    if kind == "stats":
        from pipelines.reports.statistics import StatisticsReport

        return StatisticsReport.from_uri(uri)
    if kind == "anomalies":
        from pipelines.reports.anomalies import AnomaliesReport

        return AnomaliesReport.from_uri(uri)
    from pipelines.reports.evaluation import EvaluationReport

    return EvaluationReport.from_uri(uri)
