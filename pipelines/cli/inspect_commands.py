"""`starling runs`, `starling artifacts` and `starling lineage`: read what MLMD recorded."""

from __future__ import annotations

import argparse
import sys

from pipelines.cli.lineage_view import data_fingerprint, render_lineage
from pipelines.cli.store_location import open_store
from pipelines.cli.tables import format_ms, format_seconds, render_table
from pipelines.errors import MetadataError
from pipelines.metadata import DOWNSTREAM, UPSTREAM, MetadataStore, lineage
from pipelines.metadata.lookup import canonical_type_name, newest_of_type
from pipelines.metadata.store import quoted
from pipelines.runner.outcomes import artifact_outcome, recorded_status, recorded_verdict
from pipelines.runner.recovery import recover_abandoned


def _add_root(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--root", help="pipeline root holding metadata.sqlite "
                                      "(default: $STARLING_ROOT, ., or the latest root below)")
    where.add_argument("--metadata", metavar="URL",
                       help="a shared store instead: mysql://USER:PASSWORD@HOST:PORT/DATABASE")


def add_inspect_commands(subparsers: argparse._SubParsersAction) -> None:
    """Registers `runs`, `artifacts` and `lineage`."""
    runs = subparsers.add_parser("runs", help="list recent runs")
    _add_root(runs)
    runs.add_argument("--pipeline", help="only runs of this pipeline")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=show_runs)

    artifacts = subparsers.add_parser("artifacts", help="list artifacts, newest first")
    _add_root(artifacts)
    artifacts.add_argument("--type", help="only this artifact type, e.g. Model (any case)")
    artifacts.add_argument("--limit", type=int, default=50)
    artifacts.set_defaults(handler=show_artifacts)

    tree = subparsers.add_parser("lineage", help="where an artifact came from (or what used it)")
    tree.add_argument("artifact", metavar="ARTIFACT",
                      help="an artifact id, or a type name (e.g. Model) for the latest of that type; "
                           "for PushedModel, the latest model actually pushed")
    _add_root(tree)
    tree.add_argument("--downstream", action="store_true", help="show what used it instead")
    tree.set_defaults(handler=show_lineage)


def show_runs(args: argparse.Namespace) -> int:
    """Prints recent runs: id, pipeline, status, outcome, start, duration, node counts.

    STATUS is HALTED for a run a node stopped on purpose; OUTCOME says whether the run pushed its
    candidate, rejected it (NOT BLESSED) or pushed nothing.

    Runs and executions left RUNNING by processes of this host that are gone are first marked
    FAILED (`pipelines.runner.recovery`), saying so on stderr.
    """
    store = open_store(args.root, args.metadata)
    for line in recover_abandoned(store).lines():
        print(line, file=sys.stderr)
    rows = []
    for run in store.list_runs(args.pipeline)[: args.limit]:
        props = run.properties
        rows.append([run.name, props.get("pipeline_name", "?"), recorded_status(props),
                     recorded_verdict(props) or "-", format_ms(props.get("started_at_ms")),
                     format_seconds(props.get("duration_s")),
                     props.get("n_complete", "-"), props.get("n_cached", "-"),
                     props.get("n_failed", "-"), props.get("n_skipped", "-")])
    if not rows:
        print("no runs recorded")
        return 0
    print(render_table(["RUN", "PIPELINE", "STATUS", "OUTCOME", "STARTED", "DURATION", "RAN",
                        "CACHED", "FAILED", "SKIPPED"], rows))
    return 0


def show_artifacts(args: argparse.Namespace) -> int:
    """Prints artifacts, newest first, optionally of one type (named in any case).

    OUTCOME shows a blessing's verdict and a push's result with its serving version, e.g.
    `PUSHED version 2 of ctr` or `NOT PUSHED (model not blessed (ModelBlessing #12))`.

    Raises:
        MetadataError: an unknown type (the message lists the known ones).
    """
    store = open_store(args.root, args.metadata)
    type_name = canonical_type_name(store, args.type) if args.type else ""
    query = f"type = {quoted(type_name)}" if type_name else ""
    rows = []
    for artifact in store.query_artifacts(query, limit=args.limit):
        props = artifact.properties
        outcome = artifact_outcome(artifact)
        rows.append([artifact.id, artifact.type_name, props.get("producer_node", "-"),
                     props.get("span", "-") if props.get("span") is not None else "-",
                     data_fingerprint(props) or "-", artifact.state,
                     format_ms(artifact.created_at_ms), outcome.describe() if outcome else "-",
                     artifact.uri])
    if not rows:
        print(f"no {type_name} artifacts recorded".replace("  ", " "))
        return 0
    print(render_table(["ID", "TYPE", "NODE", "SPAN", "DATA", "STATE", "CREATED", "OUTCOME", "URI"],
                       rows, max_width=90))
    return 0


def show_lineage(args: argparse.Namespace) -> int:
    """Prints the upstream (or downstream) tree of an artifact."""
    store = open_store(args.root, args.metadata)
    direction = DOWNSTREAM if args.downstream else UPSTREAM
    print(render_lineage(lineage(store, resolve_artifact_id(store, args.artifact), direction),
                         direction))
    return 0


def resolve_artifact_id(store: MetadataStore, reference: str) -> int:
    """An artifact id from an id or a type name, in any case (see `newest_of_type`).

    A type names its newest LIVE artifact; PushedModel names the newest model actually pushed.

    Raises:
        MetadataError: an unknown type, or no artifact of that type exists.
    """
    if reference.isdigit():
        return int(reference)
    latest, note = newest_of_type(store, reference)
    if note:
        print(f"starling: {note}", file=sys.stderr)
    if latest.id is None:
        raise MetadataError(f"no {reference} artifact in {store.location}")
    return latest.id
