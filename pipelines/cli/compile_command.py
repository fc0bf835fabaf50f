"""`starling compile`, `starling submit` and `starling kfp-local`: the Kubeflow Pipelines path."""

from __future__ import annotations

import argparse
import os

from pipelines.cli.beam_flags import add_beam_arguments, beam_args_from
from pipelines.cli.loader import parse_params


def add_compile_commands(subparsers: argparse._SubParsersAction) -> None:
    """Registers `compile`, `submit` and `kfp-local`."""
    compile_parser = subparsers.add_parser(
        "compile", help="compile a pipeline file to Kubeflow Pipelines v2 YAML")
    compile_parser.add_argument("pipeline_file")
    compile_parser.add_argument("--target", choices=["kubeflow"], default="kubeflow")
    compile_parser.add_argument("-o", "--output", required=True, help="the YAML file to write")
    compile_parser.add_argument("--image", default="starling:latest",
                                help="container image of every step (see Dockerfile)")
    compile_parser.add_argument("--metadata", default="", metavar="URL",
                                help="MLMD store the steps record into and resolvers read: "
                                     "grpc://HOST:PORT, mysql://USER:PASSWORD@HOST:PORT/DB or sqlite:PATH")
    compile_parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                                help="default of a pipeline parameter (repeatable)")
    compile_parser.add_argument("--pipeline-path-in-image", default=None,
                                help="where steps find the pipeline file (default: as given)")
    add_beam_arguments(compile_parser)
    compile_parser.set_defaults(handler=compile_file)

    submit_parser = subparsers.add_parser("submit", help="upload a pipeline to Kubeflow and start a run")
    submit_parser.add_argument("pipeline_file", help="a pipeline file, or a compiled .yaml")
    submit_parser.add_argument("--host", required=True, help="the KFP API URL, e.g. http://localhost:8080")
    submit_parser.add_argument("--experiment", default="Default")
    submit_parser.add_argument("--image", default="starling:latest")
    submit_parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                               help="run argument (repeatable)")
    submit_parser.add_argument("--schedule", metavar="CRON", default=None,
                               help="create a KFP recurring run instead, e.g. '0 6 * * *' (daily)")
    submit_parser.set_defaults(handler=submit_file)

    local_parser = subparsers.add_parser(
        "kfp-local", help="run a compiled pipeline YAML here with kfp.local (no cluster)")
    local_parser.add_argument("package")
    local_parser.add_argument("--pipeline-root", default="runs/kfp-local")
    local_parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    local_parser.set_defaults(handler=run_package_locally)


def compile_file(args: argparse.Namespace) -> int:
    """Compiles and prints what went where."""
    from pipelines.kubeflow import compile_pipeline

    compiled = compile_pipeline(args.pipeline_file, args.output, image=args.image,
                                metadata_url=args.metadata, params=parse_params(args.param),
                                pipeline_path_in_image=args.pipeline_path_in_image,
                                beam_args=beam_args_from(args, check_running=False))
    shown = ", ".join(f"{p.name}={p.default!r}" for p in compiled.parameters) or "none"
    print(f"Compiled pipeline '{compiled.pipeline_name}' ({len(compiled.node_ids)} steps) to "
          f"{compiled.output_path}\n  image: {args.image}\n  parameters: {shown}")
    return 0


def submit_file(args: argparse.Namespace) -> int:
    """Compiles a pipeline file if needed (with the `--param` values), then submits it."""
    import tempfile

    from pipelines.kubeflow import compile_pipeline
    from pipelines.kubeflow.client import submit

    arguments = parse_params(args.param)
    options = {"experiment": args.experiment, "arguments": arguments, "schedule": args.schedule}
    if args.pipeline_file.endswith((".yaml", ".yml")):
        run_id = submit(args.pipeline_file, args.host, **options)
    else:
        with tempfile.TemporaryDirectory(prefix="starling-submit-") as scratch:
            package = os.path.join(scratch, "pipeline.yaml")
            compile_pipeline(args.pipeline_file, package, image=args.image, params=arguments)
            run_id = submit(package, args.host, **options)
    what = f"recurring run {run_id} ({args.schedule})" if args.schedule else f"run {run_id}"
    print(f"Submitted {what} to {args.host} (experiment {args.experiment})")
    return 0


def run_package_locally(args: argparse.Namespace) -> int:
    """Runs a compiled YAML with kfp.local."""
    from pipelines.kubeflow.client import run_locally

    run_locally(args.package, args.pipeline_root, parse_params(args.param))
    print(f"kfp.local run finished; outputs under {args.pipeline_root}")
    return 0
