"""Generates the Python source of a KFP pipeline: one lightweight component per Starling node.

Each generated component declares the node's connected inputs, its outputs (plus HTML, Markdown
and Metrics outputs for reports) and every pipeline parameter; its body calls
`pipelines.kubeflow.step.run_step`, the same executor code the local runner uses. A first step
hands out the project's code (`project_bundle`), each node's step takes it as an input; with a
metadata store, an exit handler records the run's final status (`step.finish_run_step`).
Secrets, volumes and the object-store endpoint are set on every step with `kfp.kubernetes`.
"""

from __future__ import annotations

import base64
import dataclasses
import keyword
import re
from typing import Any

from pipelines.dsl.node import Node
from pipelines.dsl.pipeline import Pipeline
from pipelines.kubeflow import artifact_types as kinds
from pipelines.kubeflow.project_bundle import ProjectBundle
from pipelines.metadata.connection import PASSWORD_ENV

METADATA_PASSWORD_ENV = PASSWORD_ENV
STORAGE_SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")

_KFP_PARAMETER_TYPES = {int: "int", float: "float", bool: "bool", str: "str"}


@dataclasses.dataclass(frozen=True)
class PipelineParameter:
    """A runtime parameter of the compiled pipeline (an argument of `create_pipeline`)."""

    name: str
    kfp_type: str
    default: Any


@dataclasses.dataclass(frozen=True)
class ClusterSettings:
    """What each step gets from the cluster: Secrets as environment variables, volumes, endpoint."""

    metadata_secret: str = ""  # its `password` key becomes STARLING_METADATA_PASSWORD
    storage_secret: str = ""  # its AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY keys, as they are
    volumes: tuple[tuple[str, str], ...] = ()  # (PVC name, mount path)
    s3_endpoint: str = ""  # AWS_ENDPOINT_URL of every step (MinIO, SeaweedFS, Ceph ...)


@dataclasses.dataclass(frozen=True)
class CompileSettings:
    """What the generated code bakes in."""

    pipeline_file: str  # inside the project bundle, or a path in the image without one
    image: str
    metadata_url: str
    beam_args: tuple[str, ...] | None = None  # replace the pipeline's own when given
    bundle: ProjectBundle | None = None
    cluster: ClusterSettings = ClusterSettings()


def python_name(text: str, prefix: str) -> str:
    """A valid identifier made from `text`."""
    name = re.sub(r"\W", "_", text)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"{prefix}_{name}"
    return name


def kfp_parameter_type(annotation: Any) -> str:
    """The KFP parameter type for a Python annotation (other types travel as JSON text)."""
    return _KFP_PARAMETER_TYPES.get(annotation, "str")


def generate_module(pipeline: Pipeline, parameters: list[PipelineParameter],
                    settings: CompileSettings) -> str:
    """The full source of a module defining the components and the `@dsl.pipeline` function."""
    lines = [
        "from kfp import dsl",
        "from kfp.dsl import HTML, Artifact, Dataset, Input, Markdown, Metrics, Model, Output",
        *(["from kfp import kubernetes"] if _uses_kubernetes(settings.cluster) else []),
        "",
    ]
    if settings.bundle is not None:
        lines += _bundle_component(settings)
    if settings.metadata_url:
        lines += _finish_component(pipeline, settings)
    for node in pipeline.ordered_nodes:
        lines += _component_source(node, parameters, settings)
    lines += _pipeline_source(pipeline, parameters, settings)
    return "\n".join(lines) + "\n"


def _bundle_component(settings: CompileSettings) -> list[str]:
    assert settings.bundle is not None
    encoded = base64.b64encode(settings.bundle.data).decode()
    return [
        f"@dsl.component(base_image={settings.image!r}, install_kfp_package=False)",
        "def starling_project_files(project: Output[Artifact]):",
        f'    """The project\'s files ({len(settings.bundle.files)}), shipped in the package."""',
        "    import base64",
        "    with open(project.path, 'wb') as target:",
        f"        target.write(base64.b64decode({encoded!r}))",
        f"    project.metadata['sha256'] = {settings.bundle.sha256!r}",
        f"    project.metadata['files'] = {list(settings.bundle.files)!r}",
        "",
        "",
    ]


def _finish_component(pipeline: Pipeline, settings: CompileSettings) -> list[str]:
    nodes = {node.id: node.component.name for node in pipeline.ordered_nodes}
    return [
        f"@dsl.component(base_image={settings.image!r}, install_kfp_package=False)",
        "def starling_finish_run(run_id: str):",
        '    """Records the run\'s final status and counts in the metadata store (exit handler)."""',
        "    from pipelines.kubeflow.step import finish_run_step",
        f"    finish_run_step(metadata_url={settings.metadata_url!r}, run_id=run_id,",
        f"                    pipeline_name={pipeline.name!r}, nodes={nodes!r})",
        "",
        "",
    ]


def _uses_kubernetes(cluster: ClusterSettings) -> bool:
    return bool(cluster.metadata_secret or cluster.storage_secret or cluster.volumes)


def _platform_lines(task: str, cluster: ClusterSettings, indent: str) -> list[str]:
    """The `kfp.kubernetes` and environment settings of one task."""
    lines = []
    if cluster.metadata_secret:
        lines.append(f"kubernetes.use_secret_as_env({task}, secret_name={cluster.metadata_secret!r}, "
                     f"secret_key_to_env={{'password': {METADATA_PASSWORD_ENV!r}}})")
    if cluster.storage_secret:
        keys = {key: key for key in STORAGE_SECRET_KEYS}
        lines.append(f"kubernetes.use_secret_as_env({task}, secret_name={cluster.storage_secret!r}, "
                     f"secret_key_to_env={keys!r})")
    for claim, mount_path in cluster.volumes:
        lines.append(f"kubernetes.mount_pvc({task}, pvc_name={claim!r}, mount_path={mount_path!r})")
    if cluster.s3_endpoint:
        lines.append(f"{task}.set_env_variable('AWS_ENDPOINT_URL', {cluster.s3_endpoint!r})")
    return [indent + line for line in lines]


