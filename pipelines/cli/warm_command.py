"""`starling warm status|start|stop`: the warm workers `starling run --warm` uses."""

from __future__ import annotations

import argparse
import os
import signal

from pipelines.cli.tables import format_ms, render_table


def add_warm_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `warm`."""
    parser = subparsers.add_parser(
        "warm", help="list, start or stop warm workers (for `starling run --warm`)",
        description="A warm worker keeps TensorFlow, Beam, TFT, TFDV and TFMA imported; `starling run "
                    "--warm` forks it for each run. It stops by itself after STARLING_WARM_IDLE_SECONDS "
                    "(default 900) without a run.")
    parser.add_argument("action", choices=("status", "start", "stop"), nargs="?", default="status",
                        help="status (default): list this user's workers; start: start the worker this "
                             "shell would use and return once it is ready; stop: stop every worker once "
                             "its runs end")
    parser.set_defaults(handler=warm_workers)


def warm_workers(args: argparse.Namespace) -> int:
    """Lists, starts or stops workers; 0 on success."""
    from pipelines.warm import running_workers
    from pipelines.warm.client import connect_to_worker
    from pipelines.warm.location import WorkerFiles, code_digest, worker_key

    code = code_digest()
    this_shell = worker_key(code)
    if args.action == "start":
        connect_to_worker(WorkerFiles.for_key(this_shell), code).close()
    workers = running_workers()
    if args.action == "stop":
        for files in workers:
            record = files.read_record() or {}
            os.kill(int(record["pid"]), signal.SIGTERM)
            print(f"stopping warm worker {files.key} (pid {record['pid']})")
        return 0
    if not workers:
        print("no warm worker is running; `starling run --warm` starts one")
        return 0
    rows = []
    for files in workers:
        record = files.read_record() or {}
        started_ms = int(float(record.get("started", 0)) * 1000)
        rows.append([files.key, str(record.get("pid")), format_ms(started_ms),
                     f"{float(record.get('idle_seconds', 0)):g}", "yes" if files.key == this_shell else "no",
                     str(record.get("python"))])
    print(render_table(["worker", "pid", "started", "idle stop s", "this shell's", "python"], rows))
    return 0
