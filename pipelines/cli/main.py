"""The `starling` command line: run pipelines and inspect what ML Metadata recorded."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from pipelines.cli.beam_flags import attach_beam_args
from pipelines.environment.process_exit import exit_code, exit_now
from pipelines.errors import StarlingError
from pipelines.runner.signals import Terminated

# Commands of the framework's own modules: (module, function that registers them).
_OPTIONAL_COMMANDS = (
    ("pipelines.cli.show", "add_show_command"),
    ("pipelines.cli.compile_command", "add_compile_commands"),
    ("pipelines.cli.new_command", "add_new_command"),
    ("pipelines.cli.plan_command", "add_plan_command"),
    ("pipelines.cli.ui_command", "add_ui_command"),
    ("pipelines.cli.warm_command", "add_warm_command"),
)
# Packages outside the framework (e.g. serving/) add commands through this entry-point group, so
# `pipelines` never imports them.
COMMAND_ENTRY_POINTS = "starling.commands"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from pipelines.cli.inspect_commands import add_inspect_commands
    from pipelines.cli.run_command import add_run_command

    parser = argparse.ArgumentParser(
        prog="starling", description="Declarative ML pipelines: run, inspect, trace lineage.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_run_command(subparsers)
    add_inspect_commands(subparsers)
    for module_name, function_name in _OPTIONAL_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        getattr(module, function_name)(subparsers)
    for entry_point in importlib.metadata.entry_points(group=COMMAND_ENTRY_POINTS):
        entry_point.load()(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI; errors Starling raises on purpose print one line and exit with status 2."""
    command_line = attach_beam_args(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(command_line)
    args.command_line = command_line  # what a warm worker is handed to run
    try:
        return int(args.handler(args) or 0)
    except StarlingError as error:
        print(f"starling: error: {error}", file=sys.stderr)
        return 2
    except Terminated as terminated:  # SIGTERM: the run was cleaned up and marked CANCELLED
        print(f"starling: stopped ({terminated})", file=sys.stderr)
        return 128 + terminated.signal_number
    except KeyboardInterrupt:
        print("starling: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `starling lineage Model | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # the machine, not the pipeline: a full disk, a missing permission
        print(f"starling: error: {error}", file=sys.stderr)
        return 2


def command() -> NoReturn:
    """The `starling` program: `main()` on `sys.argv`, then `exit_now`.

    The process leaves without the interpreter's teardown of TensorFlow, Beam and TFMA (about
    1.5 s after a run's last line); its threads, `atexit` handlers and output are finished first.
    """
    try:
        code = main()
    except SystemExit as exit_:
        code = exit_code(exit_)
    exit_now(code)


if __name__ == "__main__":
    command()
