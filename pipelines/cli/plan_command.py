"""`starling plan PIPELINE_FILE`: each node's verdict before a run (CACHED, or WILL RUN and why)."""

from __future__ import annotations

import argparse
import os

from pipelines.cli.loader import load_pipeline, parse_params
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.runner.plan import RESOLVES, WILL_RUN, PlannedNode, plan_pipeline
from pipelines.runner.results import CACHED

_MARKS = {CACHED: "✓", WILL_RUN: "▶", RESOLVES: "·"}


def add_plan_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `plan`."""
    parser = subparsers.add_parser(
        "plan", help="show what a run would reuse and what it would run, and why",
        description="Runs nothing: prints each node's verdict, CACHED (with the execution it "
                    "would reuse) or WILL RUN with the first part of its cache key that changed.")
    parser.add_argument("pipeline_file")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="argument for create_pipeline (repeatable; JSON values allowed)")
    parser.add_argument("--no-cache", action="store_true", help="plan a run with the cache off")
    parser.set_defaults(handler=plan_pipeline_file)


def format_plan(planned: list[PlannedNode]) -> list[str]:
    """One aligned line per node, then a summary line."""
    width = max((len(line.node_id) for line in planned), default=0)
    lines = [f"  {_MARKS[line.verdict]} {line.node_id:<{width}}  {line.verdict:<8}  {line.reason}"
             for line in planned]
    cached = sum(line.verdict == CACHED for line in planned)
    will_run = sum(line.verdict == WILL_RUN for line in planned)
    return [*lines, f"{cached} cached, {will_run} will run"]


def plan_pipeline_file(args: argparse.Namespace) -> int:
    """Loads the pipeline and prints its plan; writes nothing (no store is created)."""
    pipeline = load_pipeline(args.pipeline_file, parse_params(args.param))
    print(f"Plan for pipeline '{pipeline.name}' ({len(pipeline.nodes)} nodes), root {pipeline.root}")
    if pipeline.metadata is None and not os.path.isfile(pipeline.metadata_path()):
        planned = [PlannedNode(node.id, WILL_RUN, "no earlier execution (no metadata store yet)")
                   for node in pipeline.ordered_nodes]
    else:
        store = MetadataStore(pipeline.metadata or sqlite_config(pipeline.metadata_path()),
                              root=pipeline.root)
        planned = plan_pipeline(pipeline, store, use_cache=not args.no_cache)
    for line in format_plan(planned):
        print(line)
    return 0
