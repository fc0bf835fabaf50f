"""`starling serve`: registered with the CLI through the `starling.commands` entry point."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import warnings
from typing import TYPE_CHECKING

from pipelines.environment import import_tensorflow_quietly

if TYPE_CHECKING:
    from serving.server import ServerOptions


def add_serve_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `serve`."""
    parser = subparsers.add_parser(
        "serve", help="serve pushed models over TF Serving's REST and gRPC APIs",
        description="Serves every model under --model-base-path (<base>/<name>/<version>/), or the "
                    "named ones, or those of a TF Serving --model-config-file, loading new versions "
                    "as they appear.")
    models = parser.add_mutually_exclusive_group(required=True)
    models.add_argument("--model-base-path")
    models.add_argument("--model-config-file", help="TF Serving's ModelServerConfig text file")
    parser.add_argument("--model-name", action="append", default=[], help="serve only these (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501, help="REST port (TF Serving's default)")
    parser.add_argument("--grpc-port", type=int, default=8500, help="gRPC port (TF Serving's default)")
    parser.add_argument("--model-version-policy", default="latest:1",
                        help="latest:N, all, or specific:V,V,... (default latest:1)")
    parser.add_argument("--version-label", action="append", default=[], metavar="[MODEL:]LABEL=VERSION",
                        help="e.g. stable=3 (repeatable)")
    parser.add_argument("--poll-seconds", type=float, default=2.0, help="how often to look for new versions")
    parser.add_argument("--no-batching", action="store_true", help="one model call per request")
    parser.add_argument("--max-batch-size", type=int, default=64)
    parser.add_argument("--batch-timeout-ms", type=float, default=1.0,
                        help="how long a batch with company waits for more (a lone request never waits)")
    parser.add_argument("--request-timeout-ms", type=float, default=10_000.0, help="deadline (504 past it)")
    parser.add_argument("--latency-target-ms", type=float, default=50.0,
                        help="p99 the adaptive concurrency limit keeps admitted requests under")
    parser.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024)
    parser.add_argument("--max-buffered-bytes", type=int, default=None,
                        help="request bodies held at once may total this; more get 503 "
                             "(default: four times --max-body-bytes)")
    parser.add_argument("--header-timeout-ms", type=float, default=10_000.0,
                        help="a request's head must arrive within this (else the connection is closed)")
    parser.add_argument("--body-timeout-ms", type=float, default=30_000.0,
                        help="its body within this of its head; also how long an answer may stay unread")
    parser.add_argument("--max-connections", type=int, default=1024,
                        help="open connections per process; more are answered 503 and closed")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                        help="a Host name to serve besides loopback names and IP addresses "
                             "(repeatable; *.example.com for subdomains, * for any)")
    parser.add_argument("--log-requests", metavar="DIR", help="log a sample of requests as tf.Examples")
    parser.add_argument("--log-sample-rate", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="N server processes sharing the ports (SO_REUSEPORT); each loads every model")
    parser.set_defaults(handler=run_server)


def run_server(args: argparse.Namespace) -> int:
    """Builds the options and serves until interrupted; 2 on a configuration error."""
    warnings.filterwarnings("ignore", category=FutureWarning, module="google.api_core")
    import_tensorflow_quietly()  # without its CUDA registration errors on a CPU machine
    from serving.admission import LimiterOptions
    from serving.batcher import BatchingOptions
    from serving.connections import ConnectionLimits
    from serving.model_config import ConfigError, VersionPolicy, parse_labels, read_config_file
    from serving.server import ServerOptions, serve_forever
    from serving.workers import serve_with_workers

    try:
        options = ServerOptions(
            model_base_path=args.model_base_path or "", model_names=args.model_name, host=args.host,
            port=args.port, grpc_port=args.grpc_port, poll_seconds=args.poll_seconds,
            policy=VersionPolicy.parse(args.model_version_policy), labels=parse_labels(args.version_label),
            configs=read_config_file(args.model_config_file) if args.model_config_file else [],
            batching=BatchingOptions(enabled=not args.no_batching, max_batch_size=args.max_batch_size,
                                     max_wait_ms=args.batch_timeout_ms),
            limiter=LimiterOptions(latency_target_ms=args.latency_target_ms),
            request_timeout_ms=args.request_timeout_ms, max_body_bytes=args.max_body_bytes,
            max_buffered_bytes=args.max_buffered_bytes,
            request_log_dir=args.log_requests, request_log_sample_rate=args.log_sample_rate,
            connections=ConnectionLimits(args.header_timeout_ms / 1000, args.body_timeout_ms / 1000,
                                         args.max_connections),
            allowed_hosts=args.allowed_host)
        if args.workers == 1:
            serve_forever(options, lambda server: _announce(
                dataclasses.replace(server.options, port=server.port, grpc_port=server.grpc_port),
                [os.getpid()]))
            return 0
        return serve_with_workers(options, args.workers, _announce)
    except ConfigError as error:
        print(f"starling serve: {error}", file=sys.stderr)
        return 2


def _announce(options: ServerOptions, pids: list[int]) -> None:
    """The one line saying where the server listens (printed only once every worker serves)."""
    source = options.model_base_path or ", ".join(c.base_path for c in options.configs)
    grpc = f", gRPC {options.host}:{options.grpc_port}" if options.grpc_port is not None else ""
    workers = f", {len(pids)} workers (pids {', '.join(map(str, pids))})" if len(pids) > 1 else ""
    print(f"Serving models from {source}: REST http://{options.host}:{options.port}{grpc}{workers} "
          f"(POST /v1/models/<name>:predict)", flush=True)
