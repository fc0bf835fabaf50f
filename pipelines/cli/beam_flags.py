"""`--beam-args` and `--runner` on `starling run` and `starling compile`.

`--beam-args "--runner=FlinkRunner --flink_master=HOST:8081 ..."` is one shell-quoted string,
as TFX's `beam_pipeline_args`; it replaces the pipeline's own `beam_args`. `--runner flink`
fills in the arguments of the local cluster that `make flink-up` starts; `--runner direct`
runs on the DirectRunner. Arguments given in `--beam-args` win over the shortcut's.
"""

from __future__ import annotations

import argparse
import os
import shlex
import urllib.request
from collections.abc import Sequence

from pipelines.dsl.locations import STARLING_DIR
from pipelines.errors import StarlingError

RUNNER_SHORTCUTS = ("direct", "flink")


def add_beam_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds `--beam-args` and `--runner` to a subcommand."""
    parser.add_argument("--beam-args", default=None, metavar="'ARGS'",
                        help="Beam pipeline arguments as one quoted string; replace the "
                             "pipeline's beam_args (e.g. \"--runner=FlinkRunner "
                             "--flink_master=127.0.0.1:8081\")")
    parser.add_argument("--runner", choices=RUNNER_SHORTCUTS, default=None,
                        help="shortcut: 'flink' = the local cluster of `make flink-up`, "
                             "'direct' = DirectRunner")


def attach_beam_args(argv: Sequence[str]) -> list[str]:
    """`--beam-args VALUE` as `--beam-args=VALUE`, so a VALUE that starts with `--` stays a value.

    argparse would read `--beam-args "--runner=FlinkRunner ..."` as the `--runner` option.
    """
    attached: list[str] = []
    pending = False
    for arg in argv:
        if pending:
            attached[-1] = f"--beam-args={arg}"
            pending = False
        else:
            attached.append(arg)
            pending = arg == "--beam-args"
    return attached


def local_flink_args(check_running: bool = True) -> list[str]:
    """Beam arguments for the local cluster `make flink-up` starts (ports as in scripts/flink/env.sh).

    Raises:
        StarlingError: `check_running` and the cluster's REST API does not answer.
    """
    rest = f"127.0.0.1:{os.environ.get('STARLING_FLINK_REST_PORT', '8081')}"
    state = os.environ.get("STARLING_FLINK_DIR", os.path.join(STARLING_DIR, ".flink"))
    if check_running:
        try:
            urllib.request.urlopen(f"http://{rest}/overview", timeout=5).close()
        except OSError as error:
            raise StarlingError(f"--runner flink: no Flink cluster answers at http://{rest} ({error}); "
                                f"start one with `make flink-up`") from None
    return [
        "--runner=FlinkRunner",
        f"--flink_master={rest}",
        f"--job_endpoint=127.0.0.1:{os.environ.get('STARLING_BEAM_JOB_PORT', '8099')}",
        f"--flink_job_server_jar={os.path.join(state, 'job-server', 'beam-flink-1.19-job-server.jar')}",
        "--environment_type=EXTERNAL",
        f"--environment_config=127.0.0.1:{os.environ.get('STARLING_BEAM_WORKER_POOL_PORT', '50000')}",
        "--parallelism=2",
    ]


def _flag_name(arg: str) -> str:
    return arg.split("=", 1)[0]


def beam_args_from(args: argparse.Namespace, check_running: bool = True) -> list[str] | None:
    """The Beam arguments the flags ask for, or None to keep the pipeline's own.

    Raises:
        StarlingError: `--beam-args` is not valid shell quoting, or `--runner flink` finds no cluster.
    """
    given: list[str] = []
    if args.beam_args is not None:
        try:
            given = shlex.split(args.beam_args)
        except ValueError as error:
            raise StarlingError(f"--beam-args: {error} in {args.beam_args!r}") from None
    if args.runner is None:
        return given if args.beam_args is not None else None
    shortcut = (local_flink_args(check_running) if args.runner == "flink"
                else ["--runner=DirectRunner"])
    overridden = {_flag_name(arg) for arg in given}
    return [arg for arg in shortcut if _flag_name(arg) not in overridden] + given
