"""`starling serve`: registered with the CLI through the `starling.commands` entry point."""

from __future__ import annotations

import argparse


def add_serve_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `serve`."""
    parser = subparsers.add_parser(
        "serve", help="serve pushed models over TF Serving's REST API",
        description="Serves every model under --model-base-path (<base>/<name>/<version>/), or the "
                    "named ones, reloading new versions as they appear.")
    parser.add_argument("--model-base-path", required=True)
    parser.add_argument("--model-name", action="append", default=[], help="serve only these (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--poll-seconds", type=float, default=2.0, help="how often to look for new versions")
    parser.add_argument("--no-batching", action="store_true", help="one model call per request")
    parser.add_argument("--max-batch-size", type=int, default=64)
    parser.add_argument("--batch-timeout-ms", type=float, default=2.0)
    parser.add_argument("--max-queue", type=int, default=256, help="queued requests before 503s")
    parser.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--log-requests", metavar="DIR", help="log a sample of requests as tf.Examples")
    parser.add_argument("--log-sample-rate", type=float, default=0.1)
    parser.set_defaults(handler=run_server)


def run_server(args: argparse.Namespace) -> int:
    """Builds the options and serves until interrupted."""
    from serving.batcher import BatchingOptions
    from serving.server import ServerOptions, serve_forever

    options = ServerOptions(
        model_base_path=args.model_base_path, model_names=args.model_name, host=args.host,
        port=args.port, poll_seconds=args.poll_seconds,
        batching=BatchingOptions(enabled=not args.no_batching, max_batch_size=args.max_batch_size,
                                 max_wait_ms=args.batch_timeout_ms, max_queued_requests=args.max_queue),
        max_body_bytes=args.max_body_bytes, request_log_dir=args.log_requests,
        request_log_sample_rate=args.log_sample_rate)
    print(f"Serving models from {args.model_base_path} on http://{args.host}:{args.port} "
          "(POST /v1/models/<name>:predict)")
    serve_forever(options)
    return 0
