"""`starling run PIPELINE_FILE`: runs a pipeline locally with live progress (or `--watch`es it)."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import pipelines.storage as storage
from pipelines.cli.beam_flags import add_beam_arguments, beam_args_from
from pipelines.cli.loader import load_pipeline, parse_params
from pipelines.dsl.pipeline import Pipeline
from pipelines.metadata import MetadataStore, sqlite_config
from pipelines.metadata.run_lock import RunInProgressError
from pipelines.runner import ConsoleProgress, LocalRunner
from pipelines.runner.progress import node_note
from pipelines.runner.root_mirror import mirror_dir
from pipelines.runner.run_lifecycle import check_local_root
from pipelines.runner.run_log import library_output_to, new_log_path
from pipelines.runner.watch import watch

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
    parser.add_argument("--verbose", action="store_true",
                        help="show library output (TensorFlow, Beam, warnings) on the console and "
                             "failed nodes' tracebacks (default: library output goes to "
                             "<root>/logs/)")
    parser.add_argument("--no-wait", action="store_true",
                        help="exit with status 3 instead of waiting when another run of this "
                             "pipeline on the same root is in progress")
    parser.add_argument("--watch", action="store_true",
                        help="keep polling the pipeline's ExampleGens and run when new data arrives")
    parser.add_argument("--interval", type=float, default=60.0, metavar="SECONDS",
                        help="seconds between polls with --watch (default 60)")
    parser.add_argument("--warm", action="store_true",
                        help="run in a fork of a warm worker that keeps TensorFlow, Beam, TFT, TFDV and "
                             "TFMA imported (started on first use; stops after 15 min idle); same "
                             "results as a cold run")
    add_beam_arguments(parser)
    parser.set_defaults(handler=run_pipeline_file)


def run_pipeline_file(args: argparse.Namespace) -> int:
    """Loads and runs the file (or watches it); exit status 0 when every node completed or was cached."""
    if args.warm:
        from pipelines.warm import run_warm

        return run_warm([argument for argument in args.command_line if argument != "--warm"])
    pipeline = load_pipeline(args.pipeline_file, parse_params(args.param))
    beam_args = beam_args_from(args)
    if beam_args is not None:
        pipeline.beam_args = beam_args
    if args.watch:
        check_local_root(pipeline)  # before anything (logs, the store) is written under it
        return watch_pipeline(args, pipeline)
    return run_once(args, pipeline)


def run_once(args: argparse.Namespace, pipeline: Pipeline) -> int:
    """One run with progress on the console; library output to `<root>/logs/` unless --verbose."""
    local_root = mirror_dir(pipeline.root) if storage.is_url(pipeline.root) else pipeline.root
    log_path = None if args.verbose else new_log_path(local_root)
    try:
        with _console(log_path) as console:
            runner = LocalRunner(max_parallel_nodes=args.parallel, listener=ConsoleProgress(console))
            result = runner.run(pipeline, enable_cache=False if args.no_cache else None,
                                wait_for_other_runs=not args.no_wait)
    except RunInProgressError as busy:
        print(f"starling: {busy}", file=sys.stderr)
        return RUN_IN_PROGRESS_EXIT
    finally:
        _name_log(log_path)
    for failed in result.failed_nodes:
        verb = "halted the run" if failed.halted else "failed"
        print(f"\nnode '{failed.node_id}' {verb}: {node_note(failed)}")
        if args.verbose and failed.traceback:
            print(failed.traceback)
    root = storage.absolute(pipeline.root)
    print(f"\nArtifacts: {root}\nMetadata:  {result.metadata}\n"
          f"Inspect:   starling runs --root {local_root} | starling artifacts --root "
          f"{local_root} | starling lineage ARTIFACT_ID --root {local_root}")
    return 0 if result.status == "COMPLETE" else 1


def _name_log(log_path: str | None) -> None:
    """Says where the run's library output went; an empty log is removed instead."""
    if log_path is None or not os.path.exists(log_path):
        return
    if os.path.getsize(log_path) == 0:
        os.remove(log_path)
    else:
        print(f"Library output: {log_path}", flush=True)


@contextmanager
def _console(log_path: str | None) -> Iterator[TextIO]:
    if log_path is None:
        yield sys.stdout
        return
    with library_output_to(log_path) as console:
        yield console


def watch_pipeline(args: argparse.Namespace, pipeline: Pipeline) -> int:
    """Polls the pipeline's drivers every --interval seconds and runs it when data arrives."""
    os.makedirs(pipeline.root, exist_ok=True)
    store = MetadataStore(pipeline.metadata or sqlite_config(pipeline.metadata_path()), root=pipeline.root)
    print(f"Watching pipeline '{pipeline.name}' every {args.interval:g}s (Ctrl-C to stop)", flush=True)

    def say(text: str) -> None:
        print(f"[{datetime.datetime.now():%H:%M:%S}] {text}", flush=True)

    watch(pipeline, store, lambda: run_once(args, pipeline), interval_s=args.interval, say=say)
    return 0
