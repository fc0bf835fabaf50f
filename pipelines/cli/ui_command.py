"""`starling ui`: serves the read-only web UI over a pipeline root's (or any) metadata store."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from pipelines.errors import StarlingError

if TYPE_CHECKING:
    from pipelines.ui.source import StoreSource


def add_ui_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `ui`."""
    parser = subparsers.add_parser(
        "ui", help="browse runs, pipeline graphs, artifacts, lineage and comparisons in a browser",
        description="A read-only web UI over ML Metadata. Binds to 127.0.0.1 unless --host says "
                    "otherwise; every asset is served locally.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--root", help="pipeline root holding metadata.sqlite "
                                      "(default: $STARLING_ROOT, ., or the latest root below)")
    where.add_argument("--metadata", metavar="URL",
                       help="sqlite:PATH, mysql://USER:PASSWORD@HOST:PORT/DATABASE or grpc://HOST:PORT")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="a Host name to answer besides loopback names and IP addresses "
                             "(repeatable; *.example.com for subdomains, * for any)")
    parser.add_argument("--serving-url", metavar="URL",
                        help="a model server's REST address (e.g. http://127.0.0.1:8501) whose "
                             "AVAILABLE versions the Models page shows")
    parser.set_defaults(handler=run_ui)


def _source(args: argparse.Namespace) -> StoreSource:
    from pipelines.cli.store_location import find_root
    from pipelines.ui.source import StoreSource

    if args.metadata:
        return StoreSource.from_url(args.metadata)
    if args.root:  # may not exist yet: the UI says so and looks again on every request
        return StoreSource.from_root(args.root)
    return StoreSource.from_root(find_root(None))


def run_ui(args: argparse.Namespace) -> int:
    """Serves the UI until interrupted."""
    import uvicorn

    from pipelines.ui import create_app

    if not 0 < args.port < 65536:
        raise StarlingError(f"--port must be between 1 and 65535, got {args.port}")
    source = _source(args)
    app = create_app(source, serving_url=args.serving_url, allowed_hosts=args.allowed_host)
    print(f"Starling UI on http://{args.host}:{args.port}/  (metadata: {source.location}; "
          "Ctrl-C stops)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