def _component_source(node: Node, parameters: list[PipelineParameter],
                      settings: CompileSettings) -> list[str]:
    signature = node.component.signature
    arguments, inputs, outputs, reports, summaries, metrics = [], [], [], [], [], []
    for port, channel in node.inputs.items():
        if channel is not None:
            argument = f"in_{port}"
            arguments.append(f"{argument}: Input[{kinds.kfp_class_name(channel.artifact_type)}]")
            inputs.append(f"{port!r}: {argument}")
    for name, output in signature.outputs.items():
        argument = f"out_{name}"
        arguments.append(f"{argument}: Output[{kinds.kfp_class_name(output.artifact_type)}]")
        outputs.append(f"{name!r}: {argument}")
        if output.artifact_type.TYPE_NAME in kinds.REPORTING_TYPES:
            arguments.append(f"{kinds.report_output(name)}: Output[HTML]")
            arguments.append(f"{kinds.summary_output(name)}: Output[Markdown]")
            reports.append(f"{name!r}: {kinds.report_output(name)}")
            summaries.append(f"{name!r}: {kinds.summary_output(name)}")
        if output.artifact_type.TYPE_NAME in kinds.METRICS_TYPES:
            arguments.append(f"{kinds.metrics_output(name)}: Output[Metrics]")
            metrics.append(f"{name!r}: {kinds.metrics_output(name)}")
    for parameter in parameters:
        arguments.append(f"param_{parameter.name}: {parameter.kfp_type}")
    arguments.append("run_id: str")
    if settings.bundle is not None:
        arguments.append("project: Input[Artifact]")
    params = ", ".join(f"{p.name!r}: param_{p.name}" for p in parameters)
    function = python_name(f"node_{node.id}", "node")
    return [
        f"@dsl.component(base_image={settings.image!r}, install_kfp_package=False)",
        f"def {function}(",
        *[f"    {argument}," for argument in arguments],
        "):",
        f'    """Runs Starling node {node.id!r} ({node.component.name})."""',
        "    from pipelines.kubeflow.step import run_step",
        "    run_step(",
        f"        pipeline_file={settings.pipeline_file!r}, node_id={node.id!r},",
        f"        metadata_url={settings.metadata_url!r}, run_id=run_id,",
        *([f"        beam_args={list(settings.beam_args)!r},"] if settings.beam_args is not None else []),
        *([f"        project=project, project_sha256={settings.bundle.sha256!r},"]
          if settings.bundle is not None else []),
        f"        params={{{params}}},",
        f"        inputs={{{', '.join(inputs)}}},",
        f"        outputs={{{', '.join(outputs)}}},",
        f"        reports={{{', '.join(reports)}}},",
        f"        summaries={{{', '.join(summaries)}}},",
        f"        metrics={{{', '.join(metrics)}}},",
        "    )",
        "",
        "",
    ]


def _pipeline_source(pipeline: Pipeline, parameters: list[PipelineParameter],
                     settings: CompileSettings) -> list[str]:
    signature = ", ".join(f"{p.name}: {p.kfp_type} = {p.default!r}" for p in parameters)
    lines = [
        f"@dsl.pipeline(name={python_name(pipeline.name, 'p').replace('_', '-')!r}, "
        f"description={(pipeline.description or 'Starling pipeline ' + pipeline.name)!r})",
        f"def starling_pipeline({signature}):",
        "    run_id = dsl.PIPELINE_JOB_NAME_PLACEHOLDER",
    ]
    indent = "    "
    if settings.metadata_url:  # the run's final status, whatever happens inside
        lines += ["    finish = starling_finish_run(run_id=run_id)",
                  "    finish.set_display_name('record run status')",
                  "    finish.set_caching_options(False)",
                  *_platform_lines("finish", settings.cluster, indent),
                  "    with dsl.ExitHandler(finish, name='starling-run'):"]
        indent = "        "
    extra = []
    if settings.bundle is not None:
        lines += [f"{indent}project = starling_project_files()",
                  f"{indent}project.set_display_name('project files')"]
        extra = ["project=project.outputs['project']"]
    task_names: dict[str, str] = {}
    for node in pipeline.ordered_nodes:
        task = python_name(f"task_{node.id}", "task")
        task_names[node.id] = task
        arguments = [f"in_{port}={task_names[channel.producer.id]}.outputs['out_{channel.output_name}']"
                     for port, channel in node.inputs.items() if channel is not None]
        arguments += [f"param_{p.name}={p.name}" for p in parameters] + ["run_id=run_id"] + extra
        function = python_name(f"node_{node.id}", "node")
        lines.append(f"{indent}{task} = {function}({', '.join(arguments)})")
        lines.append(f"{indent}{task}.set_display_name({node.id!r})")
        lines += _platform_lines(task, settings.cluster, indent)
        for upstream in node.extra_upstream:
            lines.append(f"{indent}{task}.after({task_names[upstream.id]})")
        if node.enable_cache is False or not pipeline.enable_cache:
            lines.append(f"{indent}{task}.set_caching_options(False)")
    return lines
