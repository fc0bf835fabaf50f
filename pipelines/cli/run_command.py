"""`starling run PIPELINE_FILE`: runs a pipeline locally with live progress."""

from __future__ import annotations

import argparse
import os
import sys

from pipelines.cli.loader import load_pipeline, parse_params
from pipelines.metadata.run_lock import RunInProgressError
from pipelines.runner import ConsoleProgress, LocalRunner

RUN_IN_PROGRESS_EXIT = 3  # `--no-wait` and another run of the pipeline holds its root


def add_run_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `run`."""
    parser = subparsers.add_parser(
        "run", help="run a pipeline file locally",
        description="Runs the pipeline a file defines (`pipeline` or `create_pipeline(**params)`).")
    parser.add_argument("pipeline_file")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="argument for create_pipeline (repeatable; JSON values allowed)")
    parser.add_argument("--no-cache", action="store_true", help="run every node afresh")
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="run up to N independent nodes at once (default 1)")
    parser.add_argument("--verbose", action="store_true", help="print failed nodes' tracebacks")
    parser.add_argument("--no-wait", action="store_true",
                        help="exit with status 3 instead of waiting when another run of this "
                             "pipeline on the same root is in progress")
    parser.set_defaults(handler=run_pipeline_file)


def run_pipeline_file(args: argparse.Namespace) -> int:
    """Loads and runs the file; exit status 0 when every node completed or was cached."""
    pipeline = load_pipeline(args.pipeline_file, parse_params(args.param))
    runner = LocalRunner(max_parallel_nodes=args.parallel, listener=ConsoleProgress())
    try:
        result = runner.run(pipeline, enable_cache=False if args.no_cache else None,
                            wait_for_other_runs=not args.no_wait)
    except RunInProgressError as busy:
        print(f"starling: {busy}", file=sys.stderr)
        return RUN_IN_PROGRESS_EXIT
    for failed in result.failed_nodes:
        print(f"\nnode '{failed.node_id}' failed: {failed.error}")
        if args.verbose and failed.traceback:
            print(failed.traceback)
    root = os.path.abspath(pipeline.root)
    print(f"\nArtifacts: {root}\nMetadata:  {result.metadata}\n"
          f"Inspect:   starling runs --root {pipeline.root} | starling artifacts --root "
          f"{pipeline.root} | starling lineage ARTIFACT_ID --root {pipeline.root}")
    return 0 if result.status == "COMPLETE" else 1
