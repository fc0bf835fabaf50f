"""`starling compile`, `starling submit` and `starling kfp-local`: the Kubeflow Pipelines path."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from pipelines.cli.beam_flags import add_beam_arguments, beam_args_from
from pipelines.cli.loader import parse_params

if TYPE_CHECKING:
    from pipelines.kubeflow.compiler import CompiledPipeline

DEFAULT_IMAGE = "starling:latest"


def add_package_arguments(parser: argparse.ArgumentParser) -> None:
    """What `compile` and `submit` share: image, store, secrets, storage, parameters, Beam."""
    parser.add_argument("--image", default=DEFAULT_IMAGE,
                        help="container image of every step: the Starling image (see Dockerfile), "
                             "pushed to a registry the cluster pulls from")
    parser.add_argument("--metadata", default="", metavar="URL",
                        help="MLMD store the steps record into and resolvers read: "
                             "grpc://HOST:PORT, mysql://USER@HOST:PORT/DB or sqlite:PATH")
    parser.add_argument("--metadata-secret", default="", metavar="NAME",
                        help="Kubernetes Secret whose key 'password' is the store's password "
                             "(read by each step as $STARLING_METADATA_PASSWORD)")
    parser.add_argument("--storage-secret", default="", metavar="NAME",
                        help="Kubernetes Secret with keys AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY for s3:// paths")
    parser.add_argument("--s3-endpoint", default="", metavar="URL",
                        help="S3-compatible endpoint of every step (MinIO, SeaweedFS, Ceph)")
    parser.add_argument("--volume", action="append", default=[], metavar="PVC:/MOUNT",
                        help="mount a PersistentVolumeClaim in every step (repeatable); paths "
                             "under it count as persistent")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="default of a pipeline parameter (repeatable)")
    parser.add_argument("--pipeline-path-in-image", default=None,
                        help="the project is baked into the image at this path: ship no project "
                             "files in the package")
    parser.add_argument("--allow-local-paths", action="store_true",
                        help="accept absolute local paths for root, data_root, serving_base "
                             "(for kfp-local runs on this machine)")
    parser.add_argument("--allow-inline-secrets", action="store_true",
                        help="write a password given in --metadata or --beam-args into the package")
    add_beam_arguments(parser)


def add_compile_commands(subparsers: argparse._SubParsersAction) -> None:
    """Registers `compile`, `submit` and `kfp-local`."""
    compile_parser = subparsers.add_parser(
        "compile", help="compile a pipeline file to Kubeflow Pipelines v2 YAML")
    compile_parser.add_argument("pipeline_file")
    compile_parser.add_argument("--target", choices=["kubeflow"], default="kubeflow")
    compile_parser.add_argument("-o", "--output", required=True, help="the YAML file to write")
    add_package_arguments(compile_parser)
    compile_parser.set_defaults(handler=compile_file)

    submit_parser = subparsers.add_parser("submit", help="upload a pipeline to Kubeflow and start a run")
    submit_parser.add_argument("pipeline_file", help="a pipeline file, or a compiled .yaml")
    submit_parser.add_argument("--host", required=True, help="the KFP API URL, e.g. http://localhost:8080")
    submit_parser.add_argument("--experiment", default="Default")
    submit_parser.add_argument("--schedule", metavar="CRON", default=None,
                               help="create a KFP recurring run instead, e.g. '0 6 * * *' (daily)")
    add_package_arguments(submit_parser)
    submit_parser.set_defaults(handler=submit_file)

    local_parser = subparsers.add_parser(
        "kfp-local", help="run a compiled pipeline YAML here with kfp.local (no cluster)")
    local_parser.add_argument("package")
    local_parser.add_argument("--pipeline-root", default="runs/kfp-local")
    local_parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    local_parser.set_defaults(handler=run_package_locally)


def _compile(args: argparse.Namespace, output: str) -> CompiledPipeline:
    """Compiles `args.pipeline_file` with every package flag."""
    from pipelines.kubeflow import compile_pipeline
    from pipelines.kubeflow.checks import parse_volume
    from pipelines.kubeflow.codegen import ClusterSettings

    cluster = ClusterSettings(args.metadata_secret, args.storage_secret,
                              tuple(parse_volume(text) for text in args.volume), args.s3_endpoint)
    return compile_pipeline(args.pipeline_file, output, image=args.image, metadata_url=args.metadata,
                            params=parse_params(args.param),
                            pipeline_path_in_image=args.pipeline_path_in_image,
                            beam_args=beam_args_from(args, check_running=False), cluster=cluster,
                            allow_local_paths=args.allow_local_paths,
                            allow_inline_secrets=args.allow_inline_secrets)


def compile_file(args: argparse.Namespace) -> int:
    """Compiles and prints what went where."""
    compiled = _compile(args, args.output)
    shown = ", ".join(f"{p.name}={p.default!r}" for p in compiled.parameters) or "none"
    print(f"Compiled pipeline '{compiled.pipeline_name}' ({len(compiled.node_ids)} steps) to "
          f"{compiled.output_path}\n  image: {args.image}\n  parameters: {shown}")
    if compiled.project_files:
        print(f"  project files shipped in the package: {', '.join(compiled.project_files)}")
    for line in package_warnings(args):
        print(f"  note: {line}")
    return 0


def package_warnings(args: argparse.Namespace) -> list[str]:
    """What the package will lack on a cluster, said at compile time."""
    notes = []
    if not args.metadata:
        notes.append("no --metadata: on the cluster, caching, warm start, baselines and the run "
                     "record (starling runs) are off")
    if args.image == DEFAULT_IMAGE:
        notes.append(f"--image {DEFAULT_IMAGE} names no registry; the cluster must be able to pull it")
    return notes


def submit_file(args: argparse.Namespace) -> int:
    """Compiles a pipeline file if needed (with every compile flag), then submits it.

    A recurring run (`--schedule`) carries the compiled package, so each scheduled run has the
    same store, secrets, Beam arguments and parameter defaults.
    """
    import tempfile

    from pipelines.kubeflow.client import submit

    arguments = parse_params(args.param)
    options = {"experiment": args.experiment, "arguments": arguments, "schedule": args.schedule}
    if args.pipeline_file.endswith((".yaml", ".yml")):
        run_id = submit(args.pipeline_file, args.host, **options)
    else:
        with tempfile.TemporaryDirectory(prefix="starling-submit-") as scratch:
            package = os.path.join(scratch, "pipeline.yaml")
            _compile(args, package)
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
